import { createProduct } from '../factories/products';
import { bearer, createAdmin, createUser } from '../factories/users';
import { useTestApp } from '../utils/test-app';

describe('GET /metrics', () => {
  const t = useTestApp();

  const scrape = async (): Promise<string> => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return res.text;
  };

  it('exposes process, Node and event-loop defaults', async () => {
    const text = await scrape();
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_external_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('times requests by route template, never by raw URL', async () => {
    const id = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';
    await t.http.get(`/api/v1/products/${id}`).expect(404);
    await t.http.get('/api/v1/no/such/route').expect(404);
    const text = await scrape();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/products\/:id",status_code="404"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/,
    );
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/route');
  });

  it('reports the database pool', async () => {
    const text = await scrape();
    expect(text).toMatch(/db_pool_connections\{state="total"\} [1-9]/);
    expect(text).toMatch(/db_pool_connections\{state="idle"\} \d+/);
    expect(text).toMatch(/db_pool_connections\{state="waiting"\} 0/);
  });

  it('counts orders placed and failed by reason', async () => {
    const admin = await createAdmin(t.app);
    const customer = await createUser(t.http);
    const product = await createProduct(t.http, admin, { stock: 1 });
    const order = { items: [{ productId: product.id, quantity: 1 }] };
    await t.http
      .post('/api/v1/orders')
      .set(...bearer(customer))
      .send(order)
      .expect(201);
    await t.http
      .post('/api/v1/orders')
      .set(...bearer(customer))
      .send(order)
      .expect(409);
    const text = await scrape();
    expect(text).toMatch(/orders_placed_total 1/);
    expect(text).toMatch(/orders_failed_total\{reason="ORDER_INSUFFICIENT_STOCK"\} 1/);
  });
});
