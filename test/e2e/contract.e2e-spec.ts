import { randomUUID } from 'node:crypto';

import type { OperationObject } from '@nestjs/swagger';
import type { Response } from 'supertest';

import { createOpenApiDocument, documentedRoutes } from '@app/core';

import { createOrder } from '../factories/orders';
import { buildProductInput, createProduct, type TestProduct } from '../factories/products';
import { bearer, buildUserInput, createAdmin, createUser, type TestUser } from '../factories/users';
import { OpenApiContract } from '../utils/openapi-contract';
import { useTestApp } from '../utils/test-app';

/**
 * The OpenAPI document is what generated clients rely on: every response below goes through
 * `createTestApp(..., { contract: true })`, which checks it against the document of the
 * running app (status declared for the operation, media type, body schema, declared headers).
 * Each operation is exercised on its happy path and its main errors.
 */

const code = (res: Response): unknown => (res.body as { code?: unknown }).code;

describe('the OpenAPI document says what the server answers', () => {
  const t = useTestApp({}, { contract: true });
  let contract: OpenApiContract;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let product: TestProduct;

  beforeAll(async () => {
    contract = t.contract;
    admin = await createAdmin(t.app);
    alice = await createUser(t.http);
    bob = await createUser(t.http);
    product = await createProduct(t.http, admin, { stock: 100 });
  });

  describe('the checker', () => {
    it('refuses a status the operation does not declare', async () => {
      const res = await t.http.get('/health').expect(200);
      const document = createOpenApiDocument(t.app);
      const strict = new OpenApiContract({
        ...document,
        paths: { '/health': { get: { responses: { 204: { description: 'Nothing.' } } } } },
      });
      expect(strict.violations(res)).toEqual([
        'GET /health → 200: status 200 is not declared for GET /health (declared: 204)',
      ]);
    });

    it('refuses a body that does not match the declared schema', async () => {
      const res = await t.http.get('/api/v1/products/not-a-uuid').expect(400);
      const document = createOpenApiDocument(t.app);
      const strict = new OpenApiContract({
        ...document,
        paths: {
          '/api/v1/products/{id}': {
            get: {
              responses: {
                400: {
                  description: 'Only one code.',
                  content: {
                    'application/problem+json': {
                      schema: { type: 'object', properties: { code: { enum: ['OTHER'] } } },
                    },
                  },
                },
              },
            },
          },
        },
      });
      expect(strict.violations(res)).toEqual([
        'GET /api/v1/products/not-a-uuid → 400: body/code must be equal to one of the allowed ' +
          'values {"allowedValues":["OTHER"]}',
      ]);
    });
  });

  describe('routes: who may call them, as documented and as answered', () => {
    type Call = readonly [method: string, path: string, operation: OperationObject];
    const calls = (): Call[] =>
      Object.entries(createOpenApiDocument(t.app).paths).flatMap(([path, item]) =>
        Object.entries(item as Record<string, OperationObject>).map(([method, operation]): Call => [
          method,
          path.replace(/\{[^}]+\}/g, randomUUID()),
          operation,
        ]),
      );
    const needsToken = (operation: OperationObject): boolean =>
      (operation.security ?? []).some((requirement) => 'bearer' in requirement);
    const send = (method: string, path: string, who?: TestUser): Promise<Response> => {
      const req = t.http[method as 'get'](path);
      return who === undefined ? req : req.set(...bearer(who));
    };

    it('every route names its operation (@Route({ operationId }))', () => {
      const unnamed = documentedRoutes(t.app)
        .filter((route) => route.operationId === undefined)
        .map((route) => `${route.controller.name}.${route.name}`);
      expect(unnamed).toEqual([]);
    });

    it('a route documented with the bearer scheme is refused without a token, the others are not', async () => {
      const seen: string[] = [];
      for (const [method, path, operation] of calls()) {
        const res = await send(method, path);
        if ((res.status === 401) !== needsToken(operation)) {
          seen.push(`${method.toUpperCase()} ${path}: ${res.status}`);
        }
      }
      expect(seen).toEqual([]);
    });

    it('a route that documents FORBIDDEN refuses a customer with it', async () => {
      const forbidden = calls().filter(([, , operation]) =>
        JSON.stringify(operation.responses['403'] ?? {}).includes('"FORBIDDEN"'),
      );
      expect(forbidden.length).toBeGreaterThan(0);
      for (const [method, path] of forbidden) {
        const res = await send(method, path, alice);
        expect([`${method} ${path}`, res.status, code(res)]).toEqual([
          `${method} ${path}`,
          403,
          'FORBIDDEN',
        ]);
      }
    });
  });

  describe('request bodies: the document refuses what the server refuses', () => {
    it('a valid body is accepted by both', async () => {
      const input = buildUserInput();
      expect(contract.requestBodyViolations('POST', '/api/v1/users', input)).toEqual([]);
      await t.http.post('/api/v1/users').send(input).expect(201);
    });

    it('an unknown property (additionalProperties: false)', async () => {
      const body = { ...buildUserInput(), role: 'admin' };
      const res = await t.http.post('/api/v1/users').send(body).expect(400);
      expect(code(res)).toBe('VALIDATION_FAILED');
      expect(contract.requestBodyViolations('POST', '/api/v1/users', body)).not.toEqual([]);
    });

    it('an unknown property of a nested object', async () => {
      const body = { items: [{ productId: product.id, quantity: 1, unitPriceCents: 1 }] };
      const res = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send(body)
        .expect(400);
      expect(code(res)).toBe('VALIDATION_FAILED');
      expect(contract.requestBodyViolations('POST', '/api/v1/orders', body)).not.toEqual([]);
    });

    it('an empty PATCH of a product (the schema requires one of its fields)', async () => {
      const path = `/api/v1/products/${product.id}`;
      const res = await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({})
        .expect(400);
      expect(code(res)).toBe('VALIDATION_FAILED');
      expect(contract.requestBodyViolations('PATCH', path, {})).not.toEqual([]);
    });

    it('an empty PATCH of /users/me', async () => {
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(bob))
        .send({})
        .expect(400);
      expect(code(res)).toBe('VALIDATION_FAILED');
      expect(contract.requestBodyViolations('PATCH', '/api/v1/users/me', {})).not.toEqual([]);
    });

    it('a NUL character in a string', async () => {
      const body = buildUserInput({ name: 'Nul\u0000Name' });
      expect(contract.requestBodyViolations('POST', '/api/v1/users', body)).not.toEqual([]);
      const res = await t.http.post('/api/v1/users').send(body).expect(400);
      expect(code(res)).toBe('VALIDATION_FAILED');
    });
  });

  describe('Auth and Users', () => {
    it('POST /api/v1/users: 201, 400, 409', async () => {
      const input = buildUserInput();
      await t.http.post('/api/v1/users').send(input).expect(201);
      expect(code(await t.http.post('/api/v1/users').send(input).expect(409))).toBe(
        'USER_EMAIL_TAKEN',
      );
      const invalid = await t.http
        .post('/api/v1/users')
        .send({ ...input, email: 'nope' })
        .expect(400);
      expect(code(invalid)).toBe('VALIDATION_FAILED');
    });

    it('POST /api/v1/auth/login, /refresh, /logout: 200, 204, 401', async () => {
      const user = await createUser(t.http);
      const pair = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'wrong password' })
        .expect(401);
      const { refreshToken } = pair.body as { refreshToken: string };
      const rotated = await t.http.post('/api/v1/auth/refresh').send({ refreshToken }).expect(200);
      await t.http.post('/api/v1/auth/refresh').send({ refreshToken }).expect(401);
      await t.http
        .post('/api/v1/auth/logout')
        .send({ refreshToken: (rotated.body as { refreshToken: string }).refreshToken })
        .expect(204);
    });

    it('GET and PATCH /api/v1/users/me: 200, 401 with its challenge', async () => {
      await t.http
        .get('/api/v1/users/me')
        .set(...bearer(alice))
        .expect(200);
      await t.http.get('/api/v1/users/me').expect(401);
      await t.http.get('/api/v1/users/me').set('Authorization', 'Bearer not-a-token').expect(401);
      await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(alice))
        .send({ name: 'Alice' })
        .expect(200);
    });

    it('GET /api/v1/users and /users/{id}: 200, 400, 403, 404', async () => {
      await t.http
        .get('/api/v1/users?limit=2')
        .set(...bearer(admin))
        .expect(200);
      expect(
        code(
          await t.http
            .get('/api/v1/users')
            .set(...bearer(alice))
            .expect(403),
        ),
      ).toBe('FORBIDDEN');
      await t.http
        .get(`/api/v1/users/${alice.id}`)
        .set(...bearer(alice))
        .expect(200);
      await t.http
        .get(`/api/v1/users/${alice.id}`)
        .set(...bearer(bob))
        .expect(404);
      await t.http
        .get('/api/v1/users/not-a-uuid')
        .set(...bearer(admin))
        .expect(400);
    });

    it('PATCH /api/v1/users/{id}/role: 200, 400, 409', async () => {
      const user = await createUser(t.http);
      const path = `/api/v1/users/${user.id}/role`;
      await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({ role: 'customer' })
        .expect(200);
      await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({ role: 'root' })
        .expect(400);
      const last = await t.http
        .patch(`/api/v1/users/${admin.id}/role`)
        .set(...bearer(admin))
        .send({ role: 'customer' })
        .expect(409);
      expect(code(last)).toBe('USER_LAST_ADMIN');
    });
  });

  describe('Catalog', () => {
    it('GET /api/v1/products and /products/{id}: 200, 400, 404', async () => {
      await t.http.get('/api/v1/products?limit=1&q=SKU').expect(200);
      await t.http.get('/api/v1/products?limit=0').expect(400);
      await t.http.get(`/api/v1/products/${product.id}`).expect(200);
      await t.http.get(`/api/v1/products/${randomUUID()}`).expect(404);
    });

    it('POST and PATCH /api/v1/products: 201, 200, 403, 409', async () => {
      const input = buildProductInput();
      const created = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(input)
        .expect(201);
      await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(input)
        .expect(409);
      await t.http
        .post('/api/v1/products')
        .set(...bearer(alice))
        .send(input)
        .expect(403);
      await t.http
        .patch(`/api/v1/products/${(created.body as { id: string }).id}`)
        .set(...bearer(admin))
        .send({ stock: 7 })
        .expect(200);
    });
  });

  describe('Orders', () => {
    it('POST /api/v1/orders: 201, replay, 409, 422', async () => {
      const key = randomUUID();
      const body = { items: [{ productId: product.id, quantity: 1 }] };
      const send = (b: object): Promise<Response> =>
        t.http
          .post('/api/v1/orders')
          .set(...bearer(alice))
          .set('Idempotency-Key', key)
          .send(b);
      expect((await send(body)).status).toBe(201);
      const replay = await send(body);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(code(await send({ items: [{ productId: product.id, quantity: 2 }] }))).toBe(
        'IDEMPOTENCY_KEY_REUSED',
      );
      const tooMany = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send({ items: [{ productId: product.id, quantity: 1000 }] })
        .expect(409);
      expect(code(tooMany)).toBe('ORDER_INSUFFICIENT_STOCK');
      const unknown = await t.http
        .post('/api/v1/orders')
        .set(...bearer(alice))
        .send({ items: [{ productId: randomUUID(), quantity: 1 }] })
        .expect(422);
      expect(code(unknown)).toBe('ORDER_UNKNOWN_PRODUCT');
    });

    it('GET /api/v1/orders and /orders/{id}: 200, 403, 404', async () => {
      const order = await createOrder(t.http, alice, product);
      await t.http
        .get('/api/v1/orders?status=pending')
        .set(...bearer(alice))
        .expect(200);
      await t.http
        .get(`/api/v1/orders?userId=${bob.id}`)
        .set(...bearer(alice))
        .expect(403);
      await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(alice))
        .expect(200);
      await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(bob))
        .expect(404);
    });

    it('POST /api/v1/orders/{id}/cancel: 200, 409', async () => {
      const order = await createOrder(t.http, alice, product);
      const path = `/api/v1/orders/${order.id}/cancel`;
      await t.http
        .post(path)
        .set(...bearer(alice))
        .expect(200);
      expect(
        code(
          await t.http
            .post(path)
            .set(...bearer(alice))
            .expect(409),
        ),
      ).toBe('ORDER_ILLEGAL_TRANSITION');
    });

    it('POST /api/v1/orders/{id}/cancel: 412 on a stale If-Match', async () => {
      const order = await createOrder(t.http, alice, product);
      const res = await t.http
        .post(`/api/v1/orders/${order.id}/cancel`)
        .set(...bearer(alice))
        .set('If-Match', '"99"')
        .expect(412);
      expect(code(res)).toBe('ORDER_VERSION_MISMATCH');
    });

    it('PATCH /api/v1/orders/{id}/status: 200, 409, 412', async () => {
      const order = await createOrder(t.http, alice, product);
      const path = `/api/v1/orders/${order.id}/status`;
      const stale = await t.http
        .patch(path)
        .set(...bearer(admin))
        .set('If-Match', '"99"')
        .send({ status: 'paid' })
        .expect(412);
      expect(code(stale)).toBe('ORDER_VERSION_MISMATCH');
      await t.http
        .patch(path)
        .set(...bearer(admin))
        .set('If-Match', '"1"')
        .send({ status: 'paid' })
        .expect(200);
      await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({ status: 'pending' })
        .expect(409);
    });
  });

  describe('Operations', () => {
    it('GET /health, /ready and /metrics: 200', async () => {
      await t.http.get('/health').expect(200);
      await t.http.get('/ready').expect(200);
      await t.http.get('/metrics').expect(200);
    });
  });

  describe('conditional GETs: 304 on a matching If-None-Match', () => {
    const cases: Array<[string, () => string, () => TestUser | undefined]> = [
      ['GET /api/v1/products/{id}', () => `/api/v1/products/${product.id}`, () => undefined],
      ['GET /api/v1/products', () => '/api/v1/products', () => undefined],
      ['GET /api/v1/users/me', () => '/api/v1/users/me', () => alice],
      ['GET /health', () => '/health', () => undefined],
    ];
    it.each(cases)('%s', async (_name, path, user) => {
      const who = user();
      const get = () => {
        const req = t.http.get(path());
        return who === undefined ? req : req.set(...bearer(who));
      };
      const first = await get().expect(200);
      const etag = first.headers['etag'];
      expect(etag).toEqual(expect.any(String));
      const again = await get()
        .set('If-None-Match', etag as string)
        .expect(304);
      expect(again.text).toBe('');
    });

    it('GET /api/v1/orders/{id}: the order version is the ETag', async () => {
      const order = await createOrder(t.http, alice, product);
      await t.http
        .get(`/api/v1/orders/${order.id}`)
        .set(...bearer(alice))
        .set('If-None-Match', '"1"')
        .expect(304);
    });
  });

  describe('body parsing runs on every route: GET, cancel and the probes too', () => {
    it('400 MALFORMED_JSON on a GET and on cancel', async () => {
      const order = await createOrder(t.http, alice, product);
      for (const req of [
        t.http.get('/health'),
        t.http.get(`/api/v1/products/${product.id}`),
        t.http.post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(alice)),
      ]) {
        const res = await req.set('Content-Type', 'application/json').send('{').expect(400);
        expect(code(res)).toBe('MALFORMED_JSON');
      }
    });

    it('400 JSON_TOO_DEEP on a probe', async () => {
      const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
      const res = await t.http
        .get('/ready')
        .set('Content-Type', 'application/json')
        .send(deep)
        .expect(400);
      expect(code(res)).toBe('JSON_TOO_DEEP');
    });

    it('413 on a probe and on a GET', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(200_000) });
      for (const path of ['/metrics', '/api/v1/users/me']) {
        const res = await t.http
          .get(path)
          .set(...bearer(alice))
          .set('Content-Type', 'application/json')
          .send(big)
          .expect(413);
        expect(code(res)).toBe('PAYLOAD_TOO_LARGE');
      }
    });

    it('415 on cancel and on a GET', async () => {
      const order = await createOrder(t.http, alice, product);
      for (const req of [
        t.http.post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(alice)),
        t.http.get('/api/v1/orders').set(...bearer(alice)),
      ]) {
        const res = await req.set('Content-Type', 'text/plain').send('hello').expect(415);
        expect(code(res)).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
    });
  });

  describe('errors outside any one operation', () => {
    it('404 ROUTE_NOT_FOUND', async () => {
      expect(code(await t.http.get('/api/v1/nothing-here').expect(404))).toBe('ROUTE_NOT_FOUND');
    });

    it('431 on a request head over the limit, from the HTTP parser', async () => {
      const res = await t.http.get('/health').set('X-Padding', 'x'.repeat(20_000)).expect(431);
      expect(code(res)).toBe('HTTP_ERROR');
    });
  });

  describe('429 with Retry-After', () => {
    const limited = useTestApp(
      { RATE_LIMIT_MAX: '1', RATE_LIMIT_TTL_MS: '60000' },
      { database: t.db, contract: true },
    );

    it('GET /api/v1/products over the limit', async () => {
      await limited.http.get('/api/v1/products').expect(200);
      expect(code(await limited.http.get('/api/v1/products').expect(429))).toBe('RATE_LIMITED');
    });
  });
});
