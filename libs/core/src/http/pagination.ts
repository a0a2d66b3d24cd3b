import { createHmac, timingSafeEqual } from 'node:crypto';

import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

import type { AppConfig } from '../config/app-config';
import { RequestValidationError } from '../errors/app-error';

/** The bounds of `?limit=` and `?cursor=`: what the pipe checks and the document states. */
export const PAGE_QUERY = { maxLimit: 100, defaultLimit: 20, maxCursorLength: 200 } as const;

/** `?limit=&cursor=` of every list route. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_QUERY.maxLimit)
  readonly limit: number = PAGE_QUERY.defaultLimit;

  @IsOptional()
  @IsString()
  @MaxLength(PAGE_QUERY.maxCursorLength)
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

/** The key cursors are signed with: `AppConfig.pagination`. */
export type CursorKey = AppConfig['pagination'];

/*
 * A cursor is base64url(HMAC-SHA256(key, payload) || payload), payload being the JSON
 * `[createdAt ISO string, id]` of the last row of the page. Only the service can mint one, so
 * a cursor it did not issue (forged, edited, or signed with another key) is refused before its
 * content is trusted; the content is then checked strictly anyway (a key can leak).
 *
 * A cursor is a position in the one order every list shares (newest first by createdAt, id); it
 * names no list and no filter. On another list, or with other filters, it means "the rows older
 * than that position": a correct, stable page of that list, not an error.
 */
const MAC_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** What `Date.prototype.toISOString()` prints for years 0000..9999, all of which PostgreSQL holds. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Ids as PostgreSQL prints them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const mac = (key: CursorKey, payload: Buffer): Buffer =>
  createHmac('sha256', key.cursorSecret).update(payload).digest();

export function encodeCursor(position: Keyset, key: CursorKey): string {
  const payload = Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id]));
  return Buffer.concat([mac(key, payload), payload]).toString('base64url');
}

/** The signed payload of a cursor this service issued under `key`, else null. */
function verifiedPayload(cursor: string, key: CursorKey): Buffer | null {
  if (!BASE64URL.test(cursor)) {
    return null;
  }
  const raw = Buffer.from(cursor, 'base64url');
  // Exactly one spelling per cursor: no padding bits or trailing characters slipped in.
  if (raw.length <= MAC_BYTES || raw.toString('base64url') !== cursor) {
    return null;
  }
  const payload = raw.subarray(MAC_BYTES);
  return timingSafeEqual(raw.subarray(0, MAC_BYTES), mac(key, payload)) ? payload : null;
}

function parsePosition(payload: Buffer): Keyset | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) {
    return null;
  }
  const [at, id] = decoded as unknown[];
  if (typeof at !== 'string' || !ISO_INSTANT.test(at) || typeof id !== 'string' || !UUID.test(id)) {
    return null;
  }
  const createdAt = new Date(at);
  // Round-trips only for a real calendar instant (no 2026-02-30, no 24:00).
  return !Number.isNaN(createdAt.getTime()) && createdAt.toISOString() === at
    ? { createdAt, id }
    : null;
}

/** Opaque to clients; a cursor the service did not issue is a 400 naming `cursor`. */
export function decodeCursor(cursor: string | undefined, key: CursorKey): Keyset | null {
  if (cursor === undefined) {
    return null;
  }
  const payload = verifiedPayload(cursor, key);
  const position = payload === null ? null : parsePosition(payload);
  if (position === null) {
    throw new RequestValidationError([
      { field: 'cursor', message: 'cursor is not a valid page cursor' },
    ]);
  }
  return position;
}

/** Builds a page from `limit + 1` rows fetched newest first. */
export function toPage<E extends Keyset, T>(
  rows: readonly E[],
  limit: number,
  map: (row: E) => T,
  key: CursorKey,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    nextCursor: hasMore && last !== undefined ? encodeCursor(last, key) : null,
  };
}
