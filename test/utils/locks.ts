import type { Client } from 'pg';

/**
 * Resolves once another session of the database waits for a row lock that `holder` holds
 * (bounded: 10 s): the moment to change the row under a statement that is waiting on it.
 */
export async function waitForLockWaiter(holder: Client): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    // The holder is inside its transaction, where PostgreSQL keeps the first activity
    // snapshot it read: clear it, or an early look is all the loop ever sees.
    await holder.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await holder.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (Number(rows[0]?.n) > 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no session ever waited for the lock');
}
