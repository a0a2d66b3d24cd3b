// @ts-check
/**
 * What the operator scripts (`bench/run.mjs`, `bench/login-flood.mjs`, `scripts/soak.mjs`)
 * share around the built server they start: the loopback-only database check, waiting for
 * readiness, stopping with a grace period, and percentiles of what they measured.
 */
import { performance } from 'node:perf_hooks';

import { LOOPBACK, request } from './loopback-http.mjs';

/**
 * Throws unless `url` points at this machine: the scripts never send traffic elsewhere.
 * @param {string} url @param {string} variable the setting it came from, for the message
 */
export function assertLoopbackUrl(url, variable) {
  const host = new URL(url).hostname;
  if (host !== LOOPBACK && host !== 'localhost') {
    throw new Error(`${variable} must point at 127.0.0.1 (got host ${host})`);
  }
}

/**
 * Polls `GET path` on 127.0.0.1:`port` until it answers 200. Throws when `exitReason()`
 * says the process is gone, or after `timeoutMs`. Resolves with the time it took (ms).
 * @param {{ port: number, path?: string, timeoutMs: number, intervalMs?: number,
 *   exitReason: () => string | null }} o
 * @returns {Promise<number>}
 */
export async function waitUntilReady(o) {
  const started = performance.now();
  const path = o.path ?? '/ready';
  while (performance.now() - started < o.timeoutMs) {
    const gone = o.exitReason();
    if (gone !== null) {
      throw new Error(`the server ${gone} before ${path} answered 200`);
    }
    const ok = await request({ port: o.port, method: 'GET', path, timeoutMs: 2_000 })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) {
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
  throw new Error(`${path} did not answer 200 within ${o.timeoutMs} ms`);
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. Resolves with the time to exit (ms), 0 when the
 * process had already exited.
 * @param {import('node:child_process').ChildProcess} child @param {number} graceMs
 * @returns {Promise<number>}
 */
export function stopProcess(child, graceMs) {
  return new Promise((resolveStop) => {
    const started = performance.now();
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveStop(0);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop(performance.now() - started);
    });
    child.kill('SIGTERM');
  });
}

/**
 * The nearest-rank percentile `p` (0-100) of `values` (any order); NaN when empty.
 * @param {readonly number[]} values @param {number} p
 */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
