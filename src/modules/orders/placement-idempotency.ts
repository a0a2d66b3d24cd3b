import { createHash } from 'node:crypto';

import { Injectable, type OnModuleInit } from '@nestjs/common';

import { Housekeeping } from '@app/core';

import type { OrderResponse } from './dto/order.response';
import type { PlaceOrderDto } from './dto/place-order.dto';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { OrdersConfig } from './orders.config';
import { IdempotencyKeyReusedError } from './orders.errors';
import { STOCK_GATE, rememberKeyPart, type PlacementGate } from './orders.sql';

/** A placement sent with an `Idempotency-Key`, identified by its caller, key and body. */
export interface KeyedRequest {
  readonly userId: string;
  readonly key: string;
  readonly requestHash: string;
}

/** Canonical hash of what was asked, so a retried key can be compared with its first body. */
const hashRequest = (dto: PlaceOrderDto): string =>
  createHash('sha256')
    .update(JSON.stringify(dto.items.map((line) => [line.productId, line.quantity])))
    .digest('hex');

/**
 * The `Idempotency-Key` protocol of `POST /orders` (docs/API.md), on its own: a retried key
 * replays the first response, the same key with another body is a 422, and the key is
 * remembered by the placement statement itself (the gate), so it is stored exactly when
 * the order is, for `IDEMPOTENCY_TTL_MS`. Expired keys are purged by housekeeping.
 */
@Injectable()
export class PlacementIdempotency implements OnModuleInit {
  constructor(
    private readonly keys: IdempotencyKeysRepository,
    private readonly config: OrdersConfig,
    private readonly housekeeping: Housekeeping,
  ) {}

  onModuleInit(): void {
    this.housekeeping.register({
      name: 'idempotency-keys.purge',
      run: () => this.keys.purgeExpired(new Date()),
    });
  }

  /** The request to remember, or null without a key. */
  request(userId: string, key: string | undefined, dto: PlaceOrderDto): KeyedRequest | null {
    return key === undefined ? null : { userId, key, requestHash: hashRequest(dto) };
  }

  /** The first response to the key, or null when the key is new or has expired. */
  async replay(request: KeyedRequest): Promise<OrderResponse | null> {
    const remembered = await this.keys.findLive(request.userId, request.key);
    if (remembered === null) {
      return null;
    }
    if (remembered.requestHash !== request.requestHash) {
      throw new IdempotencyKeyReusedError();
    }
    return remembered.responseBody as OrderResponse;
  }

  /** What lets the placement write: the stock alone, or the stock and a key not yet live. */
  gate(request: KeyedRequest | null, response: OrderResponse): PlacementGate {
    return request === null
      ? STOCK_GATE
      : rememberKeyPart({
          ...request,
          responseBody: response,
          ttlMs: this.config.idempotencyTtlMs,
        });
  }
}
