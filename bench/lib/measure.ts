/**
 * One measured run of a scenario against a target (warm-up, then the run with CPU
 * accounting around it), the summary of a target's rounds, and the table printed at the end.
 */
import os from 'node:os';

import { round } from '../../scripts/lib/cli.ts';

import { cfg } from './config.ts';
import type { PgbenchResult } from './database.ts';
import { cannon, runFigures, statusCounts, type RunFigures } from './load.ts';
import { cpuWindow, processTree, type Memory } from './proc-cpu.ts';
import type { Ctx, Scenario } from './scenarios.ts';

export interface Measured extends RunFigures {
  readonly statusCodes: Record<string, number>;
  /** Busy CPU on the box not accounted for by server, its DB backends or this process (% of all cores). */
  readonly otherCpuPct: number | null;
  readonly cores: number;
}

/** Warm-up, then the measured run, with CPU accounting around it. */
export async function measure(
  scenario: Scenario,
  target: { readonly port: number; readonly pid: number },
  ctx: Ctx,
  dbPids: () => Promise<number[]>,
): Promise<Measured> {
  const options = scenario.options(ctx);
  if (cfg.warmupS > 0) {
    await cannon(target.port, options, scenario.connections, cfg.warmupS);
  }
  const spent = await cpuWindow(() => processTree(target.pid), dbPids);
  const r = await cannon(target.port, options, scenario.connections, cfg.durationS);
  const cpu = await spent();
  const figures = runFigures(r, cpu, 3);
  return {
    ...figures,
    statusCodes: statusCounts(r),
    otherCpuPct:
      cpu.machineTotalMs > 0 ? round((figures.otherCpuMs / cpu.machineTotalMs) * 100, 0) : null,
    cores: os.cpus().length,
  };
}

export interface Summary {
  readonly reqPerSec: number;
  readonly reqPerSecMin: number;
  readonly reqPerSecMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p99MsWorst: number;
  readonly non2xx: number;
  readonly serverCpuMsPerReq: number;
  readonly dbCpuMsPerReq: number;
  readonly otherCpuPct: number;
  readonly runs: readonly Measured[];
}

/** The rounds of one target: means, the req/s range, the worst p99, summed failures. */
export function summarise(runs: readonly Measured[]): Summary {
  const mean = (f: (r: Measured) => number): number =>
    runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const rps = runs.map((r) => r.reqPerSec);
  return {
    reqPerSec: round(
      mean((r) => r.reqPerSec),
      0,
    ),
    reqPerSecMin: Math.min(...rps),
    reqPerSecMax: Math.max(...rps),
    p50Ms: round(
      mean((r) => r.p50Ms),
      1,
    ),
    p99Ms: round(
      mean((r) => r.p99Ms),
      1,
    ),
    p99MsWorst: Math.max(...runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
    serverCpuMsPerReq: round(
      mean((r) => r.serverCpuMsPerReq ?? 0),
      3,
    ),
    dbCpuMsPerReq: round(
      mean((r) => r.dbCpuMsPerReq ?? 0),
      3,
    ),
    otherCpuPct: round(
      mean((r) => r.otherCpuPct ?? 0),
      0,
    ),
    runs,
  };
}

export interface ScenarioResult {
  readonly title: string;
  readonly connections: number;
  readonly service: Summary;
  readonly baseline: Summary;
  readonly before?: Summary;
  rawSql?: PgbenchResult | null;
  cluster?: Summary;
}

export interface ClusterOutcome {
  supported: boolean;
  note?: string;
  redis?: boolean;
  readyMs?: number;
  processes?: number;
  memoryBefore?: Memory;
  memoryAfter?: Memory;
}

export interface Startup {
  readonly serviceColdMs: number;
  readonly serviceWarmMs: number;
  readonly baselineMs: number;
  readonly serviceStopMs: number;
  readonly beforeWarmMs: number | null;
}

export interface MemoryPair {
  readonly service: Memory;
  readonly baseline: Memory;
  readonly before: Memory | null;
}

/** What the table at the end reads from the report. */
export interface TableInput {
  readonly results: Readonly<Record<string, ScenarioResult>>;
  readonly startup: Startup;
  readonly memory: { readonly before: MemoryPair; readonly after: MemoryPair };
  readonly cluster: ClusterOutcome;
}

const TARGET_KEYS = ['service', 'before', 'baseline', 'cluster'] as const;

export function printTable(report: TableInput): void {
  const rows: string[][] = [
    [
      'scenario',
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'svc/base',
      'srv CPU ms/req',
      'db CPU ms/req',
      'other load %',
    ],
  ];
  for (const [name, r] of Object.entries(report.results)) {
    const base = r.baseline.reqPerSec;
    for (const key of TARGET_KEYS) {
      const s = r[key];
      if (s === undefined) {
        continue;
      }
      const rps =
        cfg.rounds > 1 ? `${s.reqPerSec} (${s.reqPerSecMin}-${s.reqPerSecMax})` : `${s.reqPerSec}`;
      rows.push([
        name,
        key === 'cluster' ? 'service x2' : key === 'before' ? `before (${cfg.before})` : key,
        rps,
        String(s.p50Ms),
        String(s.p99Ms),
        String(s.non2xx),
        key === 'baseline' ? '' : base > 0 ? `${round((s.reqPerSec / base) * 100, 0)}%` : '-',
        String(s.serverCpuMsPerReq),
        String(s.dbCpuMsPerReq),
        String(s.otherCpuPct),
      ]);
    }
    if (r.rawSql) {
      rows.push([
        name,
        `raw SQL, pgbench -c ${r.rawSql.clients}`,
        String(r.rawSql.tps),
        `avg ${r.rawSql.latencyAvgMs}`,
        '',
        String(r.rawSql.failed),
        '',
        '',
        '',
        '',
      ]);
    }
  }
  const header = rows[0] ?? [];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const row of rows.slice(1)) {
    process.stdout.write(`${line(row)}\n`);
  }
  const { startup, memory: mem, cluster } = report;
  process.stdout.write(
    `\nstart-up to /ready 200: service ${startup.serviceColdMs} ms on an empty DB (migrations), ` +
      `${startup.serviceWarmMs} ms with the schema in place; baseline ${startup.baselineMs} ms` +
      (startup.beforeWarmMs === null ? '' : `; before ${startup.beforeWarmMs} ms`) +
      `\n` +
      `RSS: service ${mem.before.service.rssMiB} MiB idle -> ${mem.after.service.rssMiB} MiB after load ` +
      `(peak ${mem.after.service.hwmMiB}); baseline ${mem.before.baseline.rssMiB} -> ${mem.after.baseline.rssMiB} MiB ` +
      `(peak ${mem.after.baseline.hwmMiB})` +
      (mem.before.before !== null && mem.after.before !== null
        ? `; before ${mem.before.before.rssMiB} -> ${mem.after.before.rssMiB} MiB (peak ${mem.after.before.hwmMiB})`
        : '') +
      `\n` +
      `cluster: ${cluster.supported ? `measured (${String(cluster.processes)} processes, Redis rate-limit storage)` : `skipped (${cluster.note ?? 'CLUSTER_WORKERS not implemented'})`}\n\n`,
  );
}
