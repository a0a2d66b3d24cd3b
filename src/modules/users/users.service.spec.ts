import type { AppConfig, TransactionRunner } from '@app/core';

import type { PasswordHasher } from './password-hasher';
import type { UserEntity } from './user.entity';
import { UserRole } from './user-role';
import type { UsersConfig } from './users.config';
import type { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

const ID = '0190c4b2-7d3e-7a1b-8c2d-3e4f5a6b7c8d';
const config = { cache: { max: 10, ttlMs: 60_000 } } as unknown as AppConfig;

const user = (role: UserRole): UserEntity =>
  ({ id: ID, role, tokenVersion: 0, createdAt: new Date(0), updatedAt: new Date(0) }) as UserEntity;

describe('UsersService principal cache', () => {
  it('does not cache a lookup that began before a role change committed', async () => {
    let release: (found: UserEntity) => void = () => undefined;
    const findById = jest
      .fn<Promise<UserEntity | null>, [string]>()
      .mockImplementationOnce(
        () =>
          new Promise((resolve) => {
            release = resolve;
          }),
      )
      .mockResolvedValue(user(UserRole.CUSTOMER));
    const repository = {
      findById,
      updateRole: () => Promise.resolve(user(UserRole.CUSTOMER)),
    } as unknown as UsersRepository;
    const service = new UsersService(
      repository,
      {} as PasswordHasher,
      {} as TransactionRunner,
      config,
      {} as UsersConfig,
    );

    const slow = service.findPrincipal(ID);
    await service.changeRole(ID, UserRole.CUSTOMER);
    release(user(UserRole.ADMIN));
    // The request that started before the change may still see the old role...
    await expect(slow).resolves.toMatchObject({ role: UserRole.ADMIN });
    // ...but no later one: the stale read was not cached.
    await expect(service.findPrincipal(ID)).resolves.toMatchObject({ role: UserRole.CUSTOMER });
    expect(findById).toHaveBeenCalledTimes(2);
  });
});
