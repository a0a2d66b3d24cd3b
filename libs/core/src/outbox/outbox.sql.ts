import type { SqlParams, StatementPart } from '../database/sql-params';

/** An event as the outbox writes it; `Outbox.event()` mints one. */
export interface OutboxEvent<T = unknown> {
  readonly id: string;
  readonly type: string;
  readonly data: T;
  readonly createdAt: Date;
  readonly requestId: string | null;
  readonly traceContext: Record<string, string> | null;
}

/**
 * The events of a one-statement write (an order placement), as a part of that statement:
 * written when its gate opens, so they commit with the change or not at all.
 */
export const outboxInsertPart =
  (events: readonly OutboxEvent[]): StatementPart =>
  (params: SqlParams, gate: string) => {
    const column = <K extends keyof OutboxEvent>(
      key: K,
      cast: string,
      map: (value: OutboxEvent[K]) => unknown = (value) => value,
    ): string =>
      params.add(
        events.map((event) => map(event[key])),
        cast,
      );
    return `outbox_rows AS (
        INSERT INTO outbox_events (id, type, data, created_at, request_id, trace_context)
        SELECT e.id, e.type, e.data, e.created_at, e.request_id, e.trace_context
        FROM unnest(${column('id', 'uuid[]')}, ${column('type', 'varchar[]')},
          ${column('data', 'jsonb[]', (data) => JSON.stringify(data))},
          ${column('createdAt', 'timestamptz[]')}, ${column('requestId', 'varchar[]')},
          ${column('traceContext', 'jsonb[]', (trace) => (trace === null ? null : JSON.stringify(trace)))})
          AS e(id, type, data, created_at, request_id, trace_context)
        WHERE EXISTS (SELECT 1 FROM ${gate})
      )`;
  };
