import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import helmet from 'helmet';
import type { RequestHandler } from 'express';

/** helmet defaults (HSTS one year, nosniff, no X-Powered-By...) plus no framing at all. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: { frameAncestors: ["'none'"] },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    xFrameOptions: { action: 'deny' },
  });
}

/**
 * CORS from an explicit allow-list: other origins get no CORS headers at all, and the
 * allowed origin is echoed (never `*`), so credentials stay safe.
 */
export function corsOptions(allowList: readonly string[]): CorsOptions {
  const allowed = new Set(allowList);
  return {
    origin: (origin, callback) => {
      callback(null, origin !== undefined && allowed.has(origin));
    },
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'If-Match',
      'X-Request-Id',
    ],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location', 'ETag', 'Idempotent-Replayed'],
    maxAge: 600,
  };
}

/** While draining, every response tells its keep-alive client to go away. */
export function connectionCloseWhile(isDraining: () => boolean): RequestHandler {
  return (_req, res, next) => {
    if (isDraining()) {
      res.setHeader('Connection', 'close');
    }
    next();
  };
}
