import { parseArgs } from 'node:util';

import { NestFactory } from '@nestjs/core';
import pino from 'pino';

import {
  ConfigValidationError,
  PinoNestLogger,
  createRootLogger,
  readEnvironment,
} from '@app/core';

import { AppModule } from '../app.module';
import { loadAppConfig } from '../config';
import { MIGRATIONS } from '../database/migrations';
import { PASSWORD, UsersService, normaliseEmail } from '../modules/users';

const USAGE = `usage: npm run admin:create -- --email admin@example.com [--name "Ada Admin"]
The password comes from ADMIN_PASSWORD or, with --password-stdin, from standard input.`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Creates an admin account against the configured database (runs migrations only if configured to). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string', default: 'Administrator' },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  const email = values.email;
  if (email === undefined) {
    fail(USAGE);
  }
  const env = readEnvironment();
  const password = values['password-stdin'] ? await readStdin() : env.ADMIN_PASSWORD;
  if (password === undefined || password.length < PASSWORD.min || password.length > PASSWORD.max) {
    fail(`The password must be ${PASSWORD.min} to ${PASSWORD.max} characters.\n${USAGE}`);
  }
  let config;
  try {
    config = loadAppConfig({ LOG_LEVEL: 'warn', ...env, LOG_FORMAT: 'json' });
  } catch (error: unknown) {
    fail(error instanceof ConfigValidationError ? error.message : String(error));
  }
  // Logs go to stderr: stdout carries only the result, for scripts.
  const rootLogger = createRootLogger(config, pino.destination({ dest: 2, sync: true }));
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ config, migrations: MIGRATIONS, rootLogger }),
    { logger: new PinoNestLogger(rootLogger), abortOnError: false },
  );
  try {
    const outcome = await app.get(UsersService).createAdmin(email, values.name, password);
    if (outcome === 'email-taken') {
      fail(
        `An account with the email ${normaliseEmail(email)} already exists; promote it with PATCH /api/v1/users/:id/role.`,
      );
    }
    process.stdout.write(`Admin ${normaliseEmail(email)} created.\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  fail(`admin:create failed: ${error instanceof Error ? error.message : String(error)}`);
});
