import type TestAgent from 'supertest/lib/agent';

import type { TestProduct } from './products';
import { bearer, type TestUser } from './users';

/** Places a one-line order for `user` through the API (201 expected); returns its id. */
export async function createOrder(
  http: TestAgent,
  user: TestUser,
  product: Pick<TestProduct, 'id'>,
  quantity = 1,
): Promise<{ readonly id: string }> {
  const res = await http
    .post('/api/v1/orders')
    .set(...bearer(user))
    .send({ items: [{ productId: product.id, quantity }] })
    .expect(201);
  return res.body as { id: string };
}
