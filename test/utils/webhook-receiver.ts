import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as the receiver saw it, recorded the moment its body was in. */
export interface ReceivedDelivery {
  readonly method: string;
  readonly path: string;
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body, byte for byte as signed (UTF-8). */
  readonly body: string;
  /** The body parsed, or undefined when it is not JSON. */
  readonly json: unknown;
  /** Date.now() at arrival. */
  readonly at: number;
  /** The status answered, once answered (undefined while a slow responder is still deciding). */
  respondedWith?: number;
}

/** Decides the status for a request; may take its time (a slow receiver). */
export type Responder = (delivery: ReceivedDelivery) => number | Promise<number>;

export interface WebhookReceiverOptions {
  /** The secret `verify()` uses when none is given. */
  readonly secret?: string;
  /** Default: 200 for every request. */
  readonly respond?: Responder;
  /** The path in `url` (default '/webhook'); requests to any path are recorded. */
  readonly path?: string;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port><path>; the same across stop()/start(). */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first. */
  readonly received: ReceivedDelivery[];
  /** Resolves with the first received request (past or future) that matches, or rejects after timeoutMs. */
  waitFor(
    predicate: (delivery: ReceivedDelivery) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedDelivery>;
  /** Resolves once `count` matching requests have been received (all of them, oldest first). */
  waitForCount(
    count: number,
    timeoutMs: number,
    predicate?: (delivery: ReceivedDelivery) => boolean,
  ): Promise<ReceivedDelivery[]>;
  setResponder(respond: Responder): void;
  /**
   * True when the Standard Webhooks signature is valid for `secret` (default: the receiver's),
   * checked twice: by an independent HMAC here and by the standardwebhooks library.
   */
  verify(delivery: ReceivedDelivery, secret?: string): boolean;
  /** Stops listening and drops open connections (a receiver that is down); the port is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** stop() for good. */
  close(): Promise<void>;
}

const MAX_WAIT_MS = 120_000;

/**
 * A real HTTP receiver on 127.0.0.1 for tests: records what arrives, answers what the test says,
 * and checks signatures without trusting the code that made them.
 */
export async function startWebhookReceiver(
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const receiver = new LoopbackWebhookReceiver(options);
  await receiver.start();
  return receiver;
}

class LoopbackWebhookReceiver implements WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly listeners = new Set<() => void>();
  private respond: Responder;
  private readonly path: string;
  private boundPort = 0;
  // A plain field, not a parameter property: the file also runs under Node's type stripping.
  private readonly options: WebhookReceiverOptions;

  constructor(options: WebhookReceiverOptions) {
    this.options = options;
    this.respond = options.respond ?? (() => 200);
    this.path = options.path ?? '/webhook';
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.boundPort)}${this.path}`;
  }

  setResponder(respond: Responder): void {
    this.respond = respond;
  }

  async start(): Promise<void> {
    if (this.server !== null) {
      return;
    }
    const server = createServer((req, res) => {
      this.handle(req, res);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (typeof address === 'object' && address !== null) {
      this.boundPort = address.port;
    }
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) {
      return;
    }
    this.server = null;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
    await closed;
  }

  close(): Promise<void> {
    return this.stop();
  }

  waitFor(
    predicate: (delivery: ReceivedDelivery) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedDelivery> {
    return this.waitForCount(1, timeoutMs, predicate).then((found) => found[0] as ReceivedDelivery);
  }

  waitForCount(
    count: number,
    timeoutMs: number,
    predicate: (delivery: ReceivedDelivery) => boolean = () => true,
  ): Promise<ReceivedDelivery[]> {
    const matching = (): ReceivedDelivery[] => this.received.filter(predicate);
    const now = matching();
    if (now.length >= count) {
      return Promise.resolve(now.slice(0, count));
    }
    return new Promise<ReceivedDelivery[]>((resolve, reject) => {
      const check = (): void => {
        const found = matching();
        if (found.length >= count) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(found.slice(0, count));
        }
      };
      const timer = setTimeout(
        () => {
          this.listeners.delete(check);
          reject(
            new Error(
              `webhook receiver: ${String(matching().length)} of ${String(count)} expected ` +
                `deliveries within ${String(timeoutMs)} ms (${String(this.received.length)} received in all)`,
            ),
          );
        },
        Math.min(timeoutMs, MAX_WAIT_MS),
      );
      this.listeners.add(check);
    });
  }

  verify(delivery: ReceivedDelivery, secret: string | undefined = this.options.secret): boolean {
    if (secret === undefined) {
      throw new Error('webhook receiver: no secret to verify with');
    }
    return verifyIndependently(delivery, secret) && verifyWithLibrary(delivery, secret);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const delivery: ReceivedDelivery = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: flattenHeaders(req),
        body,
        json: parseJson(body),
        at: Date.now(),
      };
      this.received.push(delivery);
      for (const listener of [...this.listeners]) {
        listener();
      }
      void this.answer(delivery, res);
    });
  }

  private async answer(delivery: ReceivedDelivery, res: ServerResponse): Promise<void> {
    let status: number;
    try {
      status = await this.respond(delivery);
    } catch {
      status = 500;
    }
    delivery.respondedWith = status;
    // The sender may have given up (timeout) or the receiver been stopped meanwhile.
    if (res.destroyed || res.writableEnded) {
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(String(status));
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return headers;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Standard Webhooks v1 by hand: HMAC-SHA256 over "<id>.<timestamp>.<body>", key = base64 after whsec_. */
function verifyIndependently(delivery: ReceivedDelivery, secret: string): boolean {
  const id = delivery.headers['webhook-id'];
  const timestamp = delivery.headers['webhook-timestamp'];
  const signatures = delivery.headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    return false;
  }
  if (!secret.startsWith('whsec_')) {
    return false;
  }
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || signature === undefined) {
      return false;
    }
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function verifyWithLibrary(delivery: ReceivedDelivery, secret: string): boolean {
  try {
    new Webhook(secret).verify(delivery.body, { ...delivery.headers });
    return true;
  } catch {
    return false;
  }
}
