import cluster, { type Worker } from 'node:cluster';

import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

import { METRICS_IPC } from '../observability/metrics.service';

import { releaseBootGuard } from './boot-guard';

export interface PrimaryOptions {
  /** HTTP children. */
  readonly workers: number;
  /**
   * Job children (CLUSTER_JOB_WORKERS). With one or more, HTTP children run as APP_ROLE=api and job
   * children as APP_ROLE=worker, so jobs run only in the job children; with 0 (the default)
   * every child keeps the configured APP_ROLE.
   */
  readonly jobWorkers?: number;
  /** The workers' own drain deadline; the primary waits a little longer, then kills. */
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Respawn backoff: baseDelayMs · 2^(recent crashes − 1), capped at maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * More than maxCrashes unexpected exits of one kind of child within windowMs is a crash
   * loop: give up, exit 1.
   */
  readonly maxCrashes?: number;
  readonly windowMs?: number;
  readonly exit?: (code: number) => void;
}

const KILL_GRACE_MS = 5_000;

/** What a cluster child does: serve HTTP, or run background jobs. */
type ChildKind = 'http' | 'jobs';

/**
 * The environment a child of that kind is forked with. Without job children nothing is
 * overridden: each child inherits the configured APP_ROLE (`all` serves and runs jobs).
 */
function childEnv(kind: ChildKind, jobWorkers: number): Record<string, string> | undefined {
  if (jobWorkers === 0) {
    return undefined;
  }
  // The split is the primary's; a child that inherited CLUSTER_JOB_WORKERS with its new role
  // would be refused by the config check (job workers only with APP_ROLE=all).
  return { APP_ROLE: kind === 'http' ? 'api' : 'worker', CLUSTER_JOB_WORKERS: '0' };
}

/**
 * Unexpected exits of one kind of child within a sliding window. Kept per kind so that job
 * children crashing on a poisoned job neither slow down the respawn of an HTTP child nor
 * the other way round; a loop of either kind still ends the primary (a supervisor restart
 * is the only remedy, and an instance silently running no jobs would be worse).
 */
class CrashHistory {
  private readonly times: number[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records a crash at `now`; returns the crashes within the window, this one included. */
  record(now: number): number {
    this.times.push(now);
    while (this.times.length > 0 && (this.times[0] ?? now) < now - this.windowMs) {
      this.times.shift();
    }
    return this.times.length;
  }
}

/**
 * The cluster primary: forks the HTTP workers and the job workers, replaces one that dies
 * unexpectedly by one of the same kind with exponential backoff (no fork storm; a crash
 * loop makes the primary exit 1 for its own supervisor), never respawns during its own
 * shutdown, forwards SIGTERM/SIGINT to both kinds, waits for all of them to drain and
 * exits 0, or 1 if any worker failed or had to be killed.
 * It also answers workers' /metrics requests with the aggregate of every worker (job
 * workers included: they answer the aggregation over IPC although they do not listen).
 */
export function runPrimary(options: PrimaryOptions): void {
  const { logger, workers } = options;
  const jobWorkers = options.jobWorkers ?? 0;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxCrashes = options.maxCrashes ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));

  const aggregator = new AggregatorRegistry();
  const crashes: Record<ChildKind, CrashHistory> = {
    http: new CrashHistory(windowMs),
    jobs: new CrashHistory(windowMs),
  };
  /** Kind of each live child by worker id, so a dead one is replaced by one of its kind. */
  const kinds = new Map<number, ChildKind>();
  /** Workers the primary told to stop: one that dies of that SIGTERM did what it was asked. */
  const askedToStop = new Set<number>();
  let shuttingDown = false;
  let failed = false;

  const fork = (kind: ChildKind): Worker => {
    const worker = cluster.fork(childEnv(kind, jobWorkers));
    kinds.set(worker.id, kind);
    logger.info({ workerId: worker.id, pid: worker.process.pid, kind }, 'Worker started');
    return worker;
  };

  let finished = false;
  const finishIfDone = (): void => {
    if (!finished && shuttingDown && Object.keys(cluster.workers ?? {}).length === 0) {
      finished = true;
      logger.info({ exitCode: failed ? 1 : 0 }, 'All workers stopped; primary exiting');
      logger.flush();
      exit(failed ? 1 : 0);
    }
  };

  const shutdown = (reason: string, code: number): void => {
    if (shuttingDown) {
      return;
    }
    shuttingDown = true;
    failed ||= code !== 0;
    logger.info({ reason }, 'Primary shutting down: draining workers');
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker !== undefined) {
        askedToStop.add(worker.id);
        worker.process.kill('SIGTERM');
      }
    }
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker !== undefined) {
          logger.error(
            { workerId: worker.id, pid: worker.process.pid, kind: kinds.get(worker.id) },
            'Worker missed the deadline: killed',
          );
          failed = true;
          worker.process.kill('SIGKILL');
        }
      }
    }, options.shutdownTimeoutMs + KILL_GRACE_MS).unref();
    finishIfDone();
  };

  cluster.on('exit', (worker, code, signal) => {
    // Every child is forked through fork(); 'http' is only the type checker's fallback.
    const kind = kinds.get(worker.id) ?? 'http';
    kinds.delete(worker.id);
    if (shuttingDown) {
      // Exit 0, or killed by the SIGTERM it was sent before its own handlers were up (a worker
      // still starting): orderly. Any other code or signal (our deadline SIGKILL) is a failure.
      const orderly = code === 0 || (signal === 'SIGTERM' && askedToStop.has(worker.id));
      failed ||= !orderly;
      logger.info({ workerId: worker.id, kind, code, signal }, 'Worker stopped');
      finishIfDone();
      return;
    }
    const recent = crashes[kind].record(Date.now());
    if (recent > maxCrashes) {
      logger.fatal({ kind, crashes: recent, windowMs }, 'Workers keep crashing: giving up');
      shutdown('crash loop', 1);
      return;
    }
    const delayMs = Math.min(baseDelayMs * 2 ** (recent - 1), maxDelayMs);
    logger.warn(
      { workerId: worker.id, kind, code, signal, respawnInMs: delayMs },
      'Worker died unexpectedly',
    );
    setTimeout(() => {
      if (!shuttingDown) {
        fork(kind);
      }
    }, delayMs);
  });

  /**
   * The asking worker may have died while the aggregate was built: a send on its closed
   * channel must not become an 'error' event nobody listens to (an uncaught exception that
   * would take the whole instance down).
   */
  const reply = (worker: Worker, message: Record<string, unknown>): void => {
    if (!worker.isConnected()) {
      return;
    }
    worker.send(message, (error: Error | null) => {
      if (error !== null) {
        logger.debug({ workerId: worker.id, err: error }, 'Metrics reply not delivered');
      }
    });
  };

  // A worker leaves cluster.workers on the later of its 'exit' and 'disconnect', in either
  // order: checking on 'exit' alone could miss the last one, and the primary would then end
  // by an empty event loop (exit 0, whatever failed, and without its last log line).
  cluster.on('disconnect', () => {
    finishIfDone();
  });

  cluster.on('message', (worker, message: unknown) => {
    const m = message as { type?: unknown; id?: unknown };
    if (m.type !== METRICS_IPC.request) {
      return;
    }
    aggregator
      .clusterMetrics()
      .then((body) => {
        reply(worker, { type: METRICS_IPC.response, id: m.id, body });
      })
      .catch((error: unknown) => {
        reply(worker, {
          type: METRICS_IPC.response,
          id: m.id,
          error: error instanceof Error ? error.message : 'failed',
        });
      });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      shutdown(signal, 0);
    });
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'Primary crashed');
    shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'Primary crashed');
    shutdown('unhandledRejection', 1);
  });

  releaseBootGuard();

  // Workers accept connections themselves (kernel-balanced) instead of the primary's
  // round-robin hand-off: a connection handed to a worker that dies before taking it is held
  // open by the primary forever (Node never closes it). With SCHED_NONE a worker's death
  // resets only the connections it had accepted; queued ones go to the other workers.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  logger.info({ workers, jobWorkers, pid: process.pid }, 'Cluster primary started');
  for (let i = 0; i < workers; i += 1) {
    fork('http');
  }
  for (let i = 0; i < jobWorkers; i += 1) {
    fork('jobs');
  }
}
