import type { Client } from 'pg';

/**
 * Resolves once `count` other sessions wait, directly or behind one another, for a lock that
 * `holder` holds (bounded: 10 s), such as a row lock: the moment to change the row under a
 * statement that is waiting on it, or to start the next of several calls that must queue in
 * a known order. Sessions waiting for anything else (a job worker's advisory lock, say) are
 * not counted.
 */
export async function waitForLockWaiter(holder: Client, count = 1): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    // The holder is inside its transaction, where PostgreSQL keeps the first activity
    // snapshot it read: clear it, or an early look is all the loop ever sees.
    await holder.query('SELECT pg_stat_clear_snapshot()');
    // A second waiter for a row waits on the first (which holds the tuple lock), not on the
    // holder: the waiters are followed from the holder through whoever they block.
    const { rows } = await holder.query<{ n: string }>(
      `WITH RECURSIVE waiting(pid) AS (
         SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))
         UNION
         SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid))
       )
       SELECT count(*) AS n FROM waiting`,
    );
    if (Number(rows[0]?.n) >= count) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${String(count)} sessions never waited for a lock held by the holder`);
}
