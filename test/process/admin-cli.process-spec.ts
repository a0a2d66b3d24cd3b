import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { Client } from 'pg';

import { createTestDatabase, type TestDatabase } from '../utils/database';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'create-admin.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_FORMAT: 'json', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

describe('npm run admin:create (dist/src/cli/create-admin.js)', () => {
  let db: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('admincli');
    env = { DATABASE_URL: db.url, DB_MIGRATE_ON_START: 'true' };
  });

  afterAll(async () => {
    await db.drop();
  });

  it('creates an admin from a password on stdin, normalising the email', async () => {
    const result = await runCli(
      ['--email', ' Ops@Example.com ', '--name', 'Ops', '--password-stdin'],
      env,
      'a long password\n',
    );
    expect(result).toMatchObject({ code: 0, stdout: 'Admin ops@example.com created.\n' });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ role: string; name: string; password_hash: string }>(
        'SELECT role, name, password_hash FROM users WHERE email = $1',
        ['ops@example.com'],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ role: 'admin', name: 'Ops' });
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    } finally {
      await client.end();
    }
  }, 90_000);

  it('refuses an email that already has an account, changing nothing', async () => {
    const result = await runCli(['--email', 'ops@example.com'], {
      ...env,
      ADMIN_PASSWORD: 'another password',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('An account with the email ops@example.com already exists');
  }, 90_000);

  it('refuses a missing email or a short password with usage, before touching the database', async () => {
    const noEmail = await runCli([], env);
    expect(noEmail.code).toBe(1);
    expect(noEmail.stderr).toContain('usage: npm run admin:create');
    const short = await runCli(['--email', 'x@example.com'], { ...env, ADMIN_PASSWORD: 'short' });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('The password must be 8 to 128 characters');
  }, 30_000);
});
