import { Equal, LessThan, type FindOptionsOrder, type FindOptionsWhere } from 'typeorm';

import type { Keyset } from '../http/pagination';

/** What keyset pagination needs of an entity: a creation instant and a unique id. */
export interface Keyed {
  createdAt: Date;
  id: string;
}

/** The order every keyset page is read in, matching `IDX_<table>_created_at_id`. */
export const NEWEST_FIRST = {
  createdAt: 'DESC',
  id: 'DESC',
} as const satisfies FindOptionsOrder<Keyed>;

/**
 * Find conditions for the rows of a page after `after`: `(created_at, id) < (after)`, that
 * is older, or as old with a smaller id, combined with each alternative of `matching` (an
 * OR of conditions, e.g. name or SKU). Undefined when nothing restricts the read.
 */
export function pageAfter<T extends Keyed>(
  after: Keyset | null,
  matching: ReadonlyArray<FindOptionsWhere<T>> = [],
): Array<FindOptionsWhere<T>> | undefined {
  const alternatives: Array<FindOptionsWhere<T>> = matching.length === 0 ? [{}] : [...matching];
  if (after === null) {
    return matching.length === 0 ? undefined : alternatives;
  }
  return alternatives.flatMap((match): Array<FindOptionsWhere<T>> => [
    { ...match, createdAt: LessThan(after.createdAt) },
    { ...match, createdAt: Equal(after.createdAt), id: LessThan(after.id) },
  ]);
}
