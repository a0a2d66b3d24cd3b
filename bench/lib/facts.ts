/** What the bench records about the machine, the checkout and the packages it measured. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

import { round } from '../../scripts/lib/cli.ts';

function pkgVersion(repo: string, name: string): string | null {
  try {
    const pkg = JSON.parse(
      readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

function sh(cmd: string, args: readonly string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd }).trim();
  } catch {
    return null;
  }
}

export interface MachineFacts {
  readonly nproc: string | null;
  readonly uncommittedFilesInSrcAndLibs: number | null;
  readonly cpuModel: string | null;
  readonly memTotalGiB: number;
  readonly freeH: string | null;
  readonly kernel: string;
  readonly node: string;
  readonly loadavgAtStart: number[];
  readonly gitHead: string | null;
  readonly versions: Record<string, string | null>;
}

export function machineFacts(repo: string): MachineFacts {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const status = sh('git', ['status', '--porcelain', '--', 'src', 'libs'], repo);
  return {
    nproc: sh('nproc', []),
    uncommittedFilesInSrcAndLibs:
      status === null ? null : status.split('\n').filter((l) => l.trim() !== '').length,
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? null,
    memTotalGiB: round(os.totalmem() / 2 ** 30, 1),
    freeH: sh('free', ['-h']),
    kernel: os.release(),
    node: process.version,
    loadavgAtStart: os.loadavg().map((l) => round(l, 2)),
    gitHead: sh('git', ['rev-parse', '--short', 'HEAD'], repo),
    versions: Object.fromEntries(
      [
        '@nestjs/core',
        '@nestjs/platform-express',
        '@nestjs/typeorm',
        'typeorm',
        'pg',
        'express',
        'class-validator',
        'class-transformer',
        'ioredis',
        'pino',
        'argon2',
        'autocannon',
      ].map((n) => [n, pkgVersion(repo, n)]),
    ),
  };
}
