import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

import { RequestValidationError } from '../errors/app-error';

/** `?limit=&cursor=` of every list route. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  readonly limit: number = 20;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  readonly cursor?: string;
}

export interface Page<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}

/** Keyset position: newest first by (createdAt, id), stable under concurrent inserts. */
export interface Keyset {
  readonly createdAt: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: Keyset): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** Opaque to clients; a cursor that was tampered with is a 400 naming `cursor`. */
export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (cursor === undefined) {
    return null;
  }
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2) {
      const [at, id] = decoded as unknown[];
      const createdAt = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
      if (!Number.isNaN(createdAt.getTime()) && typeof id === 'string' && UUID.test(id)) {
        return { createdAt, id };
      }
    }
  } catch {
    // Falls through to the validation error.
  }
  throw new RequestValidationError([
    { field: 'cursor', message: 'cursor is not a valid page cursor' },
  ]);
}

/** Builds a page from `limit + 1` rows fetched newest first. */
export function toPage<E extends Keyset, T>(
  rows: readonly E[],
  limit: number,
  map: (row: E) => T,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    nextCursor: hasMore && last !== undefined ? encodeCursor(last) : null,
  };
}
