import { createProduct } from '../factories/products';
import { bearer, createAdmin, createUser } from '../factories/users';
import { ProbeModule } from '../utils/probe.module';
import { useTestApp } from '../utils/test-app';

/** The same migrations, queries and locks on embedded PGlite (the no-setup default). */
describe('embedded PGlite (no DATABASE_URL needed)', () => {
  const t = useTestApp(
    { DATABASE_URL: 'pglite://memory' },
    { imports: [ProbeModule], database: false, startTimeoutMs: 180_000 },
  );

  it('GET /ready answers 200 with the database up', async () => {
    const res = await t.http.get('/ready').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: { lifecycle: { status: 'up' }, database: { status: 'up' } },
      error: {},
      details: { lifecycle: { status: 'up' }, database: { status: 'up' } },
    });
  });

  it('answers an unknown route with problem details', async () => {
    const res = await t.http.get('/api/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
  });

  it('maps a unique violation to 409 on PGlite too', async () => {
    const res = await t.http.get('/api/v1/_probe/db-unique').expect(409);
    expect(res.body).toMatchObject({ code: 'RESOURCE_CONFLICT' });
  });

  it('registers, logs in and refreshes', async () => {
    const user = await createUser(t.http);
    await t.http
      .get('/api/v1/users/me')
      .set(...bearer(user))
      .expect(200);
    const rotated = await t.http
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(200);
    expect(rotated.body.tokenType).toBe('Bearer');
    await t.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
  });

  it('sells 5 units exactly once under 15 concurrent orders, and replays an idempotent retry', async () => {
    const admin = await createAdmin(t.app);
    const customer = await createUser(t.http);
    const product = await createProduct(t.http, admin, { stock: 5 });
    const place = (key?: string) => {
      const req = t.http.post('/api/v1/orders').set(...bearer(customer));
      return (key === undefined ? req : req.set('Idempotency-Key', key)).send({
        items: [{ productId: product.id, quantity: 1 }],
      });
    };
    const results = await Promise.all(Array.from({ length: 15 }, () => place()));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409)).toHaveLength(10);
    const stock = await t.http.get(`/api/v1/products/${product.id}`).expect(200);
    expect(stock.body.stock).toBe(0);

    await t.http
      .patch(`/api/v1/products/${product.id}`)
      .set(...bearer(admin))
      .send({ stock: 1 })
      .expect(200);
    const first = await place('pglite-key').expect(201);
    const retry = await place('pglite-key').expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    await t.http
      .post(`/api/v1/orders/${first.body.id as string}/cancel`)
      .set(...bearer(customer))
      .expect(200);
  });
});
