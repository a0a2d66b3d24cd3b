import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Request } from 'express';

import { ForbiddenError, UnauthorizedError } from '../errors/app-error';
import { CoreErrorCode } from '../errors/core-error-codes';
import { accessRuleOf, type AccessRule } from './access-rule';
import { setAuthenticatedUser, type AuthenticatedUser } from './auth-context';

/**
 * The port an authentication module implements (the auth module binds its JWT
 * authenticator to this token). Core decides *when* to authenticate, not *how*.
 */
export abstract class Authenticator {
  /**
   * Resolves the caller or throws an UnauthorizedError. `rule` is what the route declares,
   * for checks of the authenticator's own on top of roles (a second factor for admin routes):
   * those throw a ForbiddenError.
   */
  abstract authenticate(request: Request, rule: AccessRule): Promise<AuthenticatedUser>;
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
/** What a route declares about access (`@Public()`, `@Roles()`), read once per handler. */
@Injectable()
export class AccessGuard implements CanActivate, OnModuleInit {
  private authenticator: Authenticator | null = null;
  /** By controller class, then handler: a handler inherited by two controllers has two rules. */
  private readonly rules = new WeakMap<object, WeakMap<object, AccessRule>>();

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    try {
      this.authenticator = this.moduleRef.get(Authenticator, { strict: false });
    } catch {
      this.authenticator = null;
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.ruleOf(context);
    if (rule.isPublic) {
      return true;
    }
    if (this.authenticator === null) {
      throw new AuthenticationUnavailableError();
    }
    const request = context.switchToHttp().getRequest<Request>();
    const user = await this.authenticator.authenticate(request, rule);
    setAuthenticatedUser(request, user);
    if (rule.roles !== undefined && !rule.roles.includes(user.role)) {
      throw new RoleRequiredError();
    }
    return true;
  }

  /** Decorators are fixed once the app is built: their metadata is read once per handler. */
  private ruleOf(context: ExecutionContext): AccessRule {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.rules.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.rules.set(controller, byHandler);
    }
    let rule = byHandler.get(handler);
    if (rule === undefined) {
      rule = accessRuleOf(handler, controller);
      byHandler.set(handler, rule);
    }
    return rule;
  }
}
