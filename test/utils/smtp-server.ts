import type { Socket } from 'node:net';

import { simpleParser, type AddressObject, type Source } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** A mail as a reader sees it, parsed by mailparser (not by the code that built it). */
export interface ParsedMail {
  /** The From header: its address and display name ('' without one). */
  readonly from: { readonly address: string; readonly name: string };
  /** The To header's addresses. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** '' when the mail has no HTML part. */
  readonly html: string;
  /** Unfolded header values by lower-case name (a repeated header: the first). */
  readonly headers: Readonly<Record<string, string>>;
  /** Every http(s) URL in the text body, in order (the links a user would follow). */
  readonly links: readonly string[];
  /** The whole message as received, CRLF and all. */
  readonly raw: string;
}

/** A mail the server accepted: what was parsed, the SMTP envelope and when it arrived. */
export interface ReceivedMail extends ParsedMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The user name the client logged in with (credentials in SMTP_URL), or null. */
  readonly user: string | null;
  /** Date.now() once the whole message was in. */
  readonly at: number;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port>, the same across stop()/start(). */
  readonly url: string;
  readonly port: number;
  /** Every accepted mail, oldest first (refused ones are not in it). */
  readonly received: ReceivedMail[];
  /** How many messages were refused by refuseNext() so far. */
  readonly refused: number;
  /** The first accepted mail (past or future) that matches; rejects after timeoutMs. */
  waitForMail(predicate: (mail: ReceivedMail) => boolean, timeoutMs: number): Promise<ReceivedMail>;
  /**
   * The next `count` messages are refused at the end of DATA with `code` (default 451, a
   * transient failure; 5xx for a permanent one) instead of being accepted.
   */
  refuseNext(count: number, code?: number): void;
  /** Stops listening and drops open connections (a server that is down); the port is kept. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** stop() for good. */
  close(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** Default: a free port chosen at the first start. */
  readonly port?: number;
}

const HOST = '127.0.0.1';
const MAX_WAIT_MS = 120_000;

/**
 * A real SMTP server on 127.0.0.1 for tests (the smtp-server package: plain SMTP, no TLS, any
 * or no credentials accepted, with or without logging in), keeping every mail parsed by mailparser.
 */
export async function startSmtpServer(
  options: TestSmtpServerOptions = {},
): Promise<TestSmtpServer> {
  const server = new LoopbackSmtpServer(options.port ?? 0);
  await server.start();
  return server;
}

/** Parses a raw message (an .eml file, what a server received) as a mail reader would. */
export async function parseMail(source: Source): Promise<ParsedMail> {
  const parsed = await simpleParser(source);
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    if (!(key in headers)) {
      headers[key] = line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim();
    }
  }
  const from = parsed.from?.value[0];
  const text = parsed.text ?? '';
  return {
    from: { address: from?.address ?? '', name: from?.name ?? '' },
    to: addresses(parsed.to),
    subject: parsed.subject ?? '',
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    headers,
    // A sentence's closing punctuation is not part of its link.
    links: (text.match(/https?:\/\/[^\s<>"]+/g) ?? []).map((l) => l.replace(/[.,;:!?)]+$/, '')),
    raw: typeof source === 'string' ? source : Buffer.isBuffer(source) ? source.toString() : '',
  };
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return objects.flatMap((o) =>
    o.value.flatMap((a) => (a.address === undefined ? [] : [a.address])),
  );
}

interface Refusal {
  remaining: number;
  code: number;
}

class LoopbackSmtpServer implements TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly listeners = new Set<() => void>();
  private refusal: Refusal = { remaining: 0, code: 451 };
  private refusedCount = 0;
  // Plain fields, not parameter properties: the file may also run under Node's type stripping.
  private boundPort: number;

  constructor(port: number) {
    this.boundPort = port;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `smtp://${HOST}:${String(this.boundPort)}`;
  }

  get refused(): number {
    return this.refusedCount;
  }

  refuseNext(count: number, code = 451): void {
    if (code < 400 || code > 599) {
      throw new Error(`smtp server: refuse with a 4xx or 5xx code, not ${String(code)}`);
    }
    this.refusal = { remaining: count, code };
  }

  async start(): Promise<void> {
    if (this.server !== null) {
      return;
    }
    const server = new SMTPServer({
      authOptional: true,
      // Plain SMTP, so logging in is allowed without TLS (any user name and password).
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // stop() drops connections itself; this only bounds a connection that ignores that.
      closeTimeout: 100,
      onAuth: (auth, _session, callback) => {
        callback(null, { user: auth.username ?? '' });
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (error) => {
            callback(error);
          },
          (error: unknown) => {
            callback(error instanceof Error ? error : new Error(String(error)));
          },
        );
      },
    });
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('error', () => {
      // A client that drops its connection mid-session is no failure of the server.
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.boundPort, HOST, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const address = server.server.address();
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

  waitForMail(
    predicate: (mail: ReceivedMail) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedMail> {
    const found = this.received.find(predicate);
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    return new Promise<ReceivedMail>((resolve, reject) => {
      const check = (): void => {
        const mail = this.received.find(predicate);
        if (mail !== undefined) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(mail);
        }
      };
      const timer = setTimeout(
        () => {
          this.listeners.delete(check);
          reject(
            new Error(
              `smtp server: no matching mail within ${String(timeoutMs)} ms ` +
                `(${String(this.received.length)} received, ${String(this.refusedCount)} refused)`,
            ),
          );
        },
        Math.min(timeoutMs, MAX_WAIT_MS),
      );
      this.listeners.add(check);
    });
  }

  /** Reads the whole message, then accepts it (undefined) or refuses it (the error to answer). */
  private async receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
  ): Promise<Error | undefined> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
    }
    if (this.refusal.remaining > 0) {
      this.refusal.remaining -= 1;
      this.refusedCount += 1;
      return Object.assign(new Error('Refused by the test'), { responseCode: this.refusal.code });
    }
    const raw = Buffer.concat(chunks);
    const { mailFrom, rcptTo } = session.envelope;
    const mail: ReceivedMail = {
      ...(await parseMail(raw)),
      envelope: {
        from: mailFrom === false ? '' : mailFrom.address,
        to: rcptTo.map((r) => r.address),
      },
      user: typeof session.user === 'string' ? session.user : null,
      at: Date.now(),
    };
    this.received.push(mail);
    for (const listener of [...this.listeners]) {
      listener();
    }
    return undefined;
  }
}
