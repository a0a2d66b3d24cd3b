import type { AuthenticatedUser } from '@app/core';

import { isAdmin } from '../users';
import type { OrderScope } from './orders.repository';

/**
 * Ownership, decided once: an admin's scope is every order, anyone else's only their own.
 * Reads and transitions pass it to the repository, which applies it in the query, so
 * another user's order is not found (404) on every route alike.
 */
export const scopeOf = (viewer: AuthenticatedUser): OrderScope => ({
  ownerId: isAdmin(viewer) ? null : viewer.id,
});
