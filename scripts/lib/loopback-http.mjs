// @ts-check
/**
 * The HTTP client shared by the operator scripts (`bench/run.mjs`, `scripts/soak.mjs`):
 * JSON requests to 127.0.0.1 only, a bounded-concurrency runner and a free-port finder.
 * Nothing here sends traffic anywhere but the loopback interface.
 */
import http from 'node:http';
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** @returns {Promise<number>} a free TCP port on the loopback interface */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * @typedef {object} RequestOptions
 * @property {number} port
 * @property {string} method
 * @property {string} path
 * @property {unknown} [body] sent as JSON
 * @property {string} [token] sent as a bearer token
 * @property {Record<string, string>} [headers] more request headers
 * @property {http.Agent | false} [agent] default: no keep-alive
 * @property {number} [timeoutMs] default 10 000; a timeout rejects with code TIMEOUT
 */

/**
 * One request to 127.0.0.1; the response body is parsed as JSON when it is JSON (the
 * text otherwise, e.g. /metrics; null when empty).
 * @param {RequestOptions} o
 * @returns {Promise<{status: number, body: any}>}
 */
export function request(o) {
  return new Promise((resolveReq, reject) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    /** @type {Record<string, string | number>} */
    const headers = { accept: 'application/json', ...o.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (o.token !== undefined) {
      headers.authorization = `Bearer ${o.token}`;
    }
    const req = http.request(
      {
        host: LOOPBACK,
        port: o.port,
        method: o.method,
        path: o.path,
        headers,
        agent: o.agent ?? false,
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // Not JSON (/metrics).
          }
          resolveReq({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.setTimeout(o.timeoutMs ?? 10_000, () => {
      req.destroy(
        Object.assign(new Error(`${o.method} ${o.path}: timed out`), { code: 'TIMEOUT' }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The parsed body, or an error naming the request, the status and the start of the body.
 * @param {RequestOptions} o @param {number} expected
 */
export async function expectStatus(o, expected) {
  const res = await request(o);
  if (res.status !== expected) {
    throw new Error(
      `${o.method} ${o.path} on :${o.port}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
    );
  }
  return res.body;
}

/**
 * Runs `tasks` with at most `limit` in flight; results in task order.
 * @template T @param {number} limit @param {Array<() => Promise<T>>} tasks @returns {Promise<T[]>}
 */
export async function inParallel(limit, tasks) {
  /** @type {T[]} */
  const out = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await /** @type {() => Promise<T>} */ (tasks[i])();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
