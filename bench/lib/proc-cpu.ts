/**
 * CPU and memory accounting from /proc for the benches (`bench/run.ts`,
 * `bench/platforms/run.ts`): a process tree, per-process CPU time, the CPU spent between
 * two snapshots, the whole machine's busy time (all in milliseconds), a CPU window around
 * a measured run, and the memory of a process tree.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

import { round } from '../../scripts/lib/cli.ts';

const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i += 1) {
    const p = out[i];
    try {
      for (const tid of readdirSync(`/proc/${String(p)}/task`)) {
        const kids = readFileSync(`/proc/${String(p)}/task/${tid}/children`, 'utf8').trim();
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

/** CPU time (ms, user + system) per process, keyed by pid and start time (pids get reused). */
export function cpuTimes(pids: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, starttime: fields 14, 15, 22 of proc(5)
      out.set(
        `${pid}@${fields[19] ?? ''}`,
        ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK,
      );
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * CPU spent between two snapshots: processes alive at both count their difference, those
 * started in between count in full, those that exited in between are lost (not negative).
 */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): number {
  let ms = 0;
  for (const [key, t] of after) {
    ms += Math.max(0, t - (before.get(key) ?? 0));
  }
  return ms;
}

export interface MachineCpu {
  readonly busyMs: number;
  readonly totalMs: number;
}

/** Whole-machine busy and total time (ms) from /proc/stat. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / CLK_TCK, totalMs: (total * 1000) / CLK_TCK };
}

/** CPU (ms) spent during a window by the server, the database backends, this process, the machine. */
export interface CpuSpent {
  readonly serverMs: number;
  readonly dbMs: number;
  /** This process: the load generator. */
  readonly selfMs: number;
  readonly machineBusyMs: number;
  readonly machineTotalMs: number;
}

/**
 * Opens a CPU window: snapshots of the server's processes, the database backends, this
 * process and the machine. The returned function closes it and tells what each spent.
 */
export async function cpuWindow(
  serverPids: () => readonly number[],
  dbPids: () => Promise<readonly number[]>,
): Promise<() => Promise<CpuSpent>> {
  const server = cpuTimes(serverPids());
  const db = cpuTimes(await dbPids());
  const self = process.cpuUsage();
  const machine = machineCpu();
  return async () => {
    const serverMs = cpuDelta(server, cpuTimes(serverPids()));
    const dbMs = cpuDelta(db, cpuTimes(await dbPids()));
    const selfUsage = process.cpuUsage(self);
    const m = machineCpu();
    return {
      serverMs,
      dbMs,
      selfMs: (selfUsage.user + selfUsage.system) / 1000,
      machineBusyMs: m.busyMs - machine.busyMs,
      machineTotalMs: m.totalMs - machine.totalMs,
    };
  };
}

export interface Memory {
  readonly rssMiB: number;
  readonly hwmMiB: number;
}

/** RSS and its high-water mark, summed over the process tree of `pid`. */
export function memory(pid: number): Memory {
  let rss = 0;
  let hwm = 0;
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { rssMiB: round(rss / 1024), hwmMiB: round(hwm / 1024) };
}
