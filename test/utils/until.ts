import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` every 100 ms until it returns a value (not `undefined`), and returns it;
 * throws naming `what` once `timeoutMs` has passed. The loop is bounded in count as well.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let poll = 0; poll < timeoutMs / 100 + 2; poll += 1) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (performance.now() > deadline) {
      break;
    }
    await sleep(100);
  }
  throw new Error(`Timed out waiting for ${what} (${String(timeoutMs)} ms)`);
}
