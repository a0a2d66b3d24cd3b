import { createTestApp, type TestApp } from '../utils/test-app';
import { ProbeModule } from '../utils/probe.module';

describe('embedded PGlite (no DATABASE_URL needed)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DATABASE_URL: 'pglite://memory' }, [ProbeModule]);
  }, 180_000);

  afterAll(async () => {
    await t.close();
  });

  it('GET /ready answers 200 with the database up', async () => {
    const res = await t.http.get('/ready').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      info: { lifecycle: { status: 'up' }, database: { status: 'up' } },
      error: {},
      details: { lifecycle: { status: 'up' }, database: { status: 'up' } },
    });
  });

  it('runs queries through the same pipeline', async () => {
    await t.http.get('/api/v1/_probe/db').expect(200, { one: 1 });
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
});
