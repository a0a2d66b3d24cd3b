import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ServerProcess, httpRequest, processSuiteDatabase } from '../utils/server-process';

const REPO = join(__dirname, '..', '..');

/**
 * The permission-model flags of `npm run start:restricted`, read from package.json so the
 * test runs what the script runs ($PWD is the repository, as under npm).
 */
function restrictedFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts['start:restricted'] ?? '';
  return (
    script.match(/--(?:permission|experimental-permission|allow-[a-z-]+)(?:=(?:"[^"]*"|\S+))?/g) ??
    []
  ).map((flag) => flag.replace(/"/g, '').replace('$PWD', REPO));
}

describe('npm run start:restricted (Node permission model)', () => {
  const suiteDb = processSuiteDatabase('process_restricted');

  it('starts and serves under its flags, and drains on SIGTERM with exit 0', async () => {
    const flags = restrictedFlags();
    expect(flags).toContain('--allow-addons');

    const server = await ServerProcess.start({
      cwd: REPO,
      nodeArgs: flags,
      env: { DATABASE_URL: suiteDb.url, DB_MIGRATE_ON_START: 'true', SHUTDOWN_READY_DELAY_MS: '0' },
    });

    const ready = await httpRequest(server.port, '/ready');
    expect(ready.status).toBe(200);
    const products = await httpRequest(server.port, '/api/v1/products?limit=1');
    expect(products.status).toBe(200);
    expect(JSON.parse(products.body)).toEqual({ data: [], nextCursor: null });

    server.kill('SIGTERM');
    const exit = await server.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  }, 90_000);
});
