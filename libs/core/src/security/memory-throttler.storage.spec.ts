import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts hits in a fixed window and blocks past the limit', async () => {
    const storage = new MemoryThrottlerStorage();
    const hits = [];
    for (let i = 0; i < 4; i += 1) {
      hits.push(await storage.increment('ip', 60_000, 3, 60_000, 'default'));
    }
    expect(hits.map((h) => h.isBlocked)).toEqual([false, false, false, true]);
    expect(hits[3]).toMatchObject({ totalHits: 4, timeToBlockExpire: 60 });
  });

  it('keeps keys and throttlers apart', async () => {
    const storage = new MemoryThrottlerStorage();
    await storage.increment('a', 60_000, 1, 60_000, 'default');
    await expect(storage.increment('b', 60_000, 1, 60_000, 'default')).resolves.toMatchObject({
      isBlocked: false,
    });
    await expect(storage.increment('a', 60_000, 1, 60_000, 'login')).resolves.toMatchObject({
      isBlocked: false,
    });
  });

  it('opens again once the block has expired', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const storage = new MemoryThrottlerStorage();
    await storage.increment('ip', 1_000, 1, 5_000, 'default');
    await expect(storage.increment('ip', 1_000, 1, 5_000, 'default')).resolves.toMatchObject({
      isBlocked: true,
    });
    jest.setSystemTime(1_000_000 + 2_000);
    await expect(storage.increment('ip', 1_000, 1, 5_000, 'default')).resolves.toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 3,
    });
    jest.setSystemTime(1_000_000 + 6_000);
    await expect(storage.increment('ip', 1_000, 1, 5_000, 'default')).resolves.toMatchObject({
      isBlocked: false,
      totalHits: 1,
    });
  });

  it('stays bounded: the oldest keys are evicted past the maximum', async () => {
    const storage = new MemoryThrottlerStorage(2);
    await storage.increment('a', 60_000, 1, 60_000, 'default');
    await storage.increment('b', 60_000, 1, 60_000, 'default');
    await storage.increment('c', 60_000, 1, 60_000, 'default');
    // 'a' was evicted, so it starts a fresh window instead of being blocked.
    await expect(storage.increment('a', 60_000, 1, 60_000, 'default')).resolves.toMatchObject({
      totalHits: 1,
    });
  });
});
