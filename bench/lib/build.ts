/**
 * Builds the service for the bench into a temp dir with a throw-away tsconfig
 * (`nest build --path`), so `dist/` is never touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

import { round } from '../../scripts/lib/cli.ts';

/**
 * Builds the service into `<tmp>/build` and returns the entry file.
 * `worktree` compiles the checkout as it is; `head` compiles the last commit, extracted
 * with `git archive` into `<tmp>/source` (a consistent snapshot while others edit files).
 * Any other `source` is a git revision (BENCH_BEFORE), built the same way into its own dirs.
 */
export function buildService(
  repo: string,
  tmp: string,
  source: string,
): { entry: string; buildMs: number } {
  let root = repo;
  const rev = source === 'head' ? 'HEAD' : source;
  const tag = source === 'worktree' || source === 'head' ? '' : `-${rev.replace(/[^\w.-]/g, '_')}`;
  if (source !== 'worktree') {
    root = join(tmp, `source${tag}`);
    mkdirSync(root);
    const tar = execFileSync(
      'git',
      [
        'archive',
        '--format=tar',
        rev,
        '--',
        'src',
        'libs',
        'tsconfig.json',
        'tsconfig.build.json',
        'nest-cli.json',
        'package.json',
      ],
      { cwd: repo, maxBuffer: 256 * 2 ** 20 },
    );
    execFileSync('tar', ['-x', '-C', root], { input: tar });
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  }
  const tsconfig = join(tmp, `tsconfig.bench-build${tag}.json`);
  const outDir = join(tmp, `build${tag}`);
  writeFileSync(
    tsconfig,
    JSON.stringify(
      { extends: join(root, 'tsconfig.build.json'), compilerOptions: { outDir } },
      null,
      2,
    ),
  );
  // tsc looks for @types next to the tsconfig, and the built code for its packages above
  // the build dir: one symlink serves both.
  if (!existsSync(join(tmp, 'node_modules'))) {
    symlinkSync(join(repo, 'node_modules'), join(tmp, 'node_modules'), 'dir');
  }
  const started = performance.now();
  try {
    execFileSync(
      process.execPath,
      [
        join(repo, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'),
        'build',
        '--path',
        relative(root, tsconfig),
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 },
    );
  } catch (error) {
    throw new Error(
      `the service did not build from ${source === 'worktree' ? 'the working tree' : rev}` +
        (source === 'head'
          ? ''
          : ' (files being edited? BENCH_SOURCE=head builds the last commit)'),
      { cause: error },
    );
  }
  const entry = join(outDir, 'src', 'main.js');
  if (!existsSync(entry)) {
    throw new Error(`build produced no ${entry}`);
  }
  return { entry, buildMs: round(performance.now() - started, 0) };
}
