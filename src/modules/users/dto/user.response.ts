import { ApiProperty, ApiSchema } from '@nestjs/swagger';

import type { UserEntity } from '../user.entity';
import { USER_ROLES, type UserRole } from '../user-role';

/** The response shape; a class only so that the OpenAPI document can describe it. */
@ApiSchema({ name: 'User', description: 'An account. Never carries the password hash or tokens.' })
export class UserResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '0190c4b2-6c1e-7d2a-9a53-3f0c5e4b8a11' })
  readonly id!: string;

  @ApiProperty({
    format: 'email',
    maxLength: 255,
    description: 'Stored trimmed and lower-cased.',
    example: 'ada@example.com',
  })
  readonly email!: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ada Lovelace' })
  readonly name!: string;

  @ApiProperty({
    enum: USER_ROLES,
    enumName: 'UserRole',
    enumSchema: { description: 'What an account may do: `customer` or `admin`.' },
    description:
      'Registration creates `customer`s; admins are made by another admin or the seed command.',
    example: 'customer',
  })
  readonly role!: UserRole;

  @ApiProperty({
    description:
      'True once the owner followed a link mailed to `email` (verification or password ' +
      'reset). With `REQUIRE_VERIFIED_EMAIL=true`, placing an order needs it.',
    example: false,
  })
  readonly emailVerified!: boolean;

  @ApiProperty({ format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' })
  readonly createdAt!: string;

  @ApiProperty({ format: 'date-time', maxLength: 24, example: '2026-01-31T12:00:00.000Z' })
  readonly updatedAt!: string;
}

/** Whitelists what leaves the service: never the hash or revocation internals. */
export function toUserResponse(user: UserEntity): UserResponse {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
