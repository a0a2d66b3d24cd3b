import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Request } from 'express';

import { AppError } from '../errors/app-error';
import { AccessGuard, type Authenticator } from './access.guard';
import { Roles, getAuthenticatedUser, type AuthenticatedUser } from './auth-context';
import { Public } from './public.decorator';

@Controller()
class Routes {
  @Public()
  @Get()
  open(): void {}

  @Get()
  member(): void {}

  @Roles('admin')
  @Get()
  admin(): void {}
}

function contextFor(handler: keyof Routes, request: Partial<Request> = {}): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function guardWith(authenticator: Authenticator | null): AccessGuard {
  const moduleRef = {
    get: () => {
      if (authenticator === null) {
        throw new Error('no provider');
      }
      return authenticator;
    },
  } as unknown as ModuleRef;
  const guard = new AccessGuard(moduleRef);
  guard.onModuleInit();
  return guard;
}

const as = (user: AuthenticatedUser): Authenticator => ({
  authenticate: () => Promise.resolve(user),
});

async function statusOf(promise: Promise<unknown>): Promise<number | 'allowed'> {
  try {
    await promise;
    return 'allowed';
  } catch (error: unknown) {
    return error instanceof AppError ? error.status : -1;
  }
}

describe('AccessGuard', () => {
  it('lets @Public() routes through without asking the authenticator', async () => {
    const authenticate = jest.fn();
    await expect(guardWith({ authenticate }).canActivate(contextFor('open'))).resolves.toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('refuses every other route when no authenticator is bound', async () => {
    expect(await statusOf(guardWith(null).canActivate(contextFor('member')))).toBe(401);
  });

  it('puts the authenticated user on the request', async () => {
    const request: Partial<Request> = {};
    await guardWith(as({ id: 'u1', role: 'customer' })).canActivate(contextFor('member', request));
    expect(getAuthenticatedUser(request as Request)).toEqual({ id: 'u1', role: 'customer' });
  });

  it('passes on the authenticator refusal', async () => {
    const refusing: Authenticator = { authenticate: () => Promise.reject(new Error('bad token')) };
    await expect(guardWith(refusing).canActivate(contextFor('member'))).rejects.toThrow(
      'bad token',
    );
  });

  it('enforces @Roles(): 403 for another role, through for the right one', async () => {
    expect(
      await statusOf(
        guardWith(as({ id: 'u1', role: 'customer' })).canActivate(contextFor('admin')),
      ),
    ).toBe(403);
    expect(
      await statusOf(guardWith(as({ id: 'u2', role: 'admin' })).canActivate(contextFor('admin'))),
    ).toBe('allowed');
  });
});
