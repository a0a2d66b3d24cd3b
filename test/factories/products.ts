import { randomBytes } from 'node:crypto';

import type TestAgent from 'supertest/lib/agent';

import { bearer, type TestUser } from './users';

export interface TestProduct {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
}

export function buildProductInput(
  overrides: Partial<Omit<TestProduct, 'id'>> = {},
): Omit<TestProduct, 'id'> {
  return {
    sku: `SKU-${randomBytes(4).toString('hex').toUpperCase()}`,
    name: 'Widget',
    priceCents: 1999,
    currency: 'EUR',
    stock: 10,
    ...overrides,
  };
}

/** Creates a product through the admin API. */
export async function createProduct(
  http: TestAgent,
  admin: TestUser,
  overrides: Partial<Omit<TestProduct, 'id'>> = {},
): Promise<TestProduct> {
  const res = await http
    .post('/api/v1/products')
    .set(...bearer(admin))
    .send(buildProductInput(overrides))
    .expect(201);
  return res.body as TestProduct;
}
