/**
 * The Node HTTP server under Nest: created with the configured timeouts (so Node checks them
 * often enough to enforce them), and answering the errors Node's own HTTP parser raises
 * (bad framing, oversized headers, timeouts) as problem+json with a request id, like every
 * other error of this service.
 */
import { randomUUID } from 'node:crypto';
import http, { type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Logger } from 'pino';

import { CoreErrorCode } from '../errors/core-error-codes';
import { PROBLEM_CONTENT_TYPE, buildProblem, reasonPhrase } from '../errors/problem-details';
import { REQUEST_ID_HEADER } from '../http/request-id';

export interface HttpServerTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** Node's default `connectionsCheckingInterval`: also the upper bound here. */
const NODE_DEFAULT_CHECK_MS = 30_000;
const MIN_CHECK_MS = 250;
/** A timeout is enforced at most a quarter of itself late. */
const CHECKS_PER_TIMEOUT = 4;

/**
 * How often Node sweeps connections for `headersTimeout`/`requestTimeout`. Node only checks
 * on this interval (default 30 s), so a 1 s request timeout would otherwise fire up to 30 s late.
 */
function connectionsCheckingIntervalMs(timeouts: HttpServerTimeouts): number {
  const bounds = [timeouts.headersTimeoutMs, timeouts.requestTimeoutMs].filter((ms) => ms > 0);
  if (bounds.length === 0) {
    return NODE_DEFAULT_CHECK_MS;
  }
  const interval = Math.floor(Math.min(...bounds) / CHECKS_PER_TIMEOUT);
  return Math.min(NODE_DEFAULT_CHECK_MS, Math.max(MIN_CHECK_MS, interval));
}

/**
 * Nest's ExpressAdapter creates its server with `http.createServer(app)`, no options; the
 * checking interval is a createServer option only, so this adapter creates the server itself.
 */
class ConfiguredExpressAdapter extends ExpressAdapter {
  constructor(private readonly serverOptions: http.ServerOptions) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions !== undefined || options.forceCloseConnections === true) {
      // Not used by this service; Nest's own server then (without the tuned options).
      super.initHttpServer(options);
      return;
    }
    const listener = this.getInstance<http.RequestListener>();
    this.setHttpServer(http.createServer(this.serverOptions, listener));
  }
}

/** The adapter for NestFactory.create(): an Express app on a server with these timeouts. */
export function createHttpAdapter(timeouts: HttpServerTimeouts): ExpressAdapter {
  return new ConfiguredExpressAdapter({
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(timeouts),
  });
}

/** Node's own mapping (lib/_http_server.js), kept: only the body and headers change. */
function statusFor(code: string): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

const DETAIL: Readonly<Record<number, string>> = {
  400: 'The request could not be parsed as HTTP',
  408: 'The request was not received in time',
  413: 'The chunk extensions are too large',
  431: 'The request header fields are too large',
};

interface ParserError extends Error {
  readonly code?: string;
  readonly rawPacket?: Buffer;
}

/** The path of the request line, when the packet starts with one (`GET /x?y HTTP/1.1`). */
function requestPath(inFlight: ServerResponse | null, error: ParserError): string {
  const url = inFlight?.req.url;
  if (url !== undefined) {
    return url.split('?')[0] ?? '';
  }
  const head = error.rawPacket?.toString('latin1', 0, 2048) ?? '';
  return /^[A-Z]+ (\/[^\s?#]*)/.exec(head)?.[1] ?? '';
}

/** Node keeps the response it is writing on the socket (`_httpMessage`); no public accessor. */
function responseInFlight(socket: Duplex): ServerResponse | null {
  const message = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  return message ?? null;
}

export interface ClientErrorOptions {
  readonly logger: Logger;
  readonly problemTypeBaseUri: string;
}

/**
 * Replaces Node's bare `HTTP/1.1 400` for errors its parser raises before any route runs: the
 * client gets a problem+json body and an `X-Request-Id` that is also in the log, then the
 * connection is closed (its framing is unknown, nothing more can be read from it).
 */
export function answerClientErrors(server: http.Server, options: ClientErrorOptions): void {
  server.on('clientError', (error: ParserError, socket: Duplex) => {
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const inFlight = responseInFlight(socket);
    const status = statusFor(error.code ?? '');
    const requestId = randomUUID();
    options.logger.warn(
      { requestId, status, reason: error.code ?? error.message },
      'Request rejected by the HTTP parser',
    );
    if (!socket.writable || inFlight?.headersSent === true) {
      // Nothing can be said on this connection any more without corrupting it.
      socket.destroy();
      return;
    }
    const body = JSON.stringify(
      buildProblem({
        baseUri: options.problemTypeBaseUri,
        status,
        detail: DETAIL[status] ?? reasonPhrase(status),
        instance: requestPath(inFlight, error),
        code: CoreErrorCode.HTTP_ERROR,
        requestId,
      }),
    );
    const head = [
      `HTTP/1.1 ${status} ${reasonPhrase(status)}`,
      `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `${REQUEST_ID_HEADER}: ${requestId}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'Connection: close',
    ];
    // Half-close after the response: an immediate close with unread request bytes would make
    // the kernel send a reset, and the client could lose the answer. A peer that never
    // closes its side is cut off shortly after.
    const linger = setTimeout(() => socket.destroy(), 2_000);
    linger.unref();
    socket.once('close', () => {
      clearTimeout(linger);
    });
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}
