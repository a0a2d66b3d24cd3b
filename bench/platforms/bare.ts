/**
 * Target (a) of `npm run bench:platforms`: GET /products/:id on bare node:http + pg, no
 * framework. 200 with the row as JSON, 404 when there is none, 400 when :id is not a UUID
 * (what Nest's ParseUUIDPipe answers), 404 for any other route.
 * Env: PORT, DATABASE_URL.
 */
import http from 'node:http';

import { sendJson as send } from '../lib/send-json.ts';

import { HOST, UUID, createPool, findProduct } from './db.ts';

const pool = createPool();
const PREFIX = '/products/';

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method !== 'GET' || !path.startsWith(PREFIX) || path.includes('/', PREFIX.length)) {
    send(res, 404, { statusCode: 404, message: 'Not Found' });
    return;
  }
  let id = '';
  try {
    id = decodeURIComponent(path.slice(PREFIX.length));
  } catch {
    // Malformed %-escape: not a UUID either.
  }
  if (!UUID.test(id)) {
    send(res, 400, { statusCode: 400, message: 'Validation failed (uuid is expected)' });
    return;
  }
  const row = await findProduct(pool, id);
  if (row === undefined) {
    send(res, 404, { statusCode: 404, message: 'Product not found' });
    return;
  }
  send(res, 200, row);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) {
      send(res, 500, { statusCode: 500, message: 'Internal server error' });
    } else {
      res.destroy();
    }
  });
});

server.listen(Number(process.env.PORT ?? 3000), HOST);

process.once('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  void pool.end().finally(() => process.exit(0));
});
