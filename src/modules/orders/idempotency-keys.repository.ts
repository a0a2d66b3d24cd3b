import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Raw, Repository } from 'typeorm';

import { IdempotencyKeyEntity } from './idempotency-key.entity';

/** What a live key remembers of the request that first used it. */
export interface RememberedResponse {
  readonly requestHash: string;
  readonly responseBody: unknown;
}

/** TypeORM's repository API; the key is written inside the placement (orders.sql.ts). */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
  ) {}

  /** The response remembered under a key that has not expired, or null. */
  findLive(userId: string, key: string): Promise<RememberedResponse | null> {
    // Expiry by the database's clock, as the statement that takes a key over judges it.
    return this.keys.findOne({
      select: { requestHash: true, responseBody: true },
      where: { userId, key, expiresAt: Raw((column) => `${column} > now()`) },
    });
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.keys.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
