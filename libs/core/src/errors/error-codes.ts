/**
 * Error codes and the statuses they are answered with, declared once per module:
 *
 * ```ts
 * export const OrdersErrorCode = defineErrorCodes({
 *   ORDER_NOT_FOUND: { status: 404 },
 * });
 * ```
 *
 * A code is its own name as a string (clients branch on it), typed with its status: an
 * `AppError` category accepts only codes of its status (`NotFoundError` a 404 code), a plain
 * string is no code at all, and a route that lists a code in `errors` documents it under
 * that status. Every table registers itself here when its module loads, so the OpenAPI
 * document and its checks know every code of the app without a list of modules.
 */

/** The statuses a problem response can have in this service. */
export type ProblemStatus =
  400 | 401 | 403 | 404 | 408 | 409 | 412 | 413 | 415 | 422 | 429 | 431 | 500 | 503;

declare const STATUS: unique symbol;

/** A code of a `defineErrorCodes()` table, answered with status `S`. */
export type ErrorCode<S extends ProblemStatus = ProblemStatus, C extends string = string> = C & {
  readonly [STATUS]: S;
};

export interface ErrorCodeEntry {
  /** The status it is answered with; several only for the platform's `HTTP_ERROR`. */
  readonly status: ProblemStatus | readonly [ProblemStatus, ...ProblemStatus[]];
  /**
   * Answered by every route that needs a bearer token: the `Authenticator`'s refusals. The
   * document lists these codes on the 401 of each such route.
   */
  readonly authentication?: true;
  /**
   * Answered by every route restricted to roles: the `Authenticator`'s own checks on top of
   * the role (a second factor for admins). The document lists these codes on their 403.
   */
  readonly restricted?: true;
}

type StatusOf<E extends ErrorCodeEntry> = E['status'] extends readonly (infer S)[]
  ? S
  : E['status'];

export type ErrorCodeTable<T extends Record<string, ErrorCodeEntry>> = {
  readonly [K in keyof T & string]: ErrorCode<StatusOf<T[K]> & ProblemStatus, K>;
};

export interface RegisteredErrorCode {
  readonly code: string;
  readonly statuses: readonly ProblemStatus[];
  readonly authentication: boolean;
  readonly restricted: boolean;
}

const registry = new Map<string, RegisteredErrorCode>();

const SCREAMING_SNAKE = /^[A-Z][A-Z0-9_]*$/;

/** Declares a module's codes; a code declared twice with different statuses throws. */
export function defineErrorCodes<const T extends Record<string, ErrorCodeEntry>>(
  table: T,
): ErrorCodeTable<T> {
  const codes: Record<string, string> = {};
  for (const [code, entry] of Object.entries(table)) {
    if (!SCREAMING_SNAKE.test(code)) {
      throw new Error(`Error code ${code} is not SCREAMING_SNAKE_CASE`);
    }
    const registered: RegisteredErrorCode = {
      code,
      statuses: typeof entry.status === 'number' ? [entry.status] : [...entry.status],
      authentication: entry.authentication === true,
      restricted: entry.restricted === true,
    };
    const known = registry.get(code);
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(registered)) {
      throw new Error(`Error code ${code} is declared twice, with different entries`);
    }
    registry.set(code, registered);
    codes[code] = code;
  }
  return Object.freeze(codes) as ErrorCodeTable<T>;
}

/** Every code of every table loaded so far, in declaration order. */
export function registeredErrorCodes(): readonly RegisteredErrorCode[] {
  return [...registry.values()];
}

/** The statuses `code` is declared with (empty for a code no table declares). */
export function statusesOf(code: string): readonly ProblemStatus[] {
  return registry.get(code)?.statuses ?? [];
}
