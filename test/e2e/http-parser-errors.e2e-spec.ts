import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

import { useTestApp } from '../utils/test-app';

/**
 * Requests that Node's HTTP parser refuses before any middleware runs, written byte by byte
 * on a raw socket to a listening app: the client still gets problem+json with a request id
 * (the same id in the header, the body and the log), then the connection is closed.
 * The timeouts are 1 s here, so a slow client is answered 408 about a second later, not at
 * Node's next 30 s connection sweep.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Generous: a hang is what this catches, not a slow machine. */
const EXCHANGE_BOUND_MS = 15_000;

interface RawExchange {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The server closed the connection (end or close seen) within the bound. */
  readonly closed: boolean;
  readonly elapsedMs: number;
}

/** Writes `payload` (and nothing more) and reads until the server closes, bounded. */
function exchange(port: number, payload: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = (): void => {
      clearTimeout(bound);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        closed,
        elapsedMs: performance.now() - startedAt,
      });
    };
    const bound = setTimeout(finish, EXCHANGE_BOUND_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      closed = true;
      finish();
    });
    socket.once('close', () => {
      closed = true;
      finish();
    });
    socket.once('error', (error) => {
      // A reset after the answer still counts as closed; before any byte it is a failure.
      if (chunks.length === 0) {
        clearTimeout(bound);
        reject(error);
      }
    });
    socket.write(payload, 'latin1');
  });
}

describe('HTTP parser errors on a listening server', () => {
  const t = useTestApp({
    PROBLEM_TYPE_BASE_URI: 'https://errors.test',
    HTTP_HEADERS_TIMEOUT_MS: '1000',
    HTTP_REQUEST_TIMEOUT_MS: '1000',
  });
  let port: number;

  beforeAll(async () => {
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  /** Every parser error looks the same to the client: these headers, this body, then close. */
  function expectProblem(
    res: RawExchange,
    expected: { status: number; title: string; slug: string; detail: string; instance: string },
  ): void {
    expect(res.status).toBe(expected.status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(res.body)).toEqual({
      type: `https://errors.test/${expected.slug}`,
      title: expected.title,
      status: expected.status,
      detail: expected.detail,
      instance: expected.instance,
      code: 'HTTP_ERROR',
      requestId: res.headers['x-request-id'],
    });
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
    expect(res.closed).toBe(true);
    // The id the client got is the one in the log.
    expect(
      t.logs.lines.filter(
        (l) =>
          l.msg === 'Request rejected by the HTTP parser' &&
          l.requestId === res.headers['x-request-id'],
      ),
    ).toMatchObject([{ level: 'warn', status: expected.status }]);
  }

  it('bad framing (Content-Length and Transfer-Encoding together) → 400 problem+json, closed', async () => {
    const res = await exchange(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );

    expect(res.status).toBe(400);
    expectProblem(res, {
      status: 400,
      title: 'Bad Request',
      slug: 'bad-request',
      detail: 'The request could not be parsed as HTTP',
      instance: '/api/v1/auth/login',
    });
  });

  it('a header block over the 16 KiB limit → 431 problem+json, closed', async () => {
    const res = await exchange(
      port,
      `GET /health?x=1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );

    expect(res.status).toBe(431);
    expectProblem(res, {
      status: 431,
      title: 'Request Header Fields Too Large',
      slug: 'request-header-fields-too-large',
      detail: 'The request header fields are too large',
      instance: '/health',
    });
  });

  it('an invalid character in a header name → 400 problem+json, closed', async () => {
    const res = await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX(Bad: 1\r\n\r\n');

    expect(res.status).toBe(400);
    expectProblem(res, {
      status: 400,
      title: 'Bad Request',
      slug: 'bad-request',
      detail: 'The request could not be parsed as HTTP',
      instance: '/health',
    });
  });

  it('headers that never finish → 408 problem+json at the configured 1 s, closed', async () => {
    const res = await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');

    expectProblem(res, {
      status: 408,
      title: 'Request Timeout',
      slug: 'request-timeout',
      detail: 'The request was not received in time',
      // Node's timeout error carries no packet: the request line is not known here.
      instance: '',
    });
    // Node's default sweep (every 30 s) would answer far later than this bound.
    expect(res.elapsedMs).toBeLessThan(EXCHANGE_BOUND_MS);
  });

  it('a body that never completes → 408 problem+json at the configured 1 s, closed', async () => {
    const res = await exchange(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"email":',
    );

    expectProblem(res, {
      status: 408,
      title: 'Request Timeout',
      slug: 'request-timeout',
      detail: 'The request was not received in time',
      instance: '/api/v1/auth/login',
    });
    expect(res.elapsedMs).toBeLessThan(EXCHANGE_BOUND_MS);
  });
});
