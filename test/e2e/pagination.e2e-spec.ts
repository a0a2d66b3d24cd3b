import { createHmac } from 'node:crypto';

import { encodeCursor } from '@app/core';

import { createOrder } from '../factories/orders';
import { createProduct, type TestProduct } from '../factories/products';
import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { useTestApp } from '../utils/test-app';

const CURSOR_SECRET = 'pagination-suite-cursor-key-0123456789abcdef';
const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const ROUTES = ['/api/v1/products', '/api/v1/users', '/api/v1/orders'] as const;
type ListRoute = (typeof ROUTES)[number];

interface Row {
  readonly id: string;
  readonly createdAt: string;
}

/** The unsigned cursor format the service used to accept: base64url of `[createdAt, id]`. */
const unsigned = (createdAt: string, id: string): string =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

/** A payload signed with the suite's key, as the service signs: base64url(HMAC-SHA256 || payload). */
const signed = (payload: string): string =>
  Buffer.concat([
    createHmac('sha256', CURSOR_SECRET).update(payload).digest(),
    Buffer.from(payload),
  ]).toString('base64url');

const SOME_ID = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';

describe('pagination cursors on every list route', () => {
  const t = useTestApp({ CURSOR_SECRET });
  let admin: TestUser;
  let product: TestProduct;

  /** One more row on every list. */
  const addRows = async (): Promise<void> => {
    await createProduct(t.http, admin);
    await createUser(t.http);
    await createOrder(t.http, admin, product);
  };

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    product = await createProduct(t.http, admin, { stock: 1000 });
    for (let i = 0; i < 5; i += 1) {
      await addRows();
    }
  });

  /** Products are public; users need an admin; orders: the admin sees all of them. */
  const list = (route: ListRoute, query: string) =>
    t.http.get(`${route}?${query}`).set(...bearer(admin));

  /** Every row of a list, following nextCursor with `limit`, bounded to 100 pages. */
  const walk = async (route: ListRoute, limit: number): Promise<Row[]> => {
    const rows: Row[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages += 1) {
      const res = await list(
        route,
        `limit=${String(limit)}${cursor === null ? '' : `&cursor=${cursor}`}`,
      ).expect(200);
      rows.push(...(res.body.data as Row[]));
      cursor = res.body.nextCursor as string | null;
      if (cursor === null) {
        return rows;
      }
    }
    throw new Error(`${route}: no last page after 100 pages`);
  };

  /** Newest first by (createdAt, id), as the service orders every list. */
  const newestFirst = (a: Row, b: Row): number =>
    a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

  /** What a client sees for `?cursor=`: status, media type and the whole problem body. */
  const answer = async (route: ListRoute, cursor: string) => {
    const res = await list(route, `cursor=${encodeURIComponent(cursor)}`);
    return { status: res.status, contentType: res.headers['content-type'], body: res.body };
  };

  const invalidCursor = (route: ListRoute) => ({
    status: 400,
    contentType: PROBLEM_JSON,
    body: {
      type: 'https://errors.example.com/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'Validation failed: cursor is not a valid page cursor',
      instance: route,
      code: 'VALIDATION_FAILED',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      errors: [{ field: 'cursor', message: 'cursor is not a valid page cursor' }],
    },
  });

  describe.each(ROUTES)('GET %s', (route) => {
    it('pages newest first, without overlap or gap, to a null nextCursor', async () => {
      const all = await walk(route, 100);
      expect(all.length).toBeGreaterThanOrEqual(4);
      expect(all).toEqual([...all].sort(newestFirst));
      expect(await walk(route, 1)).toEqual(all);
      expect(await walk(route, 3)).toEqual(all);
    });

    it('is stable: a row added between two pages does not shift the next page', async () => {
      const first = await list(route, 'limit=2').expect(200);
      const before = await walk(route, 100);
      await addRows();
      const second = await list(route, `limit=2&cursor=${first.body.nextCursor as string}`).expect(
        200,
      );
      expect(second.body.data).toEqual(before.slice(2, 4));
    });

    it('refuses a forged cursor (well-formed base64url JSON, not signed) with 400', async () => {
      const [newest] = await walk(route, 100);
      expect(await answer(route, unsigned(newest?.createdAt ?? '', newest?.id ?? ''))).toEqual(
        invalidCursor(route),
      );
    });

    it.each([
      ['year -4714', '-004714-11-24T00:00:00.000Z'],
      ['year -271821', '-271821-04-20T00:00:00.000Z'],
      ['year +275760', '+275760-09-13T00:00:00.000Z'],
    ])('refuses a %s position, unsigned or signed with the real key, with 400', async (_, at) => {
      expect(await answer(route, unsigned(at, SOME_ID))).toEqual(invalidCursor(route));
      expect(await answer(route, signed(JSON.stringify([at, SOME_ID])))).toEqual(
        invalidCursor(route),
      );
      expect(
        await answer(
          route,
          encodeCursor({ createdAt: new Date(at), id: SOME_ID }, { cursorSecret: CURSOR_SECRET }),
        ),
      ).toEqual(invalidCursor(route));
    });

    it.each([
      ['a plain word', 'not-a-cursor'],
      ['characters outside base64url', 'a.b+c/d=='],
      ['one base64url character', 'A'],
      ['base64url that is not JSON', Buffer.from('x'.repeat(40)).toString('base64url')],
      ['JSON of the wrong shape', unsigned('2026-01-01T00:00:00.000Z', 'x')],
    ])('refuses garbage (%s) with 400', async (_, cursor) => {
      expect(await answer(route, cursor)).toEqual(invalidCursor(route));
    });

    it('refuses a real cursor that was edited, cut short, or signed with another key', async () => {
      const page = await list(route, 'limit=1').expect(200);
      const cursor = page.body.nextCursor as string;
      const last = cursor.at(-2) === 'A' ? 'B' : 'A';
      expect(await answer(route, `${cursor.slice(0, -2)}${last}${cursor.slice(-1)}`)).toEqual(
        invalidCursor(route),
      );
      expect(await answer(route, cursor.slice(0, 40))).toEqual(invalidCursor(route));
      const [newest] = page.body.data as Row[];
      const otherKey = encodeCursor(
        { createdAt: new Date(newest?.createdAt ?? ''), id: newest?.id ?? '' },
        { cursorSecret: 'another-instance-cursor-key-0123456789abcdef' },
      );
      expect(await answer(route, otherKey)).toEqual(invalidCursor(route));
    });

    it.each([
      ['an impossible date', ['2026-02-30T00:00:00.000Z', SOME_ID]],
      ['a date without time', ['2026-01-01', SOME_ID]],
      ['an upper-case id', ['2026-01-01T00:00:00.000Z', SOME_ID.toUpperCase()]],
      ['a number for the date', [1767225600000, SOME_ID]],
      ['a third element', ['2026-01-01T00:00:00.000Z', SOME_ID, 1]],
      ['an object', { createdAt: '2026-01-01T00:00:00.000Z', id: SOME_ID }],
    ])('refuses a correctly signed cursor holding %s with 400', async (_, payload) => {
      expect(await answer(route, signed(JSON.stringify(payload)))).toEqual(invalidCursor(route));
    });
  });

  describe('a cursor from one list on another', () => {
    it('is a position, not a list: it pages the other list from that instant, correctly', async () => {
      await createProduct(t.http, admin);
      const olderUser = await createUser(t.http);
      await createProduct(t.http, admin);
      const newerUser = await createUser(t.http);
      const products = await list('/api/v1/products', 'limit=1').expect(200);
      const [position] = products.body.data as Row[];
      const users = await walk('/api/v1/users', 100);
      const older = users.filter((u) => newestFirst(u, position as Row) > 0);
      expect(older.map((u) => u.id)).toContain(olderUser.id);
      expect(older.map((u) => u.id)).not.toContain(newerUser.id);
      const res = await list(
        '/api/v1/users',
        `limit=100&cursor=${products.body.nextCursor as string}`,
      ).expect(200);
      expect(res.body).toEqual({ data: older, nextCursor: null });
    });
  });
});
