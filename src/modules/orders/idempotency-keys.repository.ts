import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';

import type { SqlParams } from '@app/core';

import { IdempotencyKeyEntity } from './idempotency-key.entity';

/** What a live key remembers of the request that first used it. */
export interface RememberedResponse {
  readonly requestHash: string;
  readonly responseStatus: number;
  readonly responseBody: unknown;
}

export interface KeyToRemember extends RememberedResponse {
  readonly userId: string;
  readonly key: string;
  readonly ttlMs: number;
}

@Injectable()
export class IdempotencyKeysRepository {
  constructor(
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
  ) {}

  /** The response remembered under a key that has not expired, or null. */
  async findLive(userId: string, key: string): Promise<RememberedResponse | null> {
    // Expiry by the database's clock, as the statement that takes a key over judges it.
    const found = await this.keys
      .createQueryBuilder('k')
      .where('k.userId = :userId AND k.key = :key AND k.expiresAt > now()', { userId, key })
      .getOne();
    return found === null
      ? null
      : {
          requestHash: found.requestHash,
          responseStatus: found.responseStatus,
          responseBody: found.responseBody,
        };
  }

  /**
   * A CTE named `name` for the caller's one-statement write: it stores the response under
   * the key when `when` holds, taking over an expired key, and returns a row only if it
   * stored one. A live key stops it (no row: the caller replays the stored response). A
   * concurrent statement holding the same new key makes it wait for that statement's end,
   * then see the key: of concurrent requests with one key, exactly one writes.
   */
  rememberPart(params: SqlParams, entry: KeyToRemember, when: string, name: string): string {
    return `${name} AS (
        INSERT INTO idempotency_keys
          (user_id, key, request_hash, response_status, response_body, expires_at)
        SELECT ${params.add(entry.userId, 'uuid')}, ${params.add(entry.key, 'varchar')},
          ${params.add(entry.requestHash, 'char(64)')}, ${params.add(entry.responseStatus, 'smallint')},
          ${params.add(JSON.stringify(entry.responseBody), 'jsonb')},
          now() + make_interval(secs => ${params.add(entry.ttlMs, 'double precision')} / 1000)
        WHERE ${when}
        ON CONFLICT (user_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
              response_body = EXCLUDED.response_body, created_at = now(),
              expires_at = EXCLUDED.expires_at
          WHERE idempotency_keys.expires_at <= now()
        RETURNING 1
      )`;
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.keys.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
