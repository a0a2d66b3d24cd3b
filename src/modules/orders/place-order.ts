import { Injectable } from '@nestjs/common';

import { ConcurrentChangeError, Outbox, type AuthenticatedUser } from '@app/core';

import { CatalogService } from '../catalog';
import { EmailNotVerifiedError, UsersService } from '../users';
import { toOrderResponse, type OrderResponse } from './dto/order.response';
import type { PlaceOrderDto } from './dto/place-order.dto';
import { OrderEvent } from './order-events';
import { OrderMetrics } from './order-metrics';
import { OrdersConfig } from './orders.config';
import { OrdersRepository } from './orders.repository';
import { PlacementIdempotency } from './placement-idempotency';
import { priceOrder } from './pricing';

export interface PlacementResult {
  readonly order: OrderResponse;
  /** True when an Idempotency-Key retry got the first response back. */
  readonly replayed: boolean;
}

/** Placements quoted again after a price or name edit raced them, before giving up (503). */
const PLACEMENT_ATTEMPTS = 3;

/**
 * `POST /orders`: quote without a lock, then one statement that takes the stock of every
 * line (or none), writes the order, its items and its `order.placed` event, and remembers
 * the idempotency key. A retried key gets its first response back (and writes no event);
 * any failure leaves nothing.
 */
@Injectable()
export class PlaceOrder {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly catalog: CatalogService,
    private readonly idempotency: PlacementIdempotency,
    private readonly metrics: OrderMetrics,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly config: OrdersConfig,
  ) {}

  async execute(
    user: AuthenticatedUser,
    dto: PlaceOrderDto,
    idempotencyKey?: string,
  ): Promise<PlacementResult> {
    try {
      if (this.config.requireVerifiedEmail && !(await this.users.isEmailVerified(user.id))) {
        throw new EmailNotVerifiedError();
      }
      const result = await this.placeOnce(user, dto, idempotencyKey);
      if (!result.replayed) {
        this.metrics.placed();
      }
      return result;
    } catch (error: unknown) {
      this.metrics.failed(error);
      throw error;
    }
  }

  private async placeOnce(
    user: AuthenticatedUser,
    dto: PlaceOrderDto,
    idempotencyKey: string | undefined,
  ): Promise<PlacementResult> {
    const keyed = this.idempotency.request(user.id, idempotencyKey, dto);
    for (let attempt = 1; ; attempt += 1) {
      if (keyed !== null) {
        // Before quoting: a retry of a placement that took the last unit is a replay, not
        // a 409 for the stock it took itself.
        const replay = await this.idempotency.replay(keyed);
        if (replay !== null) {
          return { order: replay, replayed: true };
        }
      }
      const quote = await this.catalog.quote(dto.items);
      const priced = priceOrder(quote.lines);
      const entity = this.orders.create({
        userId: user.id,
        currency: quote.currency,
        totalCents: priced.totalCents,
        lines: priced.lines,
      });
      const order = toOrderResponse(entity);
      const gate = this.idempotency.gate(keyed, order);
      const placed = this.outbox.event(OrderEvent.PLACED, order);
      const outcome = await this.orders.place(entity, this.catalog.reservation(quote), gate, [
        placed,
      ]);
      if (outcome.placed) {
        this.outbox.nudge();
        return { order, replayed: false };
      }
      // Not placed: the stock changed since the quote (quoting again says why, or prices
      // the order anew), or a request with the same key placed it first (the loop replays).
      if (attempt >= PLACEMENT_ATTEMPTS) {
        throw new ConcurrentChangeError('the products of the order');
      }
    }
  }
}
