import { parseArgs } from 'node:util';

import { readEnvironment } from '@app/core';

import { PASSWORD, UsersService, normaliseEmail } from '../modules/users';
import { fail, withAppContext } from './cli-context';

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
  const password = values['password-stdin'] ? await readStdin() : readEnvironment().ADMIN_PASSWORD;
  if (password === undefined || password.length < PASSWORD.min || password.length > PASSWORD.max) {
    fail(`The password must be ${PASSWORD.min} to ${PASSWORD.max} characters.\n${USAGE}`);
  }
  await withAppContext(async (app) => {
    const outcome = await app.get(UsersService).createAdmin(email, values.name, password);
    if (outcome === 'email-taken') {
      fail(
        `An account with the email ${normaliseEmail(email)} already exists; promote it with PATCH /api/v1/users/:id/role.`,
      );
    }
    process.stdout.write(`Admin ${normaliseEmail(email)} created.\n`);
  });
}

main().catch((error: unknown) => {
  fail(`admin:create failed: ${error instanceof Error ? error.message : String(error)}`);
});
