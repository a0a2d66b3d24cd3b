/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=1 npm run bench`, or `node --cpu-prof`):
 * self time by package (node_modules/<pkg>, node: internals, the app's own code, GC, idle)
 * and the top functions by self time, plus the inclusive time of a few app/library
 * entry points worth knowing about.
 *
 *   [SKIP_S=5] [WATCH=fnA,fnB] npm exec -- node bench/cpuprofile-summary.ts <file.cpuprofile> [topN]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName?: string;
  readonly url?: string;
  readonly lineNumber?: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write(
    'usage: npm exec -- node bench/cpuprofile-summary.ts <file.cpuprofile> [topN]\n',
  );
  process.exit(2);
}
const top = Number(topArg ?? 30);

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  for (const c of n.children ?? []) {
    parent.set(c, n.id);
  }
}

// Self time per node from samples × time deltas (µs).
const self = new Map<number, number>();
// SKIP_S=<seconds>: ignore the first seconds of the profile (start-up, module loading).
const skipUs = Number(process.env.SKIP_S ?? 0) * 1e6;
let elapsedUs = 0;
for (const [i, id] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0;
  elapsedUs += delta;
  if (elapsedUs < skipUs) {
    continue;
  }
  self.set(id, (self.get(id) ?? 0) + delta);
}
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function category(frame: CallFrame): string {
  const url = frame.url ?? '';
  const fn = frame.functionName ?? '';
  if (fn === '(idle)') {
    return '(idle)';
  }
  if (fn === '(garbage collector)') {
    return '(gc)';
  }
  if (fn === '(program)') {
    return '(program: native/V8)';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) {
    return url.split('/').slice(0, 2).join('/');
  }
  if (url === '') {
    return '(native)';
  }
  if (url.includes('/libs/core/')) {
    return 'app: libs/core';
  }
  if (url.includes('/src/')) {
    return 'app: src';
  }
  return url;
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)?.callFrame ?? {};
  const cat = category(f);
  byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
  const short = (f.url ?? '')
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/build\//, '');
  const name =
    f.functionName === undefined || f.functionName === '' ? '(anonymous)' : f.functionName;
  const key = `${name}  ${short}:${(f.lineNumber ?? 0) + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const busyUs = totalUs - (byCategory.get('(idle)') ?? 0);
const pct = (us: number, of: number): string => `${((us / of) * 100).toFixed(1)}%`;
const out: string[] = [];
out.push(
  `profile: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s not idle`,
);
out.push('');
out.push('self time by package (share of non-idle time):');
for (const [cat, us] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  if (cat === '(idle)') {
    continue;
  }
  if (us / busyUs < 0.005) {
    continue;
  }
  out.push(`  ${pct(us, busyUs).padStart(6)}  ${cat}`);
}
out.push('');
out.push(`top ${top} functions by self time (share of non-idle time):`);
for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (fn.startsWith('(idle)')) {
    continue;
  }
  out.push(`  ${pct(us, busyUs).padStart(6)}  ${fn}`);
}

// Inclusive time of named functions: every sample whose stack contains the name (once).
const watch = (process.env.WATCH ?? '').split(',').filter((w) => w !== '');
if (watch.length > 0) {
  out.push('');
  out.push('inclusive time of watched functions (share of non-idle time):');
  for (const name of watch) {
    let us = 0;
    for (const [id, t] of self) {
      let cur: number | undefined = id;
      while (cur !== undefined) {
        if (byId.get(cur)?.callFrame.functionName === name) {
          us += t;
          break;
        }
        cur = parent.get(cur);
      }
    }
    out.push(`  ${pct(us, busyUs).padStart(6)}  ${name}`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
