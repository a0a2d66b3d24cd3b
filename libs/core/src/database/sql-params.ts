/**
 * The numbered parameters of one statement assembled from parts that several repositories
 * own (a placement takes stock, writes an order and remembers an idempotency key in one
 * statement). Each part adds its values and writes the `$n` it gets back; the caller sends
 * `values` with the joined SQL.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** `$n` for `value`, with `::cast` when given (arrays sent to `unnest` need one). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    const placeholder = `$${String(this.values.length)}`;
    return cast === undefined ? placeholder : `${placeholder}::${cast}`;
  }
}

/**
 * A part of a one-statement write: common table expressions (no leading `WITH`, joined by
 * commas) whose data-modifying steps are gated on `gate`, the name of a CTE that returns a
 * row only when the whole write may go ahead. PostgreSQL runs every part in one statement,
 * so they commit together or not at all, and the row locks they take are released at the
 * end of that statement, with no round trip to the application in between.
 */
export type StatementPart = (params: SqlParams, gate: string) => string;
