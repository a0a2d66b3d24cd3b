/** Runs a query on the suite's database (`t.sql` of an app, `m.sql` of a module). */
type Sql = <T>(query: string, params?: readonly unknown[]) => Promise<T[]>;

/**
 * The security notices queued for an account (queue `auth.security-notice`), oldest first:
 * each is queued in the transaction of the change it tells of, so this is what committed.
 */
export async function noticesOf(sql: Sql, userId: string): Promise<string[]> {
  const rows = await sql<{ notice: string }>(
    `SELECT data->'data'->>'notice' AS notice FROM pgboss.job
      WHERE name = 'auth.security-notice' AND data->'data'->>'userId' = $1
      ORDER BY created_on`,
    [userId],
  );
  return rows.map((row) => row.notice);
}
