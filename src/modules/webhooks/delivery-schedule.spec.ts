import {
  MAX_RETRY_DELAY_SECONDS,
  expectedRetryDelaySeconds,
  jobTimeoutSeconds,
  retrySpreadSeconds,
} from './delivery-schedule';

describe('delivery schedule', () => {
  it('spreads the default 10 attempts (base 120 s) over about a day', () => {
    const { min, max } = retrySpreadSeconds(120, 10);
    expect(min / 3600).toBeCloseTo(17, 0);
    expect(max / 3600).toBeCloseTo(34, 0);
  });

  it('loses nothing to a receiver that is down for an hour: six retries already wait longer', () => {
    expect(retrySpreadSeconds(120, 7).min).toBeGreaterThan(3600);
  });

  it('expects the middle of the jittered wait, doubling per attempt', () => {
    expect(expectedRetryDelaySeconds(120, 1)).toBe(180);
    expect(expectedRetryDelaySeconds(120, 2)).toBe(360);
    expect(expectedRetryDelaySeconds(1, 1)).toBe(1.5);
  });

  it('never expects a wait longer than a day', () => {
    expect(expectedRetryDelaySeconds(3600, 19)).toBe(MAX_RETRY_DELAY_SECONDS);
    expect(retrySpreadSeconds(3600, 20).max).toBeLessThan(30 * MAX_RETRY_DELAY_SECONDS);
  });

  it('gives a job room for the whole attempt and the writes around it', () => {
    expect(jobTimeoutSeconds(10_000)).toBe(40);
    expect(jobTimeoutSeconds(100)).toBe(31);
  });
});
