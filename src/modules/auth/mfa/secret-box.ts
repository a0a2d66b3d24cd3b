import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Only the bytes it came from: Node's decoder skips foreign characters and stray bits. */
function fromBase64Url(text: string): Buffer | null {
  if (!BASE64URL.test(text)) {
    return null;
  }
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** The sealed text cannot be opened: another key, another context, or changed bytes. */
export class SecretBoxOpenError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Cannot decrypt: ${reason}`, options);
    this.name = SecretBoxOpenError.name;
  }
}

/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV per encryption, as text
 * `v1.<iv>.<ciphertext>.<tag>` (base64url). The version leaves room for another algorithm
 * or key later. `context` (the owner's id) is authenticated with it, so a ciphertext copied
 * onto another row does not open there.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`A SecretBox key is ${KEY_BYTES} bytes, not ${key.length}`);
    }
    this.key = Buffer.from(key);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      ...[iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url')),
    ].join('.');
  }

  /** Throws SecretBoxOpenError unless `sealed` is what `encrypt()` made with this key and context. */
  decrypt(sealed: string, context: string): string {
    const [version, ...parts] = sealed.split('.');
    if (version !== VERSION || parts.length !== 3) {
      throw new SecretBoxOpenError(`not a ${VERSION} sealed text`);
    }
    const [iv, ciphertext, tag] = parts.map(fromBase64Url);
    if (!iv || !ciphertext || !tag || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxOpenError(`a malformed ${VERSION} sealed text`);
    }
    const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (cause: unknown) {
      throw new SecretBoxOpenError('wrong key or context, or the data was changed', { cause });
    }
  }
}
