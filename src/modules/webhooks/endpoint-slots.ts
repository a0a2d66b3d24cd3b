/**
 * Deliveries in flight per webhook in this process. pg-boss's `groupConcurrency` limits them
 * across processes, but its check is not atomic: workers that poll at the same moment can
 * each see a free slot and together take more (measured: 3 in flight with a limit of 2). This
 * makes the limit exact within a process; across processes a webhook has at most the limit
 * per process.
 */
export class EndpointSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot of `webhookId`, or returns false when all are taken. */
  tryAcquire(webhookId: string): boolean {
    const taken = this.inFlight.get(webhookId) ?? 0;
    if (taken >= this.limit) {
      return false;
    }
    this.inFlight.set(webhookId, taken + 1);
    return true;
  }

  release(webhookId: string): void {
    const taken = this.inFlight.get(webhookId) ?? 0;
    if (taken <= 1) {
      this.inFlight.delete(webhookId);
    } else {
      this.inFlight.set(webhookId, taken - 1);
    }
  }
}
