import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';

import { databaseErrorCode, type Transaction } from '@app/core';

import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { IdempotencyKeyInFlightError } from './orders.errors';

export type Claim =
  | { readonly kind: 'claimed' }
  | {
      readonly kind: 'existing';
      readonly requestHash: string;
      readonly responseStatus: number;
      readonly responseBody: unknown;
    };

/** SQLSTATE lock_not_available: the key is held by a transaction still running. */
const LOCK_NOT_AVAILABLE = '55P03';

@Injectable()
export class IdempotencyKeysRepository {
  constructor(
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
  ) {}

  /**
   * Claims the key inside the placement transaction. A concurrent request with the same
   * key blocks on the uncommitted row; instead of waiting, it gives up after a short lock
   * timeout (409 in flight). A committed key is returned for replay; an expired one is
   * taken over.
   */
  async claim(
    tx: Transaction,
    userId: string,
    key: string,
    requestHash: string,
    ttlMs: number,
  ): Promise<Claim> {
    await tx.manager.query("SET LOCAL lock_timeout = '100ms'");
    let claimed: unknown[];
    try {
      claimed = await tx.manager.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, expires_at)
         VALUES ($1, $2, $3, 0, 'null'::jsonb, now() + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (user_id, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, response_status = 0, response_body = 'null'::jsonb,
               created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_keys.expires_at <= now()
         RETURNING user_id`,
        [userId, key, requestHash, ttlMs],
      );
    } catch (error: unknown) {
      if (databaseErrorCode(error) === LOCK_NOT_AVAILABLE) {
        throw new IdempotencyKeyInFlightError();
      }
      throw error;
    }
    await tx.manager.query('SET LOCAL lock_timeout = 0');
    if (claimed.length > 0) {
      return { kind: 'claimed' };
    }
    const existing = await tx.manager
      .getRepository(IdempotencyKeyEntity)
      .findOneByOrFail({ userId, key });
    return {
      kind: 'existing',
      requestHash: existing.requestHash,
      responseStatus: existing.responseStatus,
      responseBody: existing.responseBody,
    };
  }

  /** Stores the response to replay, in the same transaction as the order it describes. */
  async complete(
    tx: Transaction,
    userId: string,
    key: string,
    status: number,
    body: unknown,
  ): Promise<void> {
    await tx.manager
      .getRepository(IdempotencyKeyEntity)
      .update({ userId, key }, { responseStatus: status, responseBody: body as object });
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.keys.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
