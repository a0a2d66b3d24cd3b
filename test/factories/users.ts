import { randomBytes } from 'node:crypto';

import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

import { UsersService } from '../../src/modules/users/users.service';

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly password: string;
  readonly role: 'customer' | 'admin';
  readonly accessToken: string;
  readonly refreshToken: string;
}

let sequence = 0;

export function buildUserInput(
  overrides: Partial<{ email: string; name: string; password: string }> = {},
): {
  email: string;
  name: string;
  password: string;
} {
  sequence += 1;
  return {
    email: `user${sequence}-${randomBytes(3).toString('hex')}@example.com`,
    name: `User ${sequence}`,
    password: `correct horse ${sequence}`,
    ...overrides,
  };
}

/** Registers through the API and logs in; each call uses a fresh client address for the login limit. */
export async function createUser(
  http: TestAgent,
  overrides: Partial<{ email: string; name: string; password: string }> = {},
): Promise<TestUser> {
  const input = buildUserInput(overrides);
  const created = await http.post('/api/v1/users').send(input).expect(201);
  const body = created.body as { id: string; role: 'customer' | 'admin' };
  const tokens = await login(http, input.email, input.password);
  return { ...input, id: body.id, role: body.role, ...tokens };
}

export async function login(
  http: TestAgent,
  email: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await http.post('/api/v1/auth/login').send({ email, password }).expect(200);
  return res.body as { accessToken: string; refreshToken: string };
}

/** An admin made the supported way (first admin), then logged in through the API. */
export async function createAdmin(app: INestApplication): Promise<TestUser> {
  const input = buildUserInput({ name: 'Admin' });
  const users = app.get(UsersService);
  const outcome = await users.createFirstAdmin(input.email, input.name, input.password);
  if (outcome !== 'created') {
    throw new Error(`could not create admin: ${outcome}`);
  }
  const http = request(app.getHttpServer());
  const tokens = await login(http, input.email, input.password);
  const me = await http
    .get('/api/v1/users/me')
    .set('Authorization', `Bearer ${tokens.accessToken}`)
    .expect(200);
  return { ...input, id: (me.body as { id: string }).id, role: 'admin', ...tokens };
}

export const bearer = (user: { accessToken: string }): [string, string] => [
  'Authorization',
  `Bearer ${user.accessToken}`,
];
