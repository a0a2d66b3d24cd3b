import { createHash } from 'node:crypto';

import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';

import type { Counter } from 'prom-client';

import {
  AppConfig,
  AppError,
  ConcurrentChangeError,
  MetricsService,
  TransactionRunner,
  decodeCursor,
  toPage,
  type AuthenticatedUser,
  type Page,
} from '@app/core';

import { CatalogService } from '../catalog';
import { UserRole } from '../users';
import type { ListOrdersQuery } from './dto/list-orders.query';
import { toOrderResponse, type OrderResponse } from './dto/order.response';
import type { PlaceOrderDto } from './dto/place-order.dto';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';
import { OrderStatus, canTransition, releasesStock } from './order-status';
import {
  IdempotencyKeyReusedError,
  IllegalTransitionError,
  OrderNotFoundError,
  OtherUsersOrdersError,
  VersionMismatchError,
} from './orders.errors';
import { OrdersRepository, STOCK_GATE, type PlacementGate } from './orders.repository';
import { priceOrder } from './pricing';

export interface PlacementResult {
  readonly status: number;
  readonly order: OrderResponse;
  /** True when an Idempotency-Key retry got the first response back. */
  readonly replayed: boolean;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Placements quoted again after a price or name edit raced them, before giving up (503). */
const PLACEMENT_ATTEMPTS = 3;
const isAdmin = (user: AuthenticatedUser): boolean => user.role === UserRole.ADMIN;

/** Canonical hash of what was asked, so a retried key can be compared with its first body. */
const hashRequest = (dto: PlaceOrderDto): string =>
  createHash('sha256')
    .update(JSON.stringify(dto.items.map((line) => [line.productId, line.quantity])))
    .digest('hex');

@Injectable()
export class OrdersService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OrdersService.name);
  private purgeTimer: NodeJS.Timeout | null = null;
  private readonly placedTotal: Counter;
  private readonly failedTotal: Counter<'reason'>;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly orders: OrdersRepository,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    private readonly catalog: CatalogService,
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.placedTotal = metrics.counter('orders_placed_total', 'Orders placed', []);
    this.failedTotal = metrics.counter(
      'orders_failed_total',
      'Order placements that failed, by error code',
      ['reason'],
    );
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.purgeExpiredKeys(), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.purgeTimer !== null) {
      clearInterval(this.purgeTimer);
    }
  }

  /**
   * Quote without a lock, then one statement that takes the stock of every line (or
   * none), writes the order and its items and remembers the idempotency key. A retried
   * key gets its first response back; any failure leaves nothing.
   */
  async place(
    user: AuthenticatedUser,
    dto: PlaceOrderDto,
    idempotencyKey?: string,
  ): Promise<PlacementResult> {
    try {
      const result = await this.placeOnce(user, dto, idempotencyKey);
      if (!result.replayed) {
        this.placedTotal.inc();
      }
      return result;
    } catch (error: unknown) {
      this.failedTotal.inc({ reason: error instanceof AppError ? error.code : 'INTERNAL' });
      throw error;
    }
  }

  private async placeOnce(
    user: AuthenticatedUser,
    dto: PlaceOrderDto,
    idempotencyKey: string | undefined,
  ): Promise<PlacementResult> {
    const requestHash = hashRequest(dto);
    for (let attempt = 1; ; attempt += 1) {
      if (idempotencyKey !== undefined) {
        // Before quoting: a retry of a placement that took the last unit is a replay, not
        // a 409 for the stock it took itself.
        const replay = await this.replay(user.id, idempotencyKey, requestHash);
        if (replay !== null) {
          return replay;
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
      const gate: PlacementGate =
        idempotencyKey === undefined
          ? STOCK_GATE
          : {
              kind: 'keyed',
              cte: (params, when, name) =>
                this.idempotencyKeys.rememberPart(
                  params,
                  {
                    userId: user.id,
                    key: idempotencyKey,
                    ttlMs: this.config.idempotency.ttlMs,
                    requestHash,
                    responseStatus: 201,
                    responseBody: order,
                  },
                  when,
                  name,
                ),
            };
      const outcome = await this.orders.place(entity, this.catalog.reservation(quote), gate);
      if (outcome.placed) {
        return { status: 201, order, replayed: false };
      }
      // Not placed: the stock changed since the quote (quoting again says why, or prices
      // the order anew), or a request with the same key placed it first (the loop replays).
      if (attempt >= PLACEMENT_ATTEMPTS) {
        throw new ConcurrentChangeError('the products of the order');
      }
    }
  }

  /** The first response to `key`, or null when the key is new or has expired. */
  private async replay(
    userId: string,
    key: string,
    requestHash: string,
  ): Promise<PlacementResult | null> {
    const remembered = await this.idempotencyKeys.findLive(userId, key);
    if (remembered === null) {
      return null;
    }
    if (remembered.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError();
    }
    return {
      status: remembered.responseStatus,
      order: remembered.responseBody as OrderResponse,
      replayed: true,
    };
  }

  async get(id: string, viewer: AuthenticatedUser): Promise<OrderResponse> {
    const order = await this.orders.findById(id, isAdmin(viewer) ? null : viewer.id);
    if (order === null) {
      throw new OrderNotFoundError(id);
    }
    return toOrderResponse(order);
  }

  async list(viewer: AuthenticatedUser, query: ListOrdersQuery): Promise<Page<OrderResponse>> {
    if (!isAdmin(viewer) && query.userId !== undefined && query.userId !== viewer.id) {
      throw new OtherUsersOrdersError();
    }
    const userId = isAdmin(viewer) ? query.userId : viewer.id;
    const rows = await this.orders.listPage(
      { userId, status: query.status },
      decodeCursor(query.cursor, this.config.pagination),
      query.limit,
    );
    return toPage(rows, query.limit, toOrderResponse, this.config.pagination);
  }

  /** Owners may cancel their own orders; admins any; optionally guarded by If-Match. */
  cancel(
    id: string,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    return this.transition(id, OrderStatus.CANCELLED, viewer, expectedVersion);
  }

  /** Admin status change, optionally guarded by If-Match on the version. */
  changeStatus(
    id: string,
    to: OrderStatus,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    return this.transition(id, to, viewer, expectedVersion);
  }

  async purgeExpiredKeys(): Promise<number> {
    try {
      const purged = await this.idempotencyKeys.purgeExpired(new Date());
      this.logger.log({ msg: 'Expired idempotency keys purged', purged });
      return purged;
    } catch (error: unknown) {
      this.logger.warn({
        msg: 'Idempotency key purge failed',
        reason: error instanceof Error ? error.message : String(error),
      });
      return 0;
    }
  }

  /**
   * Every transition locks the order, checks ownership, If-Match and the status table,
   * returns stock when cancelling, and updates conditionally on the version it read:
   * of two concurrent transitions, exactly one wins.
   */
  private transition(
    id: string,
    to: OrderStatus,
    viewer: AuthenticatedUser,
    expectedVersion: number | undefined,
  ): Promise<OrderResponse> {
    return this.transactions.run(async (tx) => {
      const order = await this.orders.lockById(tx, id);
      if (order === null || (!isAdmin(viewer) && order.userId !== viewer.id)) {
        throw new OrderNotFoundError(id);
      }
      if (expectedVersion !== undefined && expectedVersion !== order.version) {
        throw new VersionMismatchError(order.version);
      }
      if (!canTransition(order.status, to)) {
        throw new IllegalTransitionError(order.status, to);
      }
      if (releasesStock(to)) {
        await this.catalog.release(
          tx,
          order.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
        );
      }
      const updated = await this.orders.updateStatus(tx, id, order.version, to);
      if (updated === null) {
        throw new VersionMismatchError(order.version);
      }
      return toOrderResponse(updated);
    });
  }
}
