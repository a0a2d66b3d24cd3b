import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { Client } from 'pg';

import type { AuthenticatedUser } from '@app/core';

import { CatalogService } from '../../src/modules/catalog';
import {
  ChangeOrderStatus,
  OrderQueries,
  OrderStatus,
  OrdersErrorCode,
  OrdersModule,
  PlaceOrder,
} from '../../src/modules/orders';
import { ExpirePendingOrders } from '../../src/modules/orders/expire-pending-orders';
import { UserRole } from '../../src/modules/users';
import { useTestModule } from '../utils/test-module';

/**
 * The expiry of abandoned orders, called as the schedule calls it, on PostgreSQL: a pending
 * order older than ORDER_PENDING_TTL_MS is cancelled with `expired`, gives its stock back and
 * writes one `order.cancelled` event; nothing else is touched; and against a customer
 * cancelling or an admin paying at the same moment, exactly one of the two wins. The module
 * runs no jobs (APP_ROLE=api), so only the test expires orders.
 */
describe('orders: expiry of pending orders (use case + PostgreSQL)', () => {
  const TTL_MS = 1_000;
  const m = useTestModule([OrdersModule], {
    APP_ROLE: 'api',
    ORDER_PENDING_TTL_MS: String(TTL_MS),
  });
  let placeOrder: PlaceOrder;
  let changeStatus: ChangeOrderStatus;
  let expiry: ExpirePendingOrders;
  let queries: OrderQueries;
  let catalog: CatalogService;

  beforeAll(() => {
    placeOrder = m.get(PlaceOrder);
    changeStatus = m.get(ChangeOrderStatus);
    expiry = m.get(ExpirePendingOrders);
    queries = m.get(OrderQueries);
    catalog = m.get(CatalogService);
  });

  const customer = (): AuthenticatedUser => ({ id: randomUUID(), role: UserRole.CUSTOMER });
  const admin: AuthenticatedUser = { id: randomUUID(), role: UserRole.ADMIN };

  let skus = 0;
  const newProduct = (stock: number) => {
    skus += 1;
    return catalog.create({
      sku: `EXP-${String(skus)}`,
      name: 'Mug',
      priceCents: 1000,
      currency: 'EUR',
      stock,
    });
  };

  const place = async (user: AuthenticatedUser, productId: string, quantity: number) =>
    (await placeOrder.execute(user, { items: [{ productId, quantity }] })).order;

  /** Makes an order older than the TTL without waiting for it. */
  const age = async (orderId: string, byMs = 2 * TTL_MS): Promise<void> => {
    await m.sql(
      `UPDATE orders SET created_at = created_at - make_interval(secs => $2::double precision / 1000)
       WHERE id = $1`,
      [orderId, byMs],
    );
  };

  const stockOf = async (id: string): Promise<number> => (await catalog.get(id)).stock;

  // Every test counts what one run expires, so none may start with another's pending orders
  // left behind (a failed test skips its own cleanup): they are cancelled by hand here.
  afterEach(async () => {
    await m.sql(
      "UPDATE orders SET status = 'cancelled', cancel_reason = 'admin' WHERE status = 'pending'",
    );
  });

  const eventsOf = async (orderId: string) =>
    m.sql<{ type: string; data: unknown; request_id: string | null }>(
      `SELECT type, data, request_id FROM outbox_events WHERE data->>'id' = $1
       ORDER BY created_at, id`,
      [orderId],
    );

  it('cancels an order older than the TTL as expired, gives its stock back, writes its event', async () => {
    const mug = await newProduct(10);
    const alice = customer();
    const old = await place(alice, mug.id, 3);
    const fresh = await place(alice, mug.id, 2);
    // A minute younger than now: fresh however long the steps below take on a loaded machine.
    await age(fresh.id, -60_000);
    const paid = await place(alice, mug.id, 1);
    await changeStatus.execute(paid.id, OrderStatus.PAID, admin, undefined);
    await Promise.all([age(old.id), age(paid.id)]);
    expect(await stockOf(mug.id)).toBe(4);

    expect(await expiry.execute()).toBe(1);

    const expired = await queries.get(old.id, alice);
    expect(expired).toMatchObject({
      status: OrderStatus.CANCELLED,
      cancelReason: 'expired',
      version: 2,
    });
    expect(await stockOf(mug.id)).toBe(7);
    await expect(queries.get(fresh.id, alice)).resolves.toMatchObject({
      status: OrderStatus.PENDING,
      cancelReason: null,
      version: 1,
    });
    await expect(queries.get(paid.id, alice)).resolves.toMatchObject({
      status: OrderStatus.PAID,
      version: 2,
    });
    const events = await eventsOf(old.id);
    expect(events.map((e) => e.type)).toEqual(['order.placed', 'order.cancelled']);
    expect(events[1]).toEqual({ type: 'order.cancelled', data: expired, request_id: null });

    // Nothing is left to expire: a second run changes nothing and writes nothing.
    expect(await expiry.execute()).toBe(0);
    expect(await eventsOf(old.id)).toHaveLength(2);
    expect(await stockOf(mug.id)).toBe(7);
  });

  it('expires the order once its TTL has passed, and not before', async () => {
    const mug = await newProduct(5);
    const alice = customer();
    const order = await place(alice, mug.id, 1);
    expect(await expiry.execute()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
    expect(await expiry.execute()).toBe(1);
    await expect(queries.get(order.id, alice)).resolves.toMatchObject({
      status: OrderStatus.CANCELLED,
      cancelReason: 'expired',
    });
    expect(await stockOf(mug.id)).toBe(5);
  });

  it('expires more orders than one batch holds, each once, stock back for every line', async () => {
    const mug = await newProduct(300);
    const tea = await newProduct(300);
    const buyers = Array.from({ length: 5 }, customer);
    const ids: string[] = [];
    for (let i = 0; i < 230; i += 1) {
      const buyer = buyers[i % buyers.length] as AuthenticatedUser;
      const order = await placeOrder.execute(buyer, {
        items: [
          { productId: mug.id, quantity: 1 },
          { productId: tea.id, quantity: 1 },
        ],
      });
      ids.push(order.order.id);
    }
    await m.sql(
      `UPDATE orders SET created_at = created_at - interval '1 hour' WHERE id = ANY($1)`,
      [ids],
    );
    expect([await stockOf(mug.id), await stockOf(tea.id)]).toEqual([70, 70]);

    expect(await expiry.execute()).toBe(230);

    expect([await stockOf(mug.id), await stockOf(tea.id)]).toEqual([300, 300]);
    const [counts] = await m.sql<{ cancelled: string; events: string }>(
      `SELECT (SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'cancelled'
                 AND cancel_reason = 'expired') AS cancelled,
              (SELECT count(*) FROM outbox_events WHERE type = 'order.cancelled'
                 AND (data->>'id')::uuid = ANY($1)) AS events`,
      [ids],
    );
    expect(counts).toEqual({ cancelled: '230', events: '230' });
  }, 60_000);

  it('skips an order a concurrent change holds, and expires it on a later run', async () => {
    const mug = await newProduct(5);
    const alice = customer();
    const order = await place(alice, mug.id, 2);
    await age(order.id);
    const holder = new Client({ connectionString: m.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [order.id]);
      // Not waiting on the lock: the run ends at once, having expired nothing.
      expect(await expiry.execute()).toBe(0);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    expect(await stockOf(mug.id)).toBe(3);
    expect(await expiry.execute()).toBe(1);
    expect(await stockOf(mug.id)).toBe(5);
  });

  describe('racing a customer or an admin', () => {
    const ROUNDS = 16;
    const illegal = { code: OrdersErrorCode.ORDER_ILLEGAL_TRANSITION };

    const settle = <V>(running: Promise<V>): Promise<PromiseSettledResult<V>> =>
      running.then(
        (value): PromiseSettledResult<V> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<V> => ({ status: 'rejected', reason }),
      );

    /**
     * The expiry and `other` at once: the expiry started first in even rounds, second in odd
     * ones, so that each side wins some rounds (whoever locks the order first decides it).
     */
    const race = async <T>(
      round: number,
      other: () => Promise<T>,
    ): Promise<[PromiseSettledResult<number>, PromiseSettledResult<T>]> => {
      if (round % 2 === 0) {
        const expiring = settle(expiry.execute());
        const changing = settle(other());
        return [await expiring, await changing];
      }
      const changing = settle(other());
      const expiring = settle(expiry.execute());
      return [await expiring, await changing];
    };

    /** What a user would notice of one round: who won, the order, the stock, the events. */
    const outcome = async <T>(
      order: { id: string },
      owner: AuthenticatedUser,
      results: [PromiseSettledResult<number>, PromiseSettledResult<T>],
      stockBefore: number,
      productId: string,
    ) => {
      const [expiring, changing] = results;
      const final = await queries.get(order.id, owner);
      const events = await eventsOf(order.id);
      return {
        expired: expiring.status === 'fulfilled' ? expiring.value : expiring.reason,
        change:
          changing.status === 'fulfilled' ? 'done' : (changing.reason as { code?: string }).code,
        order: { status: final.status, cancelReason: final.cancelReason, version: final.version },
        stockReturned: (await stockOf(productId)) - stockBefore,
        events: events.map((event) => event.type),
        lastEventIsTheOrder: isDeepStrictEqual(events.at(-1)?.data, final),
      };
    };

    it('against a customer cancelling: one cancellation wins, stock back once, one event', async () => {
      const mug = await newProduct(100);
      const cancelled = ['order.placed', 'order.cancelled'];
      const expiryWins = {
        expired: 1,
        change: illegal.code,
        order: { status: OrderStatus.CANCELLED, cancelReason: 'expired', version: 2 },
        stockReturned: 2,
        events: cancelled,
        lastEventIsTheOrder: true,
      };
      const customerWins = {
        ...expiryWins,
        expired: 0,
        change: 'done',
        order: { ...expiryWins.order, cancelReason: 'customer' },
      };
      const seen: unknown[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const alice = customer();
        const order = await place(alice, mug.id, 2);
        await age(order.id);
        const before = await stockOf(mug.id);
        const results = await race(round, () => changeStatus.cancel(order.id, alice, undefined));
        const seenNow = await outcome(order, alice, results, before, mug.id);
        expect([expiryWins, customerWins]).toContainEqual(seenNow);
        seen.push(seenNow);
      }
      expect(seen).toHaveLength(ROUNDS);
    }, 30_000);

    it('against an admin marking it paid: one transition wins, the loser is refused or skips it', async () => {
      const mug = await newProduct(100);
      const expiryWins = {
        expired: 1,
        change: illegal.code,
        order: { status: OrderStatus.CANCELLED, cancelReason: 'expired', version: 2 },
        stockReturned: 2,
        events: ['order.placed', 'order.cancelled'],
        lastEventIsTheOrder: true,
      };
      const adminWins = {
        expired: 0,
        change: 'done',
        order: { status: OrderStatus.PAID, cancelReason: null, version: 2 },
        stockReturned: 0,
        events: ['order.placed', 'order.status_changed'],
        lastEventIsTheOrder: true,
      };
      for (let round = 0; round < ROUNDS; round += 1) {
        const alice = customer();
        const order = await place(alice, mug.id, 2);
        await age(order.id);
        const before = await stockOf(mug.id);
        const results = await race(round, () =>
          changeStatus.execute(order.id, OrderStatus.PAID, admin, undefined),
        );
        expect([expiryWins, adminWins]).toContainEqual(
          await outcome(order, alice, results, before, mug.id),
        );
      }
    }, 30_000);
  });
});
