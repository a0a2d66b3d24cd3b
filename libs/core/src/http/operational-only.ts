import type { RequestHandler } from 'express';

import { RouteNotFoundError } from '../errors/app-error';

/**
 * A job worker (`APP_ROLE=worker`) serves only the operational routes: anything else is the
 * same 404 an unknown route gets, so a worker put behind the load balancer by mistake takes
 * no business traffic.
 */
export function operationalRoutesOnly(paths: readonly string[]): RequestHandler {
  const allowed = new Set(paths.map((path) => `/${path}`));
  return (req, _res, next) => {
    next(allowed.has(req.path) ? undefined : new RouteNotFoundError(req.method, req.path));
  };
}
