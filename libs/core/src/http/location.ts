import type { Response } from 'express';

/**
 * The `Location` of a resource this request created: the request's own path, as it was
 * routed (global prefix and version included, so they are configured in one place only),
 * then the new id. `POST /api/v1/orders` → `/api/v1/orders/<id>`.
 */
export function locationOf(res: Response, id: string): string {
  const url = res.req.originalUrl;
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q)).replace(/\/+$/, '');
  return `${path}/${encodeURIComponent(id)}`;
}
