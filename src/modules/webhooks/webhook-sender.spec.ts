import { createHmac, randomBytes } from 'node:crypto';
import type { LookupAddress, LookupOptions } from 'node:dns';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Webhook } from 'standardwebhooks';
import {
  DEFAULT_WEBHOOK_USER_AGENT,
  pinnedLookup,
  WebhookSender,
  type AttemptResult,
  type SenderOptions,
  type WebhookRequest,
} from './webhook-sender';
import type { AddressLookup, WebhookUrlRules } from './webhook-url-policy';

// Every server here listens on 127.0.0.1, and every lookup answers 127.0.0.1 or is refused
// before a connection is made: no test sends a packet anywhere else.

const localRules: WebhookUrlRules = { allowHttp: true, allowPrivateNetworks: true };
const guardedRules: WebhookUrlRules = { allowHttp: true, allowPrivateNetworks: false };

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly remoteAddress: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Receiver {
  readonly port: number;
  readonly received: Received[];
  url(path?: string): string;
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

/** A real HTTP server on 127.0.0.1: records each request once its body is in, then hands it on. */
async function startReceiver(handler: Handler): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remoteAddress: req.socket.remoteAddress,
      });
      handler(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, received, url: (path = '/hooks') => `http://127.0.0.1:${port}${path}` };
}

function answer(status: number, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers).end('{"ok":true}');
  };
}

/** A lookup that answers the script in turn (the last answer repeats) and records each question. */
function scriptedLookup(...answers: (readonly LookupAddress[] | 'fail' | 'hang')[]) {
  const asked: string[] = [];
  const lookup: AddressLookup = (hostname) => {
    asked.push(hostname);
    const next = answers[Math.min(asked.length, answers.length) - 1] ?? 'fail';
    if (next === 'hang') {
      return new Promise<never>(() => undefined);
    }
    return next === 'fail'
      ? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${hostname}`))
      : Promise.resolve(next);
  };
  return { lookup, asked };
}

const loopback: LookupAddress = { address: '127.0.0.1', family: 4 };
const secret = `whsec_${randomBytes(32).toString('base64')}`;

function delivery(url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    secret,
    messageId: 'evt_0197a3c2-5f7e-7cc1-9d1e-3b7f4c1a2b3c',
    body: JSON.stringify({
      id: 'evt_0197a3c2-5f7e-7cc1-9d1e-3b7f4c1a2b3c',
      type: 'order.placed',
      data: { note: 'crème brûlée 🍮' },
    }),
    timestamp: new Date(),
    ...overrides,
  };
}

function sender(options: Partial<SenderOptions> = {}): WebhookSender {
  return new WebhookSender({ timeoutMs: 2000, rules: localRules, ...options });
}

function failure(result: AttemptResult) {
  if (result.outcome !== 'failed') {
    throw new Error(`expected a failed attempt, got ${JSON.stringify(result)}`);
  }
  return result;
}

describe('WebhookSender', () => {
  describe('request', () => {
    it('POSTs the body with Standard Webhooks headers that an independent HMAC reproduces', async () => {
      const receiver = await startReceiver(answer(200));
      const request = delivery(receiver.url('/hooks/orders?tenant=7'));

      await sender().send(request);

      expect(receiver.received).toHaveLength(1);
      const [got] = receiver.received;
      expect(got?.method).toBe('POST');
      expect(got?.url).toBe('/hooks/orders?tenant=7');
      expect(got?.body).toBe(request.body);
      const headers = got!.headers;
      expect(headers['content-type']).toBe('application/json');
      expect(headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
      expect(headers['user-agent']).toBe(DEFAULT_WEBHOOK_USER_AGENT);
      expect(headers['webhook-id']).toBe(request.messageId);
      const seconds = String(Math.floor(request.timestamp.getTime() / 1000));
      expect(headers['webhook-timestamp']).toBe(seconds);

      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const mac = createHmac('sha256', key)
        .update(`${request.messageId}.${seconds}.${request.body}`)
        .digest('base64');
      expect(headers['webhook-signature']).toBe(`v1,${mac}`);
    });

    it('is accepted by the standardwebhooks verifier a receiver would run', async () => {
      const receiver = await startReceiver(answer(200));
      const request = delivery(receiver.url());

      await sender().send(request);

      const headers = receiver.received[0]!.headers;
      const verified = new Webhook(secret).verify(receiver.received[0]!.body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      });
      expect(verified).toEqual(JSON.parse(request.body));
      expect(() =>
        new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(
          receiver.received[0]!.body,
          {
            'webhook-id': String(headers['webhook-id']),
            'webhook-timestamp': String(headers['webhook-timestamp']),
            'webhook-signature': String(headers['webhook-signature']),
          },
        ),
      ).toThrow('No matching signature found');
    });

    it('sends the configured user agent', async () => {
      const receiver = await startReceiver(answer(204));
      await sender({ userAgent: 'Shop-Webhooks/2.0' }).send(delivery(receiver.url()));
      expect(receiver.received[0]?.headers['user-agent']).toBe('Shop-Webhooks/2.0');
    });
  });

  describe('outcome', () => {
    it.each([200, 201, 202, 204, 299])('counts %i as delivered', async (status) => {
      const receiver = await startReceiver(answer(status));
      const result = await sender().send(delivery(receiver.url()));
      expect(result).toEqual({
        outcome: 'succeeded',
        statusCode: status,
        durationMs: expect.any(Number),
      });
    });

    it.each([
      [500, 'the receiver answered HTTP 500'],
      [503, 'the receiver answered HTTP 503'],
      [404, 'the receiver answered HTTP 404'],
      [410, 'the receiver answered HTTP 410'],
    ])('fails on %i with the status, to be retried', async (status, error) => {
      const receiver = await startReceiver(answer(status));
      const result = await sender().send(delivery(receiver.url()));
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: status,
        error,
        durationMs: expect.any(Number),
        retryable: true,
      });
    });

    it('does not follow a redirect: the target gets nothing', async () => {
      const target = await startReceiver(answer(200));
      const receiver = await startReceiver(answer(302, { location: target.url('/elsewhere') }));

      const result = await sender().send(delivery(receiver.url()));

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: 302,
        error: `redirect not followed (302 to ${target.url('/elsewhere')})`,
        durationMs: expect.any(Number),
        retryable: true,
      });
      expect(receiver.received).toHaveLength(1);
      expect(target.received).toHaveLength(0);
    });

    it('keeps the error of a redirect to a very long location within 500 characters', async () => {
      const location = `http://127.0.0.1:1/${'x'.repeat(3000)}`;
      const receiver = await startReceiver(answer(307, { location }));

      const { error, statusCode } = failure(await sender().send(delivery(receiver.url())));

      expect(statusCode).toBe(307);
      expect(error).toHaveLength(500);
      expect(error.startsWith('redirect not followed (307 to http://127.0.0.1:1/xxx')).toBe(true);
    });

    it('reports a refused connection briefly, to be retried', async () => {
      const closed = await startReceiver(answer(200));
      const port = closed.port;
      await new Promise<void>((resolve) =>
        servers.pop()!.close(() => {
          resolve();
        }),
      );

      const result = await sender().send(delivery(`http://127.0.0.1:${port}/hooks`));

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: `connect ECONNREFUSED 127.0.0.1:${port}`,
        durationMs: expect.any(Number),
        retryable: true,
      });
    });
  });

  describe('bounds', () => {
    it('gives up on a receiver that never answers at timeoutMs and closes the connection', async () => {
      let socketClosed!: Promise<void>;
      const receiver = await startReceiver((req) => {
        socketClosed = new Promise((resolve) =>
          req.socket.once('close', () => {
            resolve();
          }),
        );
      });

      const result = failure(await sender({ timeoutMs: 200 }).send(delivery(receiver.url())));

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: 'timed out after 200 ms',
        durationMs: expect.any(Number),
        retryable: true,
      });
      expect(result.durationMs).toBeGreaterThanOrEqual(195);
      expect(result.durationMs).toBeLessThan(1500);
      expect(receiver.received).toHaveLength(1);
      await socketClosed;
    });

    it('counts the body against the timeout: a 200 whose body never ends is not delivered', async () => {
      const receiver = await startReceiver((_req, res) => {
        res.writeHead(200);
        res.write('{"ok":');
      });

      const result = await sender({ timeoutMs: 200 }).send(delivery(receiver.url()));

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: 200,
        error: 'timed out after 200 ms',
        durationMs: expect.any(Number),
        retryable: true,
      });
    });

    it('times out a host whose name never resolves', async () => {
      const { lookup } = scriptedLookup('hang');
      const result = await sender({ timeoutMs: 100, lookup }).send(
        delivery('https://receiver.invalid/hooks'),
      );
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: 'timed out after 100 ms',
        durationMs: expect.any(Number),
        retryable: true,
      });
    });

    it.each([
      [200, 'succeeded'],
      [500, 'failed'],
    ])(
      'stops reading a %i body that streams without end after maxResponseBytes',
      async (status, outcome) => {
        const limit = 256 * 1024 * 1024;
        let written = 0;
        let streamClosed!: Promise<void>;
        const receiver = await startReceiver((_req, res) => {
          streamClosed = new Promise((resolve) =>
            res.once('close', () => {
              resolve();
            }),
          );
          const chunk = Buffer.alloc(64 * 1024, 'x');
          res.writeHead(status, { 'content-type': 'text/plain' });
          const pump = (): void => {
            while (written < limit && !res.destroyed) {
              written += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          pump();
        });

        const result = await sender({ timeoutMs: 4000, maxResponseBytes: 16 * 1024 }).send(
          delivery(receiver.url()),
        );

        expect(result.outcome).toBe(outcome);
        expect(result.statusCode).toBe(status);
        await streamClosed;
        expect(written).toBeLessThan(limit / 4);
      },
    );

    it('stops at once when the caller aborts', async () => {
      const receiver = await startReceiver(() => undefined);
      const controller = new AbortController();
      setTimeout(() => {
        controller.abort();
      }, 50);

      const result = failure(
        await sender({ timeoutMs: 10_000 }).send(delivery(receiver.url()), controller.signal),
      );

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: 'delivery aborted before it completed',
        durationMs: expect.any(Number),
        retryable: true,
      });
      expect(result.durationMs).toBeLessThan(1000);
    });

    it('sends nothing when the caller has already aborted', async () => {
      const receiver = await startReceiver(answer(200));
      const result = await sender().send(delivery(receiver.url()), AbortSignal.abort());
      expect(failure(result).error).toBe('delivery aborted before it completed');
      expect(receiver.received).toHaveLength(0);
    });
  });

  describe('where it connects', () => {
    it('refuses a loopback IP literal without private networks, for good', async () => {
      const receiver = await startReceiver(answer(200));
      const result = await sender({ rules: guardedRules }).send(delivery(receiver.url()));
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: "the URL's host is a loopback address (127.0.0.1)",
        durationMs: expect.any(Number),
        retryable: false,
      });
      expect(receiver.received).toHaveLength(0);
    });

    it('refuses a name that resolves to loopback, to be checked again next attempt', async () => {
      const receiver = await startReceiver(answer(200));
      const { lookup, asked } = scriptedLookup([loopback]);

      const result = await sender({ rules: guardedRules, lookup }).send(
        delivery(`http://receiver.invalid:${receiver.port}/hooks`),
      );

      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: 'the host resolves to a loopback address (127.0.0.1)',
        durationMs: expect.any(Number),
        retryable: true,
      });
      expect(asked).toEqual(['receiver.invalid']);
      expect(receiver.received).toHaveLength(0);
    });

    it('refuses a name with one private address among public ones before connecting', async () => {
      const { lookup } = scriptedLookup([
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ]);
      const result = await sender({ rules: guardedRules, lookup }).send(
        delivery('https://receiver.invalid/hooks'),
      );
      expect(failure(result).error).toBe('the host resolves to a private address (10.0.0.1)');
    });

    it('says a name that does not resolve does not resolve', async () => {
      const { lookup } = scriptedLookup('fail');
      const result = await sender({ lookup }).send(delivery('https://receiver.invalid/hooks'));
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error: 'host does not resolve',
        durationMs: expect.any(Number),
        retryable: true,
      });
    });

    it('connects to the checked address without resolving again, keeping the Host header', async () => {
      const receiver = await startReceiver(answer(200));
      // A second question would be answered with an error, never with an address: if the
      // connection resolved the name again, the attempt would fail instead of arriving.
      const { lookup, asked } = scriptedLookup([loopback], 'fail');

      const result = await sender({ lookup }).send(
        delivery(`http://receiver.invalid:${receiver.port}/hooks`),
      );

      expect(result.outcome).toBe('succeeded');
      expect(asked).toEqual(['receiver.invalid']);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.headers.host).toBe(`receiver.invalid:${receiver.port}`);
      expect(receiver.received[0]?.remoteAddress).toBe('127.0.0.1');
    });

    it('offers TLS the registered name (SNI) while connecting to the checked address', async () => {
      const serverNames: string[] = [];
      const tlsServer = createTlsServer({
        SNICallback: (servername, callback) => {
          serverNames.push(servername);
          callback(new Error('no certificate in this test'), undefined);
        },
      });
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      const { port } = tlsServer.address() as AddressInfo;
      try {
        const { lookup } = scriptedLookup([loopback], 'fail');
        const result = failure(
          await sender({ lookup, rules: { allowHttp: false, allowPrivateNetworks: true } }).send(
            delivery(`https://receiver.invalid:${port}/hooks`),
          ),
        );
        expect(serverNames).toEqual(['receiver.invalid']);
        expect(result.statusCode).toBeNull();
        expect(result.retryable).toBe(true);
        expect(result.error).not.toBe('');
      } finally {
        await new Promise<void>((resolve) =>
          tlsServer.close(() => {
            resolve();
          }),
        );
      }
    });
  });

  describe('refused before sending', () => {
    it.each([
      ['http://receiver.invalid/hooks', 'the URL must use https'],
      [
        'https://user:pw@receiver.invalid/hooks',
        'the URL must not contain a user name or password',
      ],
      ['not a url', 'the URL is not a valid absolute URL'],
    ])('does not retry %s', async (url, error) => {
      const { lookup, asked } = scriptedLookup([loopback]);
      const result = await sender({
        lookup,
        rules: { allowHttp: false, allowPrivateNetworks: true },
      }).send(delivery(url));
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: null,
        error,
        durationMs: expect.any(Number),
        retryable: false,
      });
      expect(asked).toEqual([]);
    });

    it('does not retry a message id that cannot travel in a header', async () => {
      const receiver = await startReceiver(answer(200));
      const result = await sender().send(
        delivery(receiver.url(), { messageId: 'evt_1\r\nx-injected: yes' }),
      );
      expect(failure(result)).toMatchObject({
        statusCode: null,
        error: 'the webhook-id header cannot carry the value given (invalid characters)',
        retryable: false,
      });
      expect(receiver.received).toHaveLength(0);
    });

    it('does not retry with a secret that is not a whsec_ secret', async () => {
      const receiver = await startReceiver(answer(200));
      const result = await sender().send(delivery(receiver.url(), { secret: 'whsec_' }));
      expect(failure(result)).toMatchObject({
        error: 'the webhook secret is not a valid whsec_ secret',
        retryable: false,
      });
      expect(receiver.received).toHaveLength(0);
    });
  });
});

describe('pinnedLookup', () => {
  const checked = [
    { address: '127.0.0.1', family: 4 as const },
    { address: '::1', family: 6 as const },
  ];

  function ask(options: LookupOptions) {
    return new Promise<{ error: Error | null; address: unknown; family: unknown }>((resolve) => {
      pinnedLookup(checked)('anything.example', options, (error, address, family) => {
        resolve({ error, address, family });
      });
    });
  }

  it('answers only with the checked addresses, whatever the name', async () => {
    await expect(ask({})).resolves.toEqual({ error: null, address: '127.0.0.1', family: 4 });
    await expect(ask({ all: true })).resolves.toEqual({
      error: null,
      address: checked,
      family: undefined,
    });
  });

  it('honours a requested family within the checked set', async () => {
    await expect(ask({ family: 6 })).resolves.toEqual({ error: null, address: '::1', family: 6 });
    await expect(ask({ family: 'IPv4', all: true })).resolves.toEqual({
      error: null,
      address: [checked[0]],
      family: undefined,
    });
  });

  it('fails rather than resolve when no checked address has the family', async () => {
    const onlyV4 = pinnedLookup([{ address: '127.0.0.1', family: 4 }]);
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      onlyV4('anything.example', { family: 6 }, (err) => {
        resolve(err);
      });
    });
    expect(error?.code).toBe('ENOTFOUND');
  });
});
