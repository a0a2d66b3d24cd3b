import type { Response } from 'supertest';

import { createOrder } from '../factories/orders';
import { createProduct, type TestProduct } from '../factories/products';
import { bearer, buildUserInput, createAdmin, createUser, type TestUser } from '../factories/users';
import { useTestApp } from '../utils/test-app';

type Method = 'get' | 'post' | 'patch';
type Caller = 'anonymous' | 'customer' | 'admin';
type FieldError = { field: string; message: string };

/** One request: `body` is sent as is (a string is raw JSON, so `__proto__` stays a key). */
interface Case {
  readonly name: string;
  readonly method: Method;
  readonly path: () => string;
  readonly as: Caller;
  readonly body?: () => object | string;
}

/** A request and the one field its problem must name. */
interface FieldCase extends Case {
  readonly field: string;
}

const NUL = '\u0000';
const UNKNOWN_UUID = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';

describe('input validation (issue 11)', () => {
  const t = useTestApp();
  let admin: TestUser;
  let customer: TestUser;
  let product: TestProduct;
  let orderId: string;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    customer = await createUser(t.http);
    product = await createProduct(t.http, admin, { stock: 100 });
    orderId = (await createOrder(t.http, customer, product)).id;
  });

  const send = async (c: Case): Promise<Response> => {
    let req = t.http[c.method](c.path());
    if (c.as !== 'anonymous') {
      req = req.set(...bearer(c.as === 'admin' ? admin : customer));
    }
    const body = c.body?.();
    if (typeof body === 'string') {
      req = req.set('Content-Type', 'application/json');
    }
    return body === undefined ? req : req.send(body);
  };

  /** What a client sees: the status and the whole problem body. */
  const seen = (res: Response): { status: number; body: unknown } => ({
    status: res.status,
    body: res.body as unknown,
  });

  /** The whole problem body of a validation failure naming `errors`. */
  const validationProblem = (
    res: Response,
    path: string,
    errors: FieldError[],
  ): { status: number; body: unknown } => ({
    status: 400,
    body: {
      type: 'https://errors.example.com/bad-request',
      title: 'Bad Request',
      status: 400,
      detail:
        errors.length === 1
          ? `Validation failed: ${errors[0]!.message}`
          : `Validation failed for ${errors.length} fields`,
      instance: path.split('?')[0],
      code: 'VALIDATION_FAILED',
      requestId: res.headers['x-request-id'],
      errors,
    },
  });

  const validProduct = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    sku: `SKU-${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    name: 'Widget',
    priceCents: 100,
    stock: 1,
    ...overrides,
  });

  describe('a NUL character (U+0000) in any string → 400 naming the field', () => {
    const nul = (field: string): FieldError => ({
      field,
      message: `${field.split('.').findLast((part) => !/^\d+$/.test(part)) ?? field} must not contain NUL characters (U+0000)`,
    });

    const cases: FieldCase[] = [
      {
        name: 'POST /api/v1/users name',
        method: 'post',
        path: () => '/api/v1/users',
        as: 'anonymous',
        body: () => buildUserInput({ name: `Ada${NUL}` }),
        field: 'name',
      },
      {
        name: 'POST /api/v1/users password',
        method: 'post',
        path: () => '/api/v1/users',
        as: 'anonymous',
        body: () => buildUserInput({ password: `correct horse${NUL}` }),
        field: 'password',
      },
      {
        name: 'POST /api/v1/users email',
        method: 'post',
        path: () => '/api/v1/users',
        as: 'anonymous',
        body: () => buildUserInput({ email: `ada${NUL}@example.com` }),
        field: 'email',
      },
      {
        name: 'PATCH /api/v1/users/me name',
        method: 'patch',
        path: () => '/api/v1/users/me',
        as: 'customer',
        body: () => ({ name: `Grace${NUL}Hopper` }),
        field: 'name',
      },
      {
        name: 'PATCH /api/v1/users/me currentPassword',
        method: 'patch',
        path: () => '/api/v1/users/me',
        as: 'customer',
        body: () => ({ password: 'a brand new password', currentPassword: `x${NUL}` }),
        field: 'currentPassword',
      },
      {
        name: 'PATCH /api/v1/users/:id/role role',
        method: 'patch',
        path: () => `/api/v1/users/${customer.id}/role`,
        as: 'admin',
        body: () => ({ role: `admin${NUL}` }),
        field: 'role',
      },
      {
        name: 'GET /api/v1/users ?cursor=',
        method: 'get',
        path: () => '/api/v1/users?cursor=%00',
        as: 'admin',
        field: 'cursor',
      },
      {
        name: 'POST /api/v1/auth/login password',
        method: 'post',
        path: () => '/api/v1/auth/login',
        as: 'anonymous',
        body: () => ({ email: customer.email, password: `${customer.password}${NUL}` }),
        field: 'password',
      },
      {
        name: 'POST /api/v1/auth/refresh refreshToken',
        method: 'post',
        path: () => '/api/v1/auth/refresh',
        as: 'anonymous',
        body: () => ({ refreshToken: `abc${NUL}` }),
        field: 'refreshToken',
      },
      {
        name: 'POST /api/v1/auth/logout refreshToken',
        method: 'post',
        path: () => '/api/v1/auth/logout',
        as: 'anonymous',
        body: () => ({ refreshToken: `abc${NUL}` }),
        field: 'refreshToken',
      },
      {
        name: 'POST /api/v1/products name',
        method: 'post',
        path: () => '/api/v1/products',
        as: 'admin',
        body: () => validProduct({ name: `Mug${NUL}` }),
        field: 'name',
      },
      {
        name: 'POST /api/v1/products currency',
        method: 'post',
        path: () => '/api/v1/products',
        as: 'admin',
        body: () => validProduct({ currency: `EU${NUL}` }),
        field: 'currency',
      },
      {
        name: 'PATCH /api/v1/products/:id name',
        method: 'patch',
        path: () => `/api/v1/products/${product.id}`,
        as: 'admin',
        body: () => ({ name: `Mug${NUL}` }),
        field: 'name',
      },
      {
        name: 'GET /api/v1/products ?q=',
        method: 'get',
        path: () => '/api/v1/products?q=mu%00g',
        as: 'anonymous',
        field: 'q',
      },
      {
        name: 'POST /api/v1/orders items.0.productId',
        method: 'post',
        path: () => '/api/v1/orders',
        as: 'customer',
        body: () => ({ items: [{ productId: `${product.id}${NUL}`, quantity: 1 }] }),
        field: 'items.0.productId',
      },
      {
        name: 'GET /api/v1/orders ?status=',
        method: 'get',
        path: () => '/api/v1/orders?status=paid%00',
        as: 'customer',
        field: 'status',
      },
      {
        name: 'PATCH /api/v1/orders/:id/status status',
        method: 'patch',
        path: () => `/api/v1/orders/${orderId}/status`,
        as: 'admin',
        body: () => ({ status: `paid${NUL}` }),
        field: 'status',
      },
    ];

    it.each(cases)('$name', async ({ field, ...c }) => {
      const res = await send(c);
      expect(seen(res)).toEqual(validationProblem(res, c.path(), [nul(field)]));
    });

    it('GET /api/v1/products ?q= twice: each value is checked', async () => {
      const res = await t.http.get('/api/v1/products?q=mug&q=%00');
      expect(seen(res)).toEqual(
        validationProblem(res, '/api/v1/products', [
          nul('q.1'),
          {
            field: 'q',
            message:
              'q must be longer than or equal to 1 and shorter than or equal to 100 characters',
          },
        ]),
      );
    });

    it('names every failing field, the NUL one among the others', async () => {
      const res = await send({
        name: 'POST /api/v1/products',
        method: 'post',
        path: () => '/api/v1/products',
        as: 'admin',
        body: () => validProduct({ name: `Mug${NUL}`, priceCents: -1 }),
      });
      expect(seen(res)).toEqual(
        validationProblem(res, '/api/v1/products', [
          nul('name'),
          { field: 'priceCents', message: 'priceCents must not be less than 0' },
        ]),
      );
    });
  });

  describe('null in an optional, non-nullable field → 400 naming the field', () => {
    const notNull = (field: string): FieldError => ({
      field,
      message: `${field} must not be null`,
    });

    const cases: FieldCase[] = [
      {
        name: 'POST /api/v1/products currency',
        method: 'post',
        path: () => '/api/v1/products',
        as: 'admin',
        body: () => validProduct({ currency: null }),
        field: 'currency',
      },
      ...(['name', 'priceCents', 'stock'] as const).map((field): FieldCase => ({
        name: `PATCH /api/v1/products/:id ${field}`,
        method: 'patch',
        path: () => `/api/v1/products/${product.id}`,
        as: 'admin',
        body: () => ({ [field]: null }),
        field,
      })),
      {
        name: 'PATCH /api/v1/users/me name',
        method: 'patch',
        path: () => '/api/v1/users/me',
        as: 'customer',
        body: () => ({ name: null }),
        field: 'name',
      },
      {
        name: 'PATCH /api/v1/users/me password',
        method: 'patch',
        path: () => '/api/v1/users/me',
        as: 'customer',
        body: () => ({ password: null, currentPassword: customer.password }),
        field: 'password',
      },
    ];

    it.each(cases)('$name', async ({ field, ...c }) => {
      const res = await send(c);
      expect(seen(res)).toEqual(validationProblem(res, c.path(), [notNull(field)]));
    });

    it('still defaults an omitted currency to EUR', async () => {
      const res = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(validProduct())
        .expect(201);
      expect(res.body.currency).toBe('EUR');
    });
  });

  describe('prototype keys (__proto__, constructor, prototype) → 400 like any unknown field', () => {
    const unknown = (field: string): FieldError => ({
      field,
      message: `property ${field.split('.').pop() ?? field} should not exist`,
    });
    /** Raw JSON: a JS object literal would turn `__proto__` into the prototype, not a key. */
    const withKey = (json: () => object, key: string, value = '{"role":"admin"}'): string => {
      const text = JSON.stringify(json());
      return `{"${key}":${value},${text.slice(1)}`;
    };

    const bodies: Array<[string, Method, () => string, Caller, () => object]> = [
      ['POST /api/v1/users', 'post', () => '/api/v1/users', 'anonymous', () => buildUserInput()],
      [
        'PATCH /api/v1/users/me',
        'patch',
        () => '/api/v1/users/me',
        'customer',
        () => ({ name: 'Renamed' }),
      ],
      [
        'PATCH /api/v1/users/:id/role',
        'patch',
        () => `/api/v1/users/${customer.id}/role`,
        'admin',
        () => ({ role: 'customer' }),
      ],
      [
        'POST /api/v1/auth/login',
        'post',
        () => '/api/v1/auth/login',
        'anonymous',
        () => ({ email: customer.email, password: customer.password }),
      ],
      [
        'POST /api/v1/auth/refresh',
        'post',
        () => '/api/v1/auth/refresh',
        'anonymous',
        () => ({ refreshToken: 'made-up' }),
      ],
      [
        'POST /api/v1/auth/logout',
        'post',
        () => '/api/v1/auth/logout',
        'anonymous',
        () => ({ refreshToken: 'made-up' }),
      ],
      ['POST /api/v1/products', 'post', () => '/api/v1/products', 'admin', () => validProduct()],
      [
        'PATCH /api/v1/products/:id',
        'patch',
        () => `/api/v1/products/${product.id}`,
        'admin',
        () => ({ stock: 100 }),
      ],
      [
        'POST /api/v1/orders',
        'post',
        () => '/api/v1/orders',
        'customer',
        () => ({ items: [{ productId: product.id, quantity: 1 }] }),
      ],
      [
        'PATCH /api/v1/orders/:id/status',
        'patch',
        () => `/api/v1/orders/${orderId}/status`,
        'admin',
        () => ({ status: 'pending' }),
      ],
    ];
    const cases = bodies.flatMap(([route, method, path, as, json]) =>
      ['__proto__', 'constructor', 'prototype'].map((key): FieldCase => ({
        name: `${route} ${key}`,
        method,
        path,
        as,
        body: () => withKey(json, key),
        field: key,
      })),
    );

    it.each(cases)('$name', async ({ field, ...c }) => {
      const res = await send(c);
      expect(seen(res)).toEqual(validationProblem(res, c.path(), [unknown(field)]));
    });

    it('POST /api/v1/orders: in a nested line, with a dotted path', async () => {
      const body = `{"items":[{"productId":"${product.id}","quantity":1,"__proto__":{"x":1}}]}`;
      const res = await send({
        name: 'nested',
        method: 'post',
        path: () => '/api/v1/orders',
        as: 'customer',
        body: () => body,
      });
      expect(seen(res)).toEqual(
        validationProblem(res, '/api/v1/orders', [unknown('items.0.__proto__')]),
      );
    });

    it.each([
      ['/api/v1/products?__proto__=x', 'anonymous', '__proto__'],
      ['/api/v1/products?constructor=x', 'anonymous', 'constructor'],
      ['/api/v1/orders?__proto__=x', 'customer', '__proto__'],
      ['/api/v1/users?constructor=x', 'admin', 'constructor'],
    ] as const)('GET %s (in the query string)', async (path, as, field) => {
      const res = await send({ name: path, method: 'get', path: () => path, as });
      expect(seen(res)).toEqual(validationProblem(res, path, [unknown(field)]));
    });
  });

  describe('refresh tokens that break the documented pattern → 400', () => {
    const message = 'refreshToken must be 1 to 200 characters of A-Z, a-z, 0-9, _ and -';

    it.each([
      ['/api/v1/auth/refresh', 'has spaces'],
      ['/api/v1/auth/refresh', '<script>'],
      ['/api/v1/auth/refresh', 'a+b/c='],
      ['/api/v1/auth/logout', 'has spaces'],
      ['/api/v1/auth/logout', '<script>'],
      ['/api/v1/auth/logout', 'a+b/c='],
    ])('POST %s with %j', async (path, refreshToken) => {
      const res = await t.http.post(path).send({ refreshToken });
      expect(seen(res)).toEqual(validationProblem(res, path, [{ field: 'refreshToken', message }]));
    });

    it('a well-formed token that was never issued stays a 401 (refresh) and 204 (logout)', async () => {
      const res = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: 'made-up_TOKEN-0' })
        .expect(401);
      expect(res.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
      await t.http
        .post('/api/v1/auth/logout')
        .send({ refreshToken: 'made-up_TOKEN-0' })
        .expect(204);
    });
  });

  describe('PATCH bodies that change nothing → 400', () => {
    it.each([
      ['PATCH /api/v1/users/me {}', {}],
      ['PATCH /api/v1/users/me with currentPassword alone', { currentPassword: 'whatever-it-is' }],
    ])('%s', async (_title, body) => {
      const res = await t.http
        .patch('/api/v1/users/me')
        .set(...bearer(customer))
        .send(body);
      expect(seen(res)).toEqual(
        validationProblem(res, '/api/v1/users/me', [
          { field: 'body', message: 'send at least one of name, password' },
        ]),
      );
    });

    it('PATCH /api/v1/products/:id {}', async () => {
      const path = `/api/v1/products/${product.id}`;
      const res = await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({});
      expect(seen(res)).toEqual(
        validationProblem(res, path, [
          { field: 'body', message: 'send at least one of name, priceCents, stock' },
        ]),
      );
    });

    it('PATCH /api/v1/products/:id {} is refused before the product is looked up', async () => {
      const path = `/api/v1/products/${UNKNOWN_UUID}`;
      const res = await t.http
        .patch(path)
        .set(...bearer(admin))
        .send({});
      expect(seen(res)).toEqual(
        validationProblem(res, path, [
          { field: 'body', message: 'send at least one of name, priceCents, stock' },
        ]),
      );
    });

    it.each([
      ['PATCH /api/v1/users/:id/role', () => `/api/v1/users/${customer.id}/role`, 'role'],
      ['PATCH /api/v1/orders/:id/status', () => `/api/v1/orders/${orderId}/status`, 'status'],
    ])('%s {} names its required field', async (_route, path, field) => {
      const res = await t.http
        .patch(path())
        .set(...bearer(admin))
        .send({});
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });
  });
});
