/**
 * The load generator of the benches: one bounded autocannon run against 127.0.0.1.
 */
import autocannon from 'autocannon';

import { LOOPBACK } from '../../scripts/lib/loopback-http.ts';

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
