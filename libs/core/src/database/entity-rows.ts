import type { EntityMetadata, ObjectLiteral, ValueTransformer } from 'typeorm';

type Hydrator = (value: unknown) => unknown;

const identifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const fromDatabase = (transformer: ValueTransformer | ValueTransformer[]): Hydrator => {
  const chain = Array.isArray(transformer) ? [...transformer].reverse() : [transformer];
  return (value) => chain.reduce<unknown>((v, t) => t.from(v) as unknown, value);
};

type ColumnMetadata = EntityMetadata['columns'][number];

/** Column types whose values TypeORM's driver converts after pg parsed them. */
const CONVERTED_TYPES = new Set(['simple-json', 'simple-array', 'date', 'hstore']);

/** What this class does not reproduce of TypeORM's row handling, or null. */
function unsupported(column: ColumnMetadata): string | null {
  if (!column.isSelect) {
    return 'is `select: false` (it would be read anyway)';
  }
  if (column.isDeleteDate) {
    return 'is a delete-date column (soft-deleted rows would not be filtered)';
  }
  if (column.isVirtualProperty) {
    return 'is a virtual column';
  }
  if (column.isArray && column.enum !== undefined) {
    return 'is an enum array';
  }
  if (typeof column.type === 'string' && CONVERTED_TYPES.has(column.type)) {
    return `has type ${column.type}, which the driver converts`;
  }
  return null;
}

/**
 * Hot reads without the query builder. The select list is built once from the entity's
 * TypeORM metadata (so it follows the entity: every column, aliased to its property
 * name), and rows are hydrated with the column transformers the entity declares.
 *
 * A repository writes the rest of the statement as a constant string with `$n`
 * parameters; the query builder, which costs more than the query on a one-row read,
 * never runs per request. Relations are not loaded: the repository reads them itself.
 *
 * Only plain columns (with or without a transformer) are reproduced; an entity with a
 * column TypeORM treats specially (`select: false`, soft delete, virtual, driver-converted
 * types) is refused at construction, so a secret column can never be read by accident.
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
    for (const column of own) {
      const reason = unsupported(column);
      if (reason !== null) {
        throw new Error(`EntityRows: ${metadata.name}.${column.propertyName} ${reason}`);
      }
    }
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
