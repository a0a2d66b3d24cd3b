import { DatabaseUnavailableError, ResourceConflictError } from '../errors/app-error';
import {
  ConcurrentChangeError,
  isRetryableTransactionError,
  translateDatabaseError,
} from './database-errors';

const pgError = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('translateDatabaseError', () => {
  it.each([
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['pool exhausted', new Error('timeout exceeded when trying to connect')],
    ['statement timeout', pgError('57014')],
    ['server shutting down', pgError('57P01')],
    ['connection exception class', pgError('08006')],
    ['serialization failure past its retries', pgError('40001')],
    ['client-side query timeout (stalled network)', new Error('Query read timeout')],
    [
      'client-side query timeout through a TypeORM QueryFailedError',
      Object.assign(new Error('Query read timeout'), {
        driverError: new Error('Query read timeout'),
      }),
    ],
    [
      'a query on the connection closed after a timeout',
      new Error('Client was closed and is not queryable'),
    ],
  ])('%s → 503 with Retry-After', (_label, error) => {
    const translated = translateDatabaseError(error);
    expect(translated).toBeInstanceOf(DatabaseUnavailableError);
    expect(translated?.headers).toEqual({ 'Retry-After': '5' });
  });

  it('reads the SQLSTATE through a TypeORM driverError', () => {
    const wrapped = Object.assign(new Error('duplicate'), { driverError: { code: '23505' } });
    expect(translateDatabaseError(wrapped)).toBeInstanceOf(ResourceConflictError);
  });

  it('leaves programming errors (syntax, missing table) to become 500s', () => {
    expect(translateDatabaseError(pgError('42601'))).toBeNull();
    expect(translateDatabaseError(pgError('42P01'))).toBeNull();
    expect(translateDatabaseError(new Error('boom'))).toBeNull();
  });

  it('knows which errors a transaction may retry', () => {
    expect(isRetryableTransactionError(pgError('40P01'))).toBe(true);
    expect(isRetryableTransactionError(pgError('23505'))).toBe(false);
  });
});

describe('ConcurrentChangeError', () => {
  it('is a 503 AppError with Retry-After, not a SQLSTATE a retry loop would run again', () => {
    const error = new ConcurrentChangeError('the products of the order');
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect({ status: error.status, code: error.code, retryAfter: error.retryAfterSeconds }).toEqual(
      { status: 503, code: 'DEPENDENCY_UNAVAILABLE', retryAfter: 5 },
    );
    expect(isRetryableTransactionError(error)).toBe(false);
  });
});
