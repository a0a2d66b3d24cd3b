// @ts-check
/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=1 npm run bench`, or `node --cpu-prof`):
 * self time by package (node_modules/<pkg>, node: internals, the app's own code, GC, idle)
 * and the top functions by self time, plus the inclusive time of a few app/library
 * entry points worth knowing about.
 *
 *   [SKIP_S=5] [WATCH=fnA,fnB] node bench/cpuprofile-summary.mjs <file.cpuprofile> [topN]
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node bench/cpuprofile-summary.mjs <file.cpuprofile> [topN]\n');
  process.exit(2);
}
const top = Number(topArg ?? 30);

/** @type {{nodes: any[], samples: number[], timeDeltas: number[], startTime: number, endTime: number}} */
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) {
  for (const c of n.children ?? []) {
    parent.set(c, n.id);
  }
}

// Self time per node from samples × time deltas (µs).
/** @type {Map<number, number>} */
const self = new Map();
// SKIP_S=<seconds>: ignore the first seconds of the profile (start-up, module loading).
const skipUs = Number(process.env.SKIP_S ?? 0) * 1e6;
let elapsedUs = 0;
for (let i = 0; i < profile.samples.length; i += 1) {
  const id = profile.samples[i];
  elapsedUs += profile.timeDeltas[i] ?? 0;
  if (elapsedUs < skipUs) {
    continue;
  }
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

/** @param {any} frame */
function category(frame) {
  const url = String(frame.url ?? '');
  const fn = String(frame.functionName ?? '');
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
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
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

/** @type {Map<string, number>} */
const byCategory = new Map();
/** @type {Map<string, number>} */
const byFunction = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const f = n.callFrame;
  const cat = category(f);
  byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
  const short = String(f.url ?? '')
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/build\//, '');
  const key = `${f.functionName || '(anonymous)'}  ${short}:${(f.lineNumber ?? 0) + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

const busyUs = totalUs - (byCategory.get('(idle)') ?? 0);
const pct = (/** @type {number} */ us, /** @type {number} */ of) =>
  `${((us / of) * 100).toFixed(1)}%`;
const out = [];
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
      let cur = id;
      while (cur !== undefined) {
        if (byId.get(cur).callFrame.functionName === name) {
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
