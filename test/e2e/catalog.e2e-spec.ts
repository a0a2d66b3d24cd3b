import { bearer, createAdmin, createUser, type TestUser } from '../factories/users';
import { buildProductInput, createProduct } from '../factories/products';
import { useTestApp } from '../utils/test-app';

describe('catalog', () => {
  const t = useTestApp();
  let admin: TestUser;
  let customer: TestUser;

  beforeAll(async () => {
    admin = await createAdmin(t.app);
    customer = await createUser(t.http);
  });

  describe('POST /api/v1/products', () => {
    it('creates a product for an admin, with Location', async () => {
      const input = buildProductInput({
        sku: 'MUG-001',
        name: ' Mug ',
        priceCents: 1250,
        stock: 3,
      });
      const res = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(input)
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        sku: 'MUG-001',
        name: 'Mug',
        priceCents: 1250,
        currency: 'EUR',
        stock: 3,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.headers.location).toBe(`/api/v1/products/${res.body.id as string}`);
    });

    it('defaults the currency to EUR', async () => {
      const { sku, name, priceCents, stock } = buildProductInput();
      const input = { sku, name, priceCents, stock };
      const res = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(input)
        .expect(201);
      expect(res.body.currency).toBe('EUR');
    });

    it('refuses a duplicate SKU with 409', async () => {
      const product = await createProduct(t.http, admin);
      const res = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send(buildProductInput({ sku: product.sku }))
        .expect(409);
      expect(res.body).toMatchObject({
        status: 409,
        code: 'PRODUCT_SKU_TAKEN',
        detail: `A product with SKU ${product.sku} already exists`,
      });
    });

    it('is refused to customers (403) and to anonymous callers (401)', async () => {
      await t.http
        .post('/api/v1/products')
        .set(...bearer(customer))
        .send(buildProductInput())
        .expect(403);
      await t.http.post('/api/v1/products').send(buildProductInput()).expect(401);
    });

    it.each([
      ['a lower-case SKU', { sku: 'abc' }, 'sku'],
      ['a float price', { priceCents: 19.99 }, 'priceCents'],
      ['a price over 100000000', { priceCents: 100_000_001 }, 'priceCents'],
      ['a negative stock', { stock: -1 }, 'stock'],
      ['a bad currency', { currency: 'euro' }, 'currency'],
      ['a client-set id', { id: '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d' }, 'id'],
    ])('refuses %s with 400', async (_label, override, field) => {
      const res = await t.http
        .post('/api/v1/products')
        .set(...bearer(admin))
        .send({ ...buildProductInput(), ...override })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toEqual([field]);
    });
  });

  describe('GET /api/v1/products/:id', () => {
    it('is public', async () => {
      const product = await createProduct(t.http, admin);
      await t.http.get(`/api/v1/products/${product.id}`).expect(200, product);
    });

    it('answers 404 for an unknown id, 400 for a malformed one', async () => {
      const res = await t.http
        .get('/api/v1/products/0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d')
        .expect(404);
      expect(res.body).toMatchObject({ code: 'PRODUCT_NOT_FOUND' });
      await t.http.get('/api/v1/products/nope').expect(400);
    });
  });

  describe('GET /api/v1/products', () => {
    it('searches name or SKU case-insensitively, treating % and _ literally', async () => {
      const tag = `Q${Date.now()}`;
      const byName = await createProduct(t.http, admin, { name: `Blue ${tag} kettle` });
      const bySku = await createProduct(t.http, admin, { sku: `${tag.toUpperCase()}-X` });
      await createProduct(t.http, admin, { name: 'Unrelated' });
      const res = await t.http.get(`/api/v1/products?q=${tag.toLowerCase()}`).expect(200);
      expect((res.body.data as Array<{ id: string }>).map((p) => p.id)).toEqual([
        bySku.id,
        byName.id,
      ]);
      const wildcard = await t.http.get('/api/v1/products?q=%25').expect(200);
      expect(wildcard.body.data).toEqual([]);
    });

    it('pages newest first', async () => {
      const made = [await createProduct(t.http, admin), await createProduct(t.http, admin)];
      const first = await t.http.get('/api/v1/products?limit=1').expect(200);
      expect(first.body.data[0].id).toBe(made[1]?.id);
      const second = await t.http
        .get(`/api/v1/products?limit=1&cursor=${first.body.nextCursor as string}`)
        .expect(200);
      expect(second.body.data[0].id).toBe(made[0]?.id);
    });
  });

  describe('PATCH /api/v1/products/:id', () => {
    it('updates name, price and stock for an admin', async () => {
      const product = await createProduct(t.http, admin);
      const res = await t.http
        .patch(`/api/v1/products/${product.id}`)
        .set(...bearer(admin))
        .send({ name: 'Renamed', priceCents: 500, stock: 42 })
        .expect(200);
      expect(res.body).toMatchObject({
        id: product.id,
        sku: product.sku,
        name: 'Renamed',
        priceCents: 500,
        stock: 42,
      });
    });

    it('refuses the SKU, the currency and an empty body', async () => {
      const product = await createProduct(t.http, admin);
      for (const body of [{ sku: 'NEW-SKU' }, { currency: 'USD' }, {}]) {
        await t.http
          .patch(`/api/v1/products/${product.id}`)
          .set(...bearer(admin))
          .send(body)
          .expect(400);
      }
    });

    it('answers 404 for an unknown product and 403 for a customer', async () => {
      await t.http
        .patch('/api/v1/products/0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d')
        .set(...bearer(admin))
        .send({ stock: 1 })
        .expect(404);
      const product = await createProduct(t.http, admin);
      await t.http
        .patch(`/api/v1/products/${product.id}`)
        .set(...bearer(customer))
        .send({ stock: 1 })
        .expect(403);
    });
  });
});
