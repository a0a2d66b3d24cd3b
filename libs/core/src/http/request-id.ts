import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Keeps a sane incoming `X-Request-Id`, otherwise mints a UUID; echoes it on the response. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id =
    typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id, set by accessLog() before anything else runs. */
    id?: string;
  }
}
