import type { EntityMetadata, ObjectLiteral, ValueTransformer } from 'typeorm';

type Hydrator = (value: unknown) => unknown;

const identifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const fromDatabase = (transformer: ValueTransformer | ValueTransformer[]): Hydrator => {
  const chain = Array.isArray(transformer) ? [...transformer].reverse() : [transformer];
  return (value) => chain.reduce<unknown>((v, t) => t.from(v) as unknown, value);
};

/**
 * Hot reads without the query builder. The select list is built once from the entity's
 * TypeORM metadata (so it follows the entity: every column, aliased to its property
 * name), and rows are hydrated with the column transformers the entity declares.
 *
 * A repository writes the rest of the statement as a constant string with `$n`
 * parameters; the query builder, which costs more than the query on a one-row read,
 * never runs per request. Relations are not loaded: the repository reads them itself.
 */
export class EntityRows<T extends ObjectLiteral> {
  /** `"t"."price_cents" AS "priceCents", …` for `alias`. */
  readonly columns: string;
  /** The quoted table name, for `FROM ${rows.table} t`. */
  readonly table: string;
  private readonly hydrators: ReadonlyArray<readonly [string, Hydrator]>;

  constructor(metadata: EntityMetadata, alias: string) {
    // Virtual columns are relation keys with no property of their own.
    const own = metadata.columns.filter((column) => !column.isVirtual);
    this.columns = own
      .map(
        (c) =>
          `${identifier(alias)}.${identifier(c.databaseName)} AS ${identifier(c.propertyName)}`,
      )
      .join(', ');
    this.table = identifier(metadata.tableName);
    this.hydrators = own
      .filter((c) => c.transformer !== undefined)
      .map((c) => [c.propertyName, fromDatabase(c.transformer as ValueTransformer)] as const);
  }

  /** Applies the entity's transformers in place; pg has already parsed dates and integers. */
  hydrate(row: Record<string, unknown>): T {
    for (const [property, from] of this.hydrators) {
      row[property] = from(row[property]);
    }
    return row as T;
  }
}
