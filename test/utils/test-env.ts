import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RawEnvironment } from '@app/core';

import { loadAppConfig } from '../../src/config';

/**
 * The variables every suite's app or module starts with (a suite's own env wins): set
 * here only, so a developer's shell or .env never leaks into a suite.
 */
export const BASE_ENV: RawEnvironment = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'debug',
  LOG_FORMAT: 'json',
  DB_MIGRATE_ON_START: 'true',
  SHUTDOWN_READY_DELAY_MS: '0',
  DOCS_ENABLED: 'false',
  RATE_LIMIT_MAX: '100000',
  LOGIN_RATE_LIMIT_MAX: '100000',
  JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
  // Registrations queue verification mails: without SMTP_URL they become files, out of the tree.
  MAIL_DIR: join(tmpdir(), 'nest-enterprise-backend-test-mail'),
};

/** The JWT secret every suite signs with (for forging tokens in security tests). */
export const TEST_JWT_SECRET = BASE_ENV.JWT_SECRET as string;

/**
 * How long a suite's database or app may take to start or stop: far more than it does, so
 * two busy cores never fail a suite in its set-up (Jest's 5 s still bounds every test).
 */
export const START_TIMEOUT_MS = 30_000;

/** A suite's configuration: BASE_ENV and the suite's own variables, nothing else. */
export function loadTestConfig(env: RawEnvironment): ReturnType<typeof loadAppConfig> {
  return loadAppConfig({ ...BASE_ENV, ...env });
}
