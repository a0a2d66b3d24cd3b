/**
 * One delivery attempt: POST the signed body to the receiver and say what happened. The address
 * checked by the URL policy is the address connected to (the socket's DNS lookup is answered from
 * the checked list), so a name cannot resolve to a public address for the check and to a private
 * one for the connection. Everything the receiver controls is bounded: time, body size, redirects.
 */
import {
  request as httpRequest,
  validateHeaderValue,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import {
  checkWebhookUrlSyntax,
  resolveAllowedAddresses,
  type AddressLookup,
  type ResolvedAddress,
  type WebhookUrlRules,
} from './webhook-url-policy';

export interface WebhookRequest {
  readonly url: string;
  /** `whsec_` + base64 of the key. */
  readonly secret: string;
  /** The event id: stable across retries, so receivers can deduplicate. */
  readonly messageId: string;
  /** JSON text, signed and sent byte for byte. */
  readonly body: string;
  readonly timestamp: Date;
}

export interface SenderOptions {
  readonly timeoutMs: number;
  readonly rules: WebhookUrlRules;
  /** Response bytes read before the connection is dropped (default 64 KiB); the body is discarded. */
  readonly maxResponseBytes?: number;
  readonly userAgent?: string;
  readonly lookup?: AddressLookup;
}

export type AttemptResult =
  | { outcome: 'succeeded'; statusCode: number; durationMs: number }
  | {
      outcome: 'failed';
      statusCode: number | null;
      error: string;
      durationMs: number;
      retryable: boolean;
    };

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_WEBHOOK_USER_AGENT = 'nest-enterprise-backend-webhooks/1';
export const MAX_ATTEMPT_ERROR_LENGTH = 500;

/** What came back over the wire, before it is judged. */
type Exchange =
  | { readonly statusCode: null; readonly error: string }
  | {
      readonly statusCode: number;
      readonly location: string | undefined;
      /** Set when the attempt was cut short while the body was still arriving. */
      readonly interrupted: string | null;
    };

export class WebhookSender {
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;

  constructor(private readonly options: SenderOptions) {
    if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new RangeError('timeoutMs must be a positive integer');
    }
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!Number.isSafeInteger(this.maxResponseBytes) || this.maxResponseBytes < 0) {
      throw new RangeError('maxResponseBytes must be a non-negative integer');
    }
    this.userAgent = options.userAgent ?? DEFAULT_WEBHOOK_USER_AGENT;
  }

  async send(request: WebhookRequest, signal?: AbortSignal): Promise<AttemptResult> {
    const startedAt = performance.now();
    const fail = (error: string, statusCode: number | null, retryable: boolean): AttemptResult => ({
      outcome: 'failed',
      statusCode,
      error: clip(error),
      durationMs: elapsedSince(startedAt),
      retryable,
    });

    const verdict = checkWebhookUrlSyntax(request.url, this.options.rules);
    if (!verdict.ok) {
      return fail(verdict.reason, null, false);
    }
    const headers = this.headersFor(verdict.url, request);
    if (typeof headers === 'string') {
      return fail(headers, null, false);
    }

    const deadline = new Deadline(this.options.timeoutMs, signal);
    try {
      const resolved = await deadline.race(
        resolveAllowedAddresses(verdict.url, this.options.rules, this.options.lookup),
      );
      if (resolved === null) {
        return fail(deadline.message, null, true);
      }
      if (!resolved.ok) {
        return fail(resolved.reason, null, true);
      }
      const exchange = await this.exchange(
        verdict.url,
        resolved.addresses,
        headers,
        request.body,
        deadline,
      );
      if (exchange.statusCode === null) {
        return fail(exchange.error, null, true);
      }
      const { statusCode } = exchange;
      if (exchange.interrupted !== null) {
        return fail(exchange.interrupted, statusCode, true);
      }
      if (statusCode >= 200 && statusCode < 300) {
        return { outcome: 'succeeded', statusCode, durationMs: elapsedSince(startedAt) };
      }
      if (statusCode >= 300 && statusCode < 400) {
        const target =
          exchange.location === undefined ? 'without a location' : `to ${exchange.location}`;
        return fail(`redirect not followed (${statusCode} ${target})`, statusCode, true);
      }
      return fail(`the receiver answered HTTP ${statusCode}`, statusCode, true);
    } finally {
      deadline.dispose();
    }
  }

  /** The headers, or why the request cannot be signed (a permanent fault, not the receiver's). */
  private headersFor(url: URL, request: WebhookRequest): OutgoingHttpHeaders | string {
    if (!Number.isFinite(request.timestamp.getTime())) {
      return 'the delivery timestamp is not a valid date';
    }
    let signature: string;
    try {
      signature = new Webhook(request.secret).sign(
        request.messageId,
        request.timestamp,
        request.body,
      );
    } catch {
      return 'the webhook secret is not a valid whsec_ secret';
    }
    const headers: OutgoingHttpHeaders = {
      host: url.host,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(request.body),
      'user-agent': this.userAgent,
      'webhook-id': request.messageId,
      'webhook-timestamp': String(Math.floor(request.timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    for (const [name, value] of Object.entries(headers)) {
      try {
        validateHeaderValue(name, String(value));
      } catch {
        return `the ${name} header cannot carry the value given (invalid characters)`;
      }
    }
    return headers;
  }

  private exchange(
    url: URL,
    addresses: readonly ResolvedAddress[],
    headers: OutgoingHttpHeaders,
    body: string,
    deadline: Deadline,
  ): Promise<Exchange> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const options = requestOptions(url, addresses, headers);
    const maxBytes = this.maxResponseBytes;

    return new Promise<Exchange>((resolve) => {
      if (deadline.signal.aborted) {
        resolve({ statusCode: null, error: deadline.message });
        return;
      }
      let settled = false;
      let req: ClientRequest | undefined;
      let response: { statusCode: number; location: string | undefined } | null = null;
      const finish = (exchange: Exchange): void => {
        if (settled) {
          return;
        }
        settled = true;
        deadline.signal.removeEventListener('abort', onAbort);
        // agent: false, so this closes the one socket of this attempt, read to the end or not.
        req?.destroy();
        resolve(exchange);
      };
      const answered = (interrupted: string | null): Exchange =>
        response === null
          ? { statusCode: null, error: interrupted ?? 'the connection closed without a response' }
          : { ...response, interrupted };
      const onAbort = (): void => {
        finish(answered(deadline.message));
      };

      const onResponse = (res: IncomingMessage): void => {
        response = { statusCode: res.statusCode ?? 0, location: res.headers.location };
        if (maxBytes === 0) {
          finish(answered(null));
          return;
        }
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= maxBytes) {
            finish(answered(null));
          }
        });
        // Once the status is in, a body that breaks off does not change the verdict.
        res.on('end', () => {
          finish(answered(null));
        });
        res.on('error', () => {
          finish(answered(null));
        });
        res.on('close', () => {
          finish(answered(null));
        });
      };

      try {
        req = request(options, onResponse);
      } catch (error) {
        finish({ statusCode: null, error: describeError(error) });
        return;
      }
      req.on('error', (error) => {
        finish(
          response === null ? { statusCode: null, error: describeError(error) } : answered(null),
        );
      });
      req.on('close', () => {
        finish(answered(null));
      });
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }
}

function requestOptions(
  url: URL,
  addresses: readonly ResolvedAddress[],
  headers: OutgoingHttpHeaders,
): RequestOptions {
  const isHttps = url.protocol === 'https:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    method: 'POST',
    hostname,
    port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false,
    lookup: pinnedLookup(addresses),
    // SNI and certificate checks are for the name the admin registered, not the address.
    ...(isHttps && isIP(hostname) === 0 ? { servername: hostname } : {}),
  };
}

/**
 * A socket lookup that answers only from addresses already checked: whatever the name resolves to
 * now, the connection goes to one of these. All of them are offered, so Node's address fallback
 * (autoSelectFamily) still works within the checked set.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family =
      options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
    const first = usable[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${family} address`);
      error.code = 'ENOTFOUND';
      callback(error, '', 0);
      return;
    }
    if (options.all === true) {
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
      return;
    }
    callback(null, first.address, first.family);
  };
}

/** The attempt's one clock: timeoutMs from the start, or the caller's signal, whichever is first. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  message = '';

  constructor(
    timeoutMs: number,
    private readonly external: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => {
      this.abort(`timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    if (external?.aborted === true) {
      this.onExternalAbort();
    } else {
      external?.addEventListener('abort', this.onExternalAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The promise's value, or null when the deadline came first (the promise is left to settle). */
  race<T>(promise: Promise<T>): Promise<T | null> {
    if (this.signal.aborted) {
      return Promise.resolve(null);
    }
    return new Promise<T | null>((resolve, reject) => {
      const onAbort = (): void => {
        resolve(null);
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external?.removeEventListener('abort', this.onExternalAbort);
  }

  private readonly onExternalAbort = (): void => {
    this.abort('delivery aborted before it completed');
  };

  private abort(message: string): void {
    if (!this.signal.aborted) {
      this.message = message;
      this.controller.abort(new Error(message));
    }
  }
}

function describeError(error: unknown): string {
  // Duck-typed, not instanceof: errors from Node's core may come from another realm (Jest's vm).
  if (typeof error !== 'object' || error === null) {
    return String(error);
  }
  const { message, code, errors } = error as {
    message?: unknown;
    code?: unknown;
    errors?: unknown;
  };
  if (typeof message === 'string' && message !== '') {
    return message;
  }
  if (Array.isArray(errors) && errors.length > 0) {
    // Node's address fallback (autoSelectFamily) fails with every address's error; say each once.
    return [...new Set(errors.map(describeError))].join('; ');
  }
  return typeof code === 'string' ? code : 'the connection failed';
}

/** Errors are shown to admins and stored: one line, bounded. */
function clip(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to strip control characters
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length <= MAX_ATTEMPT_ERROR_LENGTH
    ? line
    : `${line.slice(0, MAX_ATTEMPT_ERROR_LENGTH - 1)}…`;
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
