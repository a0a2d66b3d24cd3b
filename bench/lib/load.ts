/**
 * The load generator of the benches: one bounded autocannon run against 127.0.0.1.
 */
import autocannon from 'autocannon';

import { round } from '../../scripts/lib/cli.ts';
import { LOOPBACK } from '../../scripts/lib/loopback-http.ts';

import type { CpuSpent } from './proc-cpu.ts';

/** What a scenario adds to a run: autocannon's options without the target and the bounds. */
export type LoadOptions = Omit<
  Partial<autocannon.Options>,
  'url' | 'connections' | 'duration' | 'timeout'
> & {
  /** Appended to the target's URL. */
  readonly path?: string;
};

/**
 * One autocannon run of `seconds` with `connections` against 127.0.0.1:`port`, stopped
 * for sure 30 s after it should have ended by itself.
 */
export function cannon(
  port: number,
  options: LoadOptions,
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  // autocannon takes the path from the URL (a `path` option would be overridden by it).
  const { path = '', ...rest } = options;
  return new Promise((resolveRun, reject) => {
    const instance = autocannon(
      {
        ...rest,
        url: `http://${LOOPBACK}:${port}${path}`,
        connections,
        duration: seconds,
        timeout: 10,
      },
      (error: unknown, result) => {
        clearTimeout(guard);
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }));
        } else {
          resolveRun(result);
        }
      },
    );
    // Belt and braces: autocannon stops itself after `duration`; this makes sure.
    const guard = setTimeout(
      () => {
        instance.stop();
      },
      (seconds + 30) * 1000,
    );
  });
}

/** Responses per status code of a run. */
export function statusCounts(r: autocannon.Result): Record<string, number> {
  return Object.fromEntries(
    Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, v.count ?? 0]),
  );
}

/** What every bench reports of one measured autocannon run and the CPU spent around it. */
export interface RunFigures {
  readonly reqPerSec: number;
  readonly okPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly total: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationS: number;
  readonly serverCpuMsPerReq: number | null;
  readonly dbCpuMsPerReq: number | null;
  readonly serverCpuPct: number;
  readonly dbCpuPct: number;
  readonly loadGenCpuPct: number;
  readonly machineBusyPct: number | null;
  /** Busy CPU not accounted for by the server, its DB backends or this process, in ms. */
  readonly otherCpuMs: number;
}

/** The figures of run `r`, CPU per request rounded to `digits` decimals. */
export function runFigures(r: autocannon.Result, cpu: CpuSpent, digits: number): RunFigures {
  const ok = r['2xx'];
  const windowMs = r.duration * 1000;
  const pct = (ms: number): number => round((ms / windowMs) * 100, 0);
  return {
    reqPerSec: round(r.requests.average, 0),
    okPerSec: round(ok / r.duration, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    total: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration,
    serverCpuMsPerReq: ok > 0 ? round(cpu.serverMs / ok, digits) : null,
    dbCpuMsPerReq: ok > 0 ? round(cpu.dbMs / ok, digits) : null,
    serverCpuPct: pct(cpu.serverMs),
    dbCpuPct: pct(cpu.dbMs),
    loadGenCpuPct: pct(cpu.selfMs),
    machineBusyPct:
      cpu.machineTotalMs > 0 ? round((cpu.machineBusyMs / cpu.machineTotalMs) * 100, 0) : null,
    otherCpuMs: Math.max(0, cpu.machineBusyMs - cpu.serverMs - cpu.dbMs - cpu.selfMs),
  };
}
