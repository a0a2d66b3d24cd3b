// @ts-check
/**
 * CPU accounting from /proc for the benches (`bench/run.mjs`, `bench/platforms/run.mjs`):
 * a process tree, per-process CPU time, the CPU spent between two snapshots and the whole
 * machine's busy time, all in milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** @param {number} pid @returns {number[]} pid and all its descendants */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    const p = out[i];
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') {
          out.push(...kids.split(/\s+/).map(Number));
        }
      }
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * CPU time (ms, user + system) per process, keyed by pid and start time (pids get reused).
 * @param {number[]} pids @returns {Map<string, number>}
 */
export function cpuTimes(pids) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, starttime: fields 14, 15, 22 of proc(5)
      out.set(`${pid}@${fields[19]}`, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK);
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * CPU spent between two snapshots: processes alive at both count their difference, those
 * started in between count in full, those that exited in between are lost (not negative).
 * @param {Map<string, number>} before @param {Map<string, number>} after
 */
export function cpuDelta(before, after) {
  let ms = 0;
  for (const [key, t] of after) {
    ms += Math.max(0, t - (before.get(key) ?? 0));
  }
  return ms;
}

/** Whole-machine busy and total time (ms) from /proc/stat. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / CLK_TCK, totalMs: (total * 1000) / CLK_TCK };
}
