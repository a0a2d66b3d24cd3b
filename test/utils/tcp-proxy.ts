import { createServer, connect, type Server, type Socket } from 'node:net';

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * A loopback TCP proxy in front of a dependency, so a suite can cut it (outage), stall it
 * (bytes held, nothing refused: a network that stops delivering) and restore it without
 * touching the real server.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly links = new Set<Link>();
  private holding = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.track(client);
      this.track(upstream);
      const link = { client, upstream };
      this.links.add(link);
      client.on('close', () => this.links.delete(link));
      if (!this.holding) {
        this.flow(link);
      }
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    this.server = server;
    return this.port;
  }

  /**
   * Stops relaying in both directions: connections stay open and new ones are accepted, but
   * no byte gets through (they wait in the proxy) until `release()`.
   */
  hold(): void {
    this.holding = true;
    for (const { client, upstream } of this.links) {
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  }

  /** Relays again, the held bytes first. */
  release(): void {
    this.holding = false;
    for (const link of this.links) {
      this.flow(link);
    }
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    this.holding = false;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
    this.links.clear();
    const server = this.server;
    this.server = null;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    await this.start(this.port);
  }

  private flow({ client, upstream }: Link): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

/**
 * A TcpProxy in front of the service at `targetUrl` for a describe block: started before
 * each test (`'each'`) or once (`'all'`), cut after. `url(of)` is `of` with its host
 * replaced by the proxy's, so a server under test reaches the dependency through it.
 */
export function proxyInFrontOf(
  targetUrl: string,
  defaultPort: number,
  scope: 'each' | 'all',
): { readonly proxy: TcpProxy; url(of: string): string } {
  let current: TcpProxy | undefined;
  const start = async (): Promise<void> => {
    const target = new URL(targetUrl);
    current = new TcpProxy(target.hostname, Number(target.port || defaultPort));
    await current.start();
  };
  const cut = async (): Promise<void> => {
    await current?.cut();
  };
  if (scope === 'each') {
    beforeEach(start);
    afterEach(cut);
  } else {
    beforeAll(start);
    afterAll(cut);
  }
  const proxyOf = (): TcpProxy => {
    if (current === undefined) {
      throw new Error('the proxy is started in beforeEach/beforeAll');
    }
    return current;
  };
  return {
    get proxy(): TcpProxy {
      return proxyOf();
    },
    url(of: string): string {
      const url = new URL(of);
      url.host = `127.0.0.1:${proxyOf().port}`;
      return url.toString();
    },
  };
}
