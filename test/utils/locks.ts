import type { Client } from 'pg';

/**
 * Resolves once `count` other sessions of the database wait for a lock (bounded: 10 s), such
 * as a row lock that `holder` holds: the moment to change the row under a statement that is
 * waiting on it, or to start the next of several calls that must queue in a known order.
 */
export async function waitForLockWaiter(holder: Client, count = 1): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    // The holder is inside its transaction, where PostgreSQL keeps the first activity
    // snapshot it read: clear it, or an early look is all the loop ever sees.
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await holder.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (Number(rows[0]?.n) >= count) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${String(count)} sessions never waited for a lock`);
}
