/** Injection token of the shared ioredis client, or null when REDIS_URL is not set. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Injection token of that client's circuit breaker (`RedisBreaker`), or null without Redis. */
export const REDIS_BREAKER = Symbol('REDIS_BREAKER');
