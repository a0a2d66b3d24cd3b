import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Request } from 'express';

import { ForbiddenError, UnauthorizedError } from '../errors/app-error';
import { CoreErrorCode } from '../errors/core-error-codes';
import { ROLES_KEY, setAuthenticatedUser, type AuthenticatedUser } from './auth-context';
import { IS_PUBLIC_KEY } from './public.decorator';

/**
 * The port an authentication module implements (the auth module binds its JWT
 * authenticator to this token). Core decides *when* to authenticate, not *how*.
 */
export abstract class Authenticator {
  /** Resolves the caller or throws an UnauthorizedError. */
  abstract authenticate(request: Request): Promise<AuthenticatedUser>;
}

class AuthenticationUnavailableError extends UnauthorizedError {
  readonly code = CoreErrorCode.UNAUTHENTICATED;
  constructor() {
    super('Authentication required');
  }
}

class RoleRequiredError extends ForbiddenError {
  readonly code = CoreErrorCode.FORBIDDEN;
  constructor() {
    super('Your role does not allow this');
  }
}

/**
 * Global guard after the rate limiter (so refused credentials still count against the
 * limit): every route is authenticated unless @Public(), then @Roles() is enforced.
 */
@Injectable()
export class AccessGuard implements CanActivate, OnModuleInit {
  private authenticator: Authenticator | null = null;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    try {
      this.authenticator = this.moduleRef.get(Authenticator, { strict: false });
    } catch {
      this.authenticator = null;
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) {
      return true;
    }
    if (this.authenticator === null) {
      throw new AuthenticationUnavailableError();
    }
    const request = context.switchToHttp().getRequest<Request>();
    const user = await this.authenticator.authenticate(request);
    setAuthenticatedUser(request, user);
    const roles = this.reflector.getAllAndOverride<readonly string[] | undefined>(
      ROLES_KEY,
      targets,
    );
    if (roles !== undefined && !roles.includes(user.role)) {
      throw new RoleRequiredError();
    }
    return true;
  }
}
