import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite does not stop two processes from opening one data directory (which corrupts
 * it), so the directory is guarded by a lock file holding the owner's pid. A lock left
 * by a dead process (kill -9) is taken over.
 */
export class EmbeddedDatabaseLock {
  private held = false;

  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): EmbeddedDatabaseLock {
    const lock = new EmbeddedDatabaseLock(`${dataDir}.lock`);
    lock.take();
    return lock;
  }

  private take(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(this.path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.held = true;
        return;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw error;
        }
        const owner = Number(readFileSync(this.path, 'utf8').trim());
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new Error(
            `The embedded database ${this.path.slice(0, -'.lock'.length)} is in use by process ${owner}; ` +
              'run one process per data directory, or use PostgreSQL (DATABASE_URL) for several',
          );
        }
        unlinkSync(this.path);
      }
    }
    throw new Error(`Could not lock the embedded database (${this.path})`);
  }

  release(): void {
    if (!this.held) {
      return;
    }
    this.held = false;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
