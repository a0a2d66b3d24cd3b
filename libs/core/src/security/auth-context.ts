import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * The application's role type, declared by the module that owns roles (declaration merging:
 * `declare module '@app/core' { interface RoleType { role: UserRole } }`), so that core stays
 * domain-agnostic and every role check and `@Roles()` is still typed. Unmerged: `string`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by merging
export interface RoleType {}

export type Role = RoleType extends { readonly role: infer R extends string } ? R : string;

/** Who made the request, as the authentication guard established it. */
export interface AuthenticatedUser {
  readonly id: string;
  readonly role: Role;
  /** The login the credentials belong to, when the authenticator knows one (session lists). */
  readonly sessionId?: string;
}

export const ROLES_KEY = 'roles';

/** Restricts a route to the given roles (checked after authentication). */
export const Roles = (...roles: readonly Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

type AuthenticatedRequest = Request & { user?: AuthenticatedUser };

export function setAuthenticatedUser(request: Request, user: AuthenticatedUser): void {
  (request as AuthenticatedRequest).user = user;
}

export function getAuthenticatedUser(request: Request): AuthenticatedUser | undefined {
  return (request as AuthenticatedRequest).user;
}

/** The authenticated caller; only valid on routes that are not @Public(). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthenticatedUser => {
    const user = getAuthenticatedUser(ctx.switchToHttp().getRequest<Request>());
    if (user === undefined) {
      throw new Error('@CurrentUser() used on a route without authentication');
    }
    return user;
  },
);
