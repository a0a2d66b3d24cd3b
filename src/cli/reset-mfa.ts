import { parseArgs } from 'node:util';

import { AuthService } from '../modules/auth';
import { UsersService, normaliseEmail } from '../modules/users';
import { fail, withAppContext } from './cli-context';

const USAGE = `usage: npm run admin:reset-mfa -- --email user@example.com
Removes the account's second factor (its TOTP secret and recovery codes) and ends every
session, for a user who lost their authenticator and their recovery codes.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' } } });
  const email = values.email;
  if (email === undefined) {
    fail(USAGE);
  }
  await withAppContext(async (app) => {
    const account = await app.get(UsersService).findContactByEmail(email);
    if (account === null) {
      fail(`No account with the email ${normaliseEmail(email)}.`);
    }
    const removed = await app.get(AuthService).resetSecondFactor(account.id);
    process.stdout.write(
      removed
        ? `MFA of ${account.email} removed; every session ended.\n`
        : `${account.email} has no MFA; nothing changed.\n`,
    );
  });
}

main().catch((error: unknown) => {
  fail(`admin:reset-mfa failed: ${error instanceof Error ? error.message : String(error)}`);
});
