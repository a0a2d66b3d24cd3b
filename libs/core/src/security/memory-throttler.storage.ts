import type { ThrottlerStorage } from '@nestjs/throttler';
import { LRUCache } from 'lru-cache';

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * A fixed-window counter per key, in a bounded LRU. O(1) per hit, unlike the default
 * storage that keeps (and scans) one timestamp per hit. Per process only: with several
 * processes, limits hold only with the Redis storage.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows: LRUCache<string, Window>;

  constructor(maxKeys = 100_000) {
    this.windows = new LRUCache<string, Window>({ max: maxKeys, ttlAutopurge: false });
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (window === undefined || (window.expiresAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
    } else if (window.expiresAt <= now) {
      window.hits = 0;
      window.expiresAt = now + ttl;
    }
    window.hits += 1;
    if (window.blockedUntil <= now && window.hits > limit) {
      window.blockedUntil = now + blockDuration;
    }
    const isBlocked = window.blockedUntil > now;
    const keepFor = Math.max(window.expiresAt, window.blockedUntil) - now;
    this.windows.set(id, window, { ttl: keepFor });
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: seconds(window.expiresAt - now),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(window.blockedUntil - now) : 0,
    });
  }
}
