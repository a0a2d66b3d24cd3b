/**
 * Where a webhook may point. A receiver URL is chosen by an admin but fetched by our workers from
 * inside our network, so it must not reach what only we can reach (loopback, private ranges, the
 * cloud metadata address...). The URL is checked at registration and, after DNS resolution, again
 * before every delivery: a name that resolved to a public address yesterday may not today.
 */
import { promises as dns, type LookupAddress, type LookupAllOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

export interface WebhookUrlRules {
  readonly allowHttp: boolean;
  readonly allowPrivateNetworks: boolean;
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type AddressVerdict =
  { ok: true; addresses: ResolvedAddress[] } | { ok: false; reason: string };

/** The shape of `dns.promises.lookup` with `{ all: true }`; tests inject their own. */
export type AddressLookup = (
  hostname: string,
  options: LookupAllOptions,
) => Promise<readonly LookupAddress[]>;

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** The 64:ff9b::/96 NAT64 prefix carries a whole IPv4 address; the address is what gets reached. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/** Deprecated IPv4-compatible addresses (::a.b.c.d); nothing legitimate uses them. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/** ipaddr.js range names, as an admin reads them ("the host resolves to <phrase> address"). */
const RANGE_PHRASES: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT',
  private: 'a private',
  uniqueLocal: 'a unique-local',
  reserved: 'a reserved',
};

export function checkWebhookUrlSyntax(raw: string, rules: WebhookUrlRules): UrlVerdict {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return refuse(`the URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  if (!URL.canParse(raw)) {
    return refuse('the URL is not a valid absolute URL');
  }
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:')) {
    return refuse(rules.allowHttp ? 'the URL must use https or http' : 'the URL must use https');
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('the URL must not contain a user name or password');
  }
  if (url.hostname === '') {
    return refuse('the URL has no host');
  }
  // url.hash is '' for a bare trailing '#', which is still a fragment.
  if (raw.includes('#')) {
    return refuse('the URL must not contain a fragment (#...)');
  }
  const literal = ipLiteralOf(url);
  if (literal !== null && !rules.allowPrivateNetworks) {
    const phrase = forbiddenPhrase(literal.address);
    if (phrase !== null) {
      return refuse(`the URL's host is ${phrase} address (${literal.address})`);
    }
  }
  return { ok: true, url };
}

/** Anything but a public unicast address; unparseable input is forbidden too. */
export function isForbiddenAddress(address: string): boolean {
  return forbiddenPhrase(address) !== null;
}

export async function resolveAllowedAddresses(
  url: URL,
  rules: WebhookUrlRules,
  lookup: AddressLookup = dns.lookup,
): Promise<AddressVerdict> {
  const literal = ipLiteralOf(url);
  const addresses = literal !== null ? [literal] : await resolve(url.hostname, lookup);
  if (addresses === null) {
    return refuse('host does not resolve');
  }
  if (!rules.allowPrivateNetworks) {
    // One bad address refuses the host: the connection could go to each of them.
    for (const { address } of addresses) {
      const phrase = forbiddenPhrase(address);
      if (phrase !== null) {
        return refuse(
          literal !== null
            ? `the URL's host is ${phrase} address (${address})`
            : `the host resolves to ${phrase} address (${address})`,
        );
      }
    }
  }
  return { ok: true, addresses };
}

async function resolve(hostname: string, lookup: AddressLookup): Promise<ResolvedAddress[] | null> {
  let answers: readonly LookupAddress[];
  try {
    answers = await lookup(hostname, { all: true });
  } catch {
    return null;
  }
  const addresses: ResolvedAddress[] = [];
  for (const { address } of answers) {
    // A resolver answer that is not an IP address cannot be pinned or checked: refuse the host.
    if (!ipaddr.isValid(address)) {
      return null;
    }
    addresses.push({ address, family: ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4 });
  }
  return addresses.length > 0 ? addresses : null;
}

/** WHATWG URL has already normalised odd IPv4 forms (2130706433, 0x7f.1, 127.1) to a.b.c.d. */
function ipLiteralOf(url: URL): ResolvedAddress | null {
  const host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) {
    return { address: host.slice(1, -1), family: 6 };
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) {
    return { address: host, family: 4 };
  }
  return null;
}

/** Null when the address is public unicast, else how to name its range to an admin. */
function forbiddenPhrase(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) {
    return 'an invalid';
  }
  return phraseOf(ipaddr.parse(bare));
}

function phraseOf(ip: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (ip instanceof ipaddr.IPv4) {
    return rangePhrase(ip.range());
  }
  const embedded = embeddedIPv4(ip);
  if (embedded !== null) {
    return phraseOf(embedded);
  }
  const range = ip.range();
  if (range === 'unicast' && ip.match(IPV4_COMPATIBLE)) {
    return 'a reserved';
  }
  // 6to4, Teredo, local-use NAT64 and the rest: tunnels and special uses, refused whole.
  return rangePhrase(range);
}

/** IPv6 forms that deliver to an IPv4 address: that IPv4 address is what must be allowed. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = ip.range();
  if (range !== 'ipv4Mapped' && range !== 'rfc6145' && !ip.match(NAT64_WELL_KNOWN)) {
    return null;
  }
  const bytes = ip.toByteArray().slice(12);
  return new ipaddr.IPv4(bytes);
}

function rangePhrase(range: string): string | null {
  return range === 'unicast' ? null : (RANGE_PHRASES[range] ?? 'a non-public');
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
