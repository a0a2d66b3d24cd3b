import addressparser from 'nodemailer/lib/addressparser';

/** A host name (no TLD needed: `localhost` and internal relays are fine). */
const HOST_LABELS =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
/** The local part of an address, without quoting: what real sender addresses use. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;

/** `local@host`: a plain address with a host name (an IP literal is refused). */
export function isMailAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at > 64 || address.length > 254) {
    return false;
  }
  return LOCAL_PART.test(address.slice(0, at)) && HOST_LABELS.test(address.slice(at + 1));
}

/**
 * Exactly one address (`a@b` or `Name <a@b>`), no group, no line break: nodemailer's own
 * parser splits it, so a value it would read as two recipients is refused here.
 */
export function isSingleMailbox(value: string): boolean {
  if (/[\r\n]/.test(value)) {
    return false;
  }
  const parsed = addressparser(value, { flatten: false });
  const only = parsed.length === 1 ? parsed[0] : undefined;
  return only?.group === undefined && isMailAddress(only?.address ?? '');
}

/**
 * `to` of a mail: one address as stored on a user (class-validator's isEmail, so UTF-8 local
 * parts and IDN domains too), which nodemailer reads as exactly that one recipient.
 */
export function isOneRecipient(value: string): boolean {
  if (/[\r\n]/.test(value)) {
    return false;
  }
  const parsed = addressparser(value, { flatten: false });
  const only = parsed.length === 1 ? parsed[0] : undefined;
  return only?.group === undefined && only?.address === value && value.includes('@');
}
