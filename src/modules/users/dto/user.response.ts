import type { UserEntity } from '../user.entity';
import type { UserRole } from '../user-role';

export interface UserResponse {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Whitelists what leaves the service: never the hash or revocation internals. */
export function toUserResponse(user: UserEntity): UserResponse {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
