import cluster, { type Worker } from 'node:cluster';

import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

import { METRICS_IPC } from '../observability/metrics.service';

import { releaseBootGuard } from './boot-guard';

export interface PrimaryOptions {
  readonly workers: number;
  /** The workers' own drain deadline; the primary waits a little longer, then kills. */
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** Respawn backoff: baseDelayMs · 2^(recent crashes − 1), capped at maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** More than maxCrashes unexpected exits within windowMs is a crash loop: give up, exit 1. */
  readonly maxCrashes?: number;
  readonly windowMs?: number;
  readonly exit?: (code: number) => void;
}

const KILL_GRACE_MS = 5_000;

/**
 * The cluster primary: forks the workers, replaces one that dies unexpectedly with
 * exponential backoff (no fork storm; a crash loop makes the primary exit 1 for its own
 * supervisor), never respawns during its own shutdown, forwards SIGTERM/SIGINT, waits for
 * the workers to drain and exits 0, or 1 if any worker failed or had to be killed.
 * It also answers workers' /metrics requests with the aggregate of every worker.
 */
export function runPrimary(options: PrimaryOptions): void {
  const { logger, workers } = options;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const maxCrashes = options.maxCrashes ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));

  const aggregator = new AggregatorRegistry();
  const crashes: number[] = [];
  /** Workers the primary told to stop: one that dies of that SIGTERM did what it was asked. */
  const askedToStop = new Set<number>();
  let shuttingDown = false;
  let failed = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    logger.info({ workerId: worker.id, pid: worker.process.pid }, 'Worker started');
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
            { workerId: worker.id, pid: worker.process.pid },
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
    if (shuttingDown) {
      // Exit 0, or killed by the SIGTERM it was sent before its own handlers were up (a worker
      // still starting): orderly. Any other code or signal (our deadline SIGKILL) is a failure.
      const orderly = code === 0 || (signal === 'SIGTERM' && askedToStop.has(worker.id));
      failed ||= !orderly;
      logger.info({ workerId: worker.id, code, signal }, 'Worker stopped');
      finishIfDone();
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && (crashes[0] ?? now) < now - windowMs) {
      crashes.shift();
    }
    if (crashes.length > maxCrashes) {
      logger.fatal({ crashes: crashes.length, windowMs }, 'Workers keep crashing: giving up');
      shutdown('crash loop', 1);
      return;
    }
    const delayMs = Math.min(baseDelayMs * 2 ** (crashes.length - 1), maxDelayMs);
    logger.warn(
      { workerId: worker.id, code, signal, respawnInMs: delayMs },
      'Worker died unexpectedly',
    );
    setTimeout(() => {
      if (!shuttingDown) {
        fork();
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
  logger.info({ workers, pid: process.pid }, 'Cluster primary started');
  for (let i = 0; i < workers; i += 1) {
    fork();
  }
}
