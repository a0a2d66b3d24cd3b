/**
 * What the command-line tools (`bench/*.ts`, `scripts/soak.ts`) share besides the HTTP
 * client and the server launcher: their report line prefix, integer knobs from the
 * environment, rounding and percentiles, and one cleanup list that runs once, in reverse,
 * on success, failure or Ctrl-C. Their stdout/stderr is their interface: they write there
 * through process.stdout/stderr on purpose (no console.*).
 */

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** `n` rounded to `digits` decimals. */
export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The message of an error, or the thing itself as text. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** The stack of an error (its message when it has none), or the thing itself as text. */
export const errorStack = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

/** A `[prefix] message` line on stdout. */
export function logger(prefix: string): (message: string) => void {
  return (message) => {
    process.stdout.write(`[${prefix}] ${message}\n`);
  };
}

/** An integer knob: `fallback` when unset or blank, otherwise the value truncated, at least `min`. */
export function intFromEnv(value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value.trim() === '') {
    return fallback;
  }
  const n = Math.trunc(Number(value));
  if (!Number.isFinite(n)) {
    throw new Error(`not a number: ${value}`);
  }
  return Math.max(min, n);
}

/** A comma list knob: the trimmed, non-empty entries. */
export function listFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The nearest-rank percentile `p` (0-100) of `values` (any order); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export type CleanupStep = () => Promise<void> | void;

/**
 * Steps to undo what a run created (a database, a temp dir, Redis keys), run once in
 * reverse order of registration (those added with addFirst() before them). `onSignals()` runs them on SIGINT/SIGTERM and exits 130.
 * A failing step is reported and does not stop the others.
 */
export class Cleanups {
  private readonly steps: CleanupStep[] = [];
  private readonly firstSteps: CleanupStep[] = [];
  private running: Promise<boolean> | null = null;
  private readonly log: (message: string) => void;

  constructor(log: (message: string) => void) {
    this.log = log;
  }

  add(step: CleanupStep): void {
    this.steps.push(step);
  }

  /** A step that runs before every other one, whenever it was added (e.g. stop the servers). */
  addFirst(step: CleanupStep): void {
    this.firstSteps.push(step);
  }

  /** Runs the steps (once, however often it is called); resolves with whether all of them succeeded. */
  run(): Promise<boolean> {
    this.running ??= (async () => {
      let ok = true;
      for (const step of [...this.firstSteps, ...this.steps.reverse()]) {
        try {
          await step();
        } catch (error) {
          ok = false;
          this.log(`cleanup step failed: ${errorMessage(error)}`);
        }
      }
      return ok;
    })();
    return this.running;
  }

  onSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.log(`${signal}: cleaning up`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
}
