import {
  DatabaseUnavailableError,
  ResourceConflictError,
  type AppError,
} from '../errors/app-error';

/** SQLSTATE codes the platform understands. */
export const PgErrorCode = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
} as const;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/** pg's message for a query that outlived its client-side `query_timeout`. */
export const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'connection timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'Connection is not established',
  // pg's client-side query_timeout (a stalled network), and a query on the connection it closed.
  QUERY_TIMEOUT_MESSAGE,
  'Client was closed and is not queryable',
];

function readCode(error: object): string | undefined {
  const direct = (error as { code?: unknown }).code;
  if (typeof direct === 'string') {
    return direct;
  }
  const driver = (error as { driverError?: unknown }).driverError;
  if (typeof driver === 'object' && driver !== null) {
    const code = (driver as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The SQLSTATE (or Node network code) of a driver or TypeORM error, if any. */
export function databaseErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? readCode(error) : undefined;
}

/**
 * A unit of work found, past its own retries, that rows it read kept changing before it
 * could write (a placement whose quote a concurrent edit outdated three times). The client
 * sees what a serialization failure past its retries gives: 503 `DEPENDENCY_UNAVAILABLE`
 * with `Retry-After`. It is an AppError, not a pretend SQLSTATE: nothing retries it again.
 */
export class ConcurrentChangeError extends DatabaseUnavailableError {
  constructor(what: string) {
    super({ cause: new Error(`${what} changed during the unit of work`) });
  }
}

/** True for serialization failures and deadlocks: the transaction may simply be retried. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code === PgErrorCode.SERIALIZATION_FAILURE || code === PgErrorCode.DEADLOCK_DETECTED;
}

/** True when the database cannot be reached or refused to work: a 503, not a bug. */
export function isDatabaseUnavailableError(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (vm, Jest).
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const code = databaseErrorCode(error);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || code.startsWith('08')) {
      return true;
    }
    if (
      code === PgErrorCode.QUERY_CANCELED ||
      code === PgErrorCode.ADMIN_SHUTDOWN ||
      code === PgErrorCode.CRASH_SHUTDOWN ||
      code === PgErrorCode.CANNOT_CONNECT_NOW ||
      code === PgErrorCode.TOO_MANY_CONNECTIONS
    ) {
      return true;
    }
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}

/**
 * Generic translation used by the global filter for database errors no repository
 * claimed: connection loss, pool exhaustion and timeouts are 503; an unclaimed unique
 * violation is a 409; a serialization failure that outlived its retries is a 503.
 * Anything else is not a database condition the client can act on (null: a 500).
 */
export function translateDatabaseError(error: unknown): AppError | null {
  if (isDatabaseUnavailableError(error) || isRetryableTransactionError(error)) {
    return new DatabaseUnavailableError({ cause: error });
  }
  if (databaseErrorCode(error) === PgErrorCode.UNIQUE_VIOLATION) {
    return new ResourceConflictError(undefined, { cause: error });
  }
  return null;
}
