/**
 * When pg-boss runs a delivery again. Its exponential backoff waits, after failed attempt n,
 * between base × 2^(n-1) and base × 2^n seconds (jitter; the exponent stops at 16), capped at
 * MAX_RETRY_DELAY_SECONDS. The time itself is pg-boss's; `nextAttemptAt` shows its expectation.
 */

/** No single wait is longer than a day, whatever the attempt count. */
export const MAX_RETRY_DELAY_SECONDS = 24 * 60 * 60;

/** The job's own budget: one attempt, plus the reads and the write around it. */
export const jobTimeoutSeconds = (attemptTimeoutMs: number): number =>
  Math.ceil(attemptTimeoutMs / 1000) + 30;

/** The middle of the jittered wait after failed attempt `attempt` (1-based), in seconds. */
export function expectedRetryDelaySeconds(baseSeconds: number, attempt: number): number {
  const exp = Math.min(16, Math.max(1, attempt));
  return Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(baseSeconds, 1) * 2 ** exp * 0.75);
}

/** About when the attempt after failed attempt `attempt` runs. */
export function expectedNextAttemptAt(baseSeconds: number, attempt: number, now: Date): Date {
  return new Date(now.getTime() + expectedRetryDelaySeconds(baseSeconds, attempt) * 1000);
}

/** Shortest and longest total wait over `attempts` attempts (what "about a day" means). */
export function retrySpreadSeconds(
  baseSeconds: number,
  attempts: number,
): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let n = 1; n < attempts; n += 1) {
    const exp = Math.min(16, n);
    min += Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** (exp - 1));
    max += Math.min(MAX_RETRY_DELAY_SECONDS, baseSeconds * 2 ** exp);
  }
  return { min, max };
}
