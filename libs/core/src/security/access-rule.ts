import { ROLES_KEY, type Role } from './auth-context';
import { IS_PUBLIC_KEY } from './public.decorator';

/** Who may call a route, as its decorators declare it. */
export interface AccessRule {
  readonly isPublic: boolean;
  /** Undefined: every authenticated caller may call it. */
  readonly roles: readonly Role[] | undefined;
}

const declared = (key: string, handler: object, controller: object): unknown =>
  Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);

/**
 * The one reading of `@Public()` and `@Roles()` (the handler's, else its controller's): the
 * AccessGuard enforces it and the OpenAPI document describes it, so the two cannot disagree.
 */
export function accessRuleOf(handler: object, controller: object): AccessRule {
  return {
    isPublic: declared(IS_PUBLIC_KEY, handler, controller) === true,
    roles: declared(ROLES_KEY, handler, controller) as readonly Role[] | undefined,
  };
}
