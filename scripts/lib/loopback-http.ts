/**
 * The one HTTP client of the tooling: the benches (`bench/`), the soak (`scripts/soak.ts`)
 * and the process suites (`test/utils/server-process.ts`) all talk to the servers they
 * start through it. Requests go to 127.0.0.1 only; nothing here can reach another host.
 * node:http underneath, so keep-alive behaves as the real agent does.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago on the loopback interface (listen on 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolvePort(port);
      });
    });
  });
}

/** Throws unless `url` points at this machine: the tools never send traffic elsewhere. */
export function assertLoopbackUrl(url: string, variable: string): void {
  const host = new URL(url).hostname;
  if (host !== LOOPBACK && host !== 'localhost') {
    throw new Error(`${variable} must point at 127.0.0.1 (got host ${host})`);
  }
}

export interface RequestOptions {
  readonly port: number;
  readonly path: string;
  /** Default GET. */
  readonly method?: string;
  /** Sent as JSON (`content-type: application/json`); a POST without one sends no body. */
  readonly body?: unknown;
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** `false` (default): a new connection, closed after the response. */
  readonly agent?: http.Agent | false;
  /** Socket inactivity after which the request fails with code CLIENT_TIMEOUT (default 30 s). */
  readonly timeoutMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as text. */
  readonly body: string;
  /** The request went over a kept-alive socket that had served a previous request. */
  readonly reusedSocket: boolean;
}

/** One request to 127.0.0.1:`port`; the body comes back as text. */
export function request(o: RequestOptions): Promise<HttpResponse> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...o.headers };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  } else if (o.method === 'POST') {
    headers['content-length'] = '0';
  }
  if (o.token !== undefined) {
    headers.authorization = `Bearer ${o.token}`;
  }
  return new Promise((resolveResponse, reject) => {
    const req = http.request(
      {
        host: LOOPBACK,
        port: o.port,
        path: o.path,
        method: o.method ?? 'GET',
        agent: o.agent ?? false,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          resolveResponse({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.setTimeout(o.timeoutMs ?? 30_000, () => {
      req.destroy(
        Object.assign(new Error(`${o.method ?? 'GET'} ${o.path}: no response`), {
          code: 'CLIENT_TIMEOUT',
        }),
      );
    });
    req.once('error', reject);
    req.end(payload);
  });
}

/** The body parsed as JSON when it is JSON, the text otherwise (e.g. /metrics), null when empty. */
export function parseBody(text: string): unknown {
  if (text === '') {
    return null;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The parsed body (see parseBody), or an error naming the request, the status and the
 * start of the body.
 */
export async function expectStatus(o: RequestOptions, expected: number): Promise<unknown> {
  const res = await request({ ...o, headers: { accept: 'application/json', ...o.headers } });
  if (res.status !== expected) {
    throw new Error(
      `${o.method ?? 'GET'} ${o.path} on :${o.port}: expected ${expected}, got ${res.status} ${res.body.slice(0, 300)}`,
    );
  }
  return parseBody(res.body);
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
export async function inParallel<T>(
  limit: number,
  tasks: ReadonlyArray<() => Promise<T>>,
): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next;
      next += 1;
      const task = tasks[i];
      if (task !== undefined) {
        out[i] = await task();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** `ECONNREFUSED`, `ECONNRESET` ("socket hang up" is ECONNRESET too), `CLIENT_TIMEOUT`... or the message. */
export function errorCode(error: unknown): string {
  // Duck-typed: errors from node core are not `instanceof Error` inside Jest's sandbox.
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      return code;
    }
    if (typeof message === 'string') {
      return message;
    }
  }
  return String(error);
}

// ---------------------------------------------------------------------------------------
// Reading JSON answers without trusting their shape

const preview = (value: unknown): string =>
  ((JSON.stringify(value) as string | undefined) ?? String(value)).slice(0, 200);

/** `value` as an object (its own fields readable), or an error naming `what`. */
export function asObject(value: unknown, what = 'response'): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what}: expected an object, got ${preview(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The string field `key` of the object `value`, or an error. */
export function stringField(value: unknown, key: string): string {
  const field = asObject(value)[key];
  if (typeof field !== 'string') {
    throw new Error(`expected a string "${key}" in ${preview(value)}`);
  }
  return field;
}

/** The array field `key` of the object `value`, or an error. */
export function arrayField(value: unknown, key: string): readonly unknown[] {
  const field = asObject(value)[key];
  if (!Array.isArray(field)) {
    throw new Error(`expected an array "${key}" in ${preview(value)}`);
  }
  return field as unknown[];
}

/** Logs in through the service's API (`POST /api/v1/auth/login`): the access token. */
export async function loginToken(
  port: number,
  credentials: { readonly email: string; readonly password: string },
): Promise<string> {
  const tokens = await expectStatus(
    {
      port,
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { email: credentials.email, password: credentials.password },
    },
    200,
  );
  return stringField(tokens, 'accessToken');
}

/** Registers a customer through the service's API and logs them in. */
export async function registerCustomer(
  port: number,
  customer: { readonly email: string; readonly name: string; readonly password: string },
): Promise<{ readonly email: string; readonly token: string }> {
  await expectStatus({ port, method: 'POST', path: '/api/v1/users', body: customer }, 201);
  return { email: customer.email, token: await loginToken(port, customer) };
}
