import { hash } from 'node:crypto';

/**
 * Express's `etag` setting: the weak entity tag Express computes by default (`W/"<length
 * in hex>-<first 27 characters of the body's base64 SHA-1>"`, from the `etag` package),
 * with Node's one-shot `crypto.hash()` instead of a Hash object per response. Same tags,
 * so caches and clients see no change.
 */
export function weakEtag(body: Buffer | string, encoding?: BufferEncoding): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, encoding) : body;
  if (bytes.length === 0) {
    // The etag package's tag of an empty body.
    return 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  }
  return `W/"${bytes.length.toString(16)}-${hash('sha1', bytes, 'base64').slice(0, 27)}"`;
}
