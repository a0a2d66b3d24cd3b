import { Logger } from '@nestjs/common';
import CircuitBreaker from 'opossum';

type Command = () => Promise<unknown>;

/**
 * The circuit breaker of one Redis client, shared by every user of that client (rate-limit
 * counters, readiness). A frozen Redis (connected, silent) costs each command the full
 * command timeout; after one such failure the circuit opens and, for `resetMs`, commands
 * fail at once without reaching Redis, so callers fall back (per-process counters, "not
 * ready") without waiting. Then a single command is let through as a probe: its success
 * closes the circuit, its failure opens it for another `resetMs`.
 */
export class RedisBreaker {
  private readonly logger = new Logger('Redis');
  private readonly breaker: CircuitBreaker<[Command]>;

  constructor(resetMs: number) {
    this.breaker = new CircuitBreaker((command: Command) => command(), {
      name: 'redis',
      // Each command is already bounded by the client's commandTimeout.
      timeout: false,
      resetTimeout: resetMs,
      // One failure opens the circuit: a silent Redis must not cost every request a timeout.
      errorThresholdPercentage: 0,
      // Redis answered (a script or type error): it is reachable, so that is no outage.
      errorFilter: (error: unknown) => (error as { name?: unknown } | null)?.name === 'ReplyError',
    });
    this.breaker.on('open', () => {
      this.logger.warn({ msg: 'Redis circuit open: not waiting on Redis', forMs: resetMs });
    });
    this.breaker.on('close', () => {
      this.logger.log({ msg: 'Redis circuit closed: Redis answers again' });
    });
  }

  /** Runs one Redis command, or rejects at once (`isCircuitOpenError`) while the circuit is open. */
  run<T>(command: () => Promise<T>): Promise<T> {
    return this.breaker.fire(command) as Promise<T>;
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

/** The rejection of a command that was not sent because the circuit is open. */
export function isCircuitOpenError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EOPENBREAKER';
}
