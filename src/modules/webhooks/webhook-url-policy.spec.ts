import type { LookupAddress } from 'node:dns';
import {
  checkWebhookUrlSyntax,
  isForbiddenAddress,
  resolveAllowedAddresses,
  type AddressLookup,
  type WebhookUrlRules,
} from './webhook-url-policy';

const strict: WebhookUrlRules = { allowHttp: false, allowPrivateNetworks: false };
const withHttp: WebhookUrlRules = { allowHttp: true, allowPrivateNetworks: false };
const permissive: WebhookUrlRules = { allowHttp: true, allowPrivateNetworks: true };

/** A resolver that answers from a script, one answer per call, and records what it was asked. */
function scriptedLookup(...answers: (readonly LookupAddress[] | Error)[]) {
  const asked: string[] = [];
  const lookup: AddressLookup = (hostname) => {
    asked.push(hostname);
    const answer = answers[Math.min(asked.length, answers.length) - 1];
    return answer === undefined || answer instanceof Error
      ? Promise.reject(answer ?? new Error('no answer scripted'))
      : Promise.resolve(answer);
  };
  return { lookup, asked };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

function reasonOf(raw: string, rules: WebhookUrlRules): string | null {
  const verdict = checkWebhookUrlSyntax(raw, rules);
  return verdict.ok ? null : verdict.reason;
}

describe('checkWebhookUrlSyntax', () => {
  it.each([
    ['https://hooks.example.com/in', strict],
    ['https://hooks.example.com:8443/in?source=shop', strict],
    ['http://hooks.example.com/in', withHttp],
    ['https://93.184.216.34/in', strict],
    ['https://[2606:2800:220:1:248:1893:25c8:1946]/in', strict],
    ['https://[64:ff9b::5db8:d822]/in', strict],
    ['http://127.0.0.1:3000/in', permissive],
    ['https://10.0.0.1/in', { allowHttp: false, allowPrivateNetworks: true }],
  ])('accepts %s', (raw, rules) => {
    expect(reasonOf(raw, rules)).toBeNull();
  });

  it.each([
    ['http://hooks.example.com/in', strict, 'the URL must use https'],
    ['ftp://hooks.example.com/in', withHttp, 'the URL must use https or http'],
    ['/relative/path', strict, 'the URL is not a valid absolute URL'],
    ['hooks.example.com/in', strict, 'the URL is not a valid absolute URL'],
    ['https://exa mple.com/', strict, 'the URL is not a valid absolute URL'],
    ['', strict, 'the URL is not a valid absolute URL'],
    [
      'https://user:secret@hooks.example.com/',
      strict,
      'the URL must not contain a user name or password',
    ],
    ['https://user@hooks.example.com/', strict, 'the URL must not contain a user name or password'],
    [
      'https://:secret@hooks.example.com/',
      strict,
      'the URL must not contain a user name or password',
    ],
    ['https://hooks.example.com/in#part', strict, 'the URL must not contain a fragment (#...)'],
    ['https://hooks.example.com/in#', strict, 'the URL must not contain a fragment (#...)'],
    [
      `https://hooks.example.com/${'a'.repeat(2048)}`,
      strict,
      'the URL is longer than 2048 characters',
    ],
  ])('refuses %s', (raw, rules, reason) => {
    expect(reasonOf(raw, rules)).toBe(reason);
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const base = 'https://hooks.example.com/';
    expect(reasonOf(base + 'a'.repeat(2048 - base.length), strict)).toBeNull();
  });

  it.each([
    ['http://127.0.0.1/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://2130706433/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://0x7f000001/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://0x7f.1/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://0177.0.0.1/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://127.1/', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://127.0.0.1./', "the URL's host is a loopback address (127.0.0.1)"],
    ['http://[::1]/', "the URL's host is a loopback address (::1)"],
    ['http://[::ffff:127.0.0.1]/', "the URL's host is a loopback address (::ffff:7f00:1)"],
    ['http://[::ffff:10.0.0.1]/', "the URL's host is a private address (::ffff:a00:1)"],
    ['http://[64:ff9b::a00:1]/', "the URL's host is a private address (64:ff9b::a00:1)"],
    ['http://[::127.0.0.1]/', "the URL's host is a reserved address (::7f00:1)"],
    ['http://10.0.0.1/', "the URL's host is a private address (10.0.0.1)"],
    ['http://172.16.5.4/', "the URL's host is a private address (172.16.5.4)"],
    ['http://192.168.1.1/', "the URL's host is a private address (192.168.1.1)"],
    ['http://169.254.169.254/latest/', "the URL's host is a link-local address (169.254.169.254)"],
    ['http://100.64.0.1/', "the URL's host is a carrier-grade NAT address (100.64.0.1)"],
    ['http://0.0.0.0/', "the URL's host is an unspecified address (0.0.0.0)"],
    ['http://0/', "the URL's host is an unspecified address (0.0.0.0)"],
    ['http://[::]/', "the URL's host is an unspecified address (::)"],
    ['http://[fc00::1]/', "the URL's host is a unique-local address (fc00::1)"],
    ['http://[fe80::1]/', "the URL's host is a link-local address (fe80::1)"],
    ['http://224.0.0.1/', "the URL's host is a multicast address (224.0.0.1)"],
    ['http://255.255.255.255/', "the URL's host is a broadcast address (255.255.255.255)"],
    ['http://192.0.2.10/', "the URL's host is a reserved address (192.0.2.10)"],
    ['http://[2001:db8::1]/', "the URL's host is a reserved address (2001:db8::1)"],
    ['http://[2002:a00:1::]/', "the URL's host is a non-public address (2002:a00:1::)"],
  ])('refuses the IP literal in %s', (raw, reason) => {
    expect(reasonOf(raw, withHttp)).toBe(reason);
  });

  it('returns the parsed URL, odd IPv4 forms normalised', () => {
    const verdict = checkWebhookUrlSyntax('http://2130706433:8080/in?a=1', permissive);
    expect(verdict.ok && verdict.url.href).toBe('http://127.0.0.1:8080/in?a=1');
  });
});

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '169.254.0.1',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '198.18.0.1',
    '::',
    '::1',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456:789a::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:0:10.0.0.1',
    '64:ff9b::10.0.0.1',
    '64:ff9b:1::1',
    '2002:7f00:1::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
    '::127.0.0.1',
    'not an address',
    '',
    'localhost',
  ])('forbids %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:93.184.216.34',
    '64:ff9b::93.184.216.34',
  ])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('resolveAllowedAddresses', () => {
  const url = new URL('https://hooks.example.com/in');

  it('returns every address of a host that resolves only to public addresses', async () => {
    const { lookup, asked } = scriptedLookup([v4('93.184.216.34'), v6('2606:2800:220:1::1')]);
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: true,
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    });
    expect(asked).toEqual(['hooks.example.com']);
  });

  it('refuses a host when any one of its addresses is private', async () => {
    const { lookup } = scriptedLookup([v4('93.184.216.34'), v4('10.0.0.1')]);
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: false,
      reason: 'the host resolves to a private address (10.0.0.1)',
    });
  });

  it.each([
    ['127.0.0.1', 'the host resolves to a loopback address (127.0.0.1)'],
    ['::1', 'the host resolves to a loopback address (::1)'],
    ['169.254.169.254', 'the host resolves to a link-local address (169.254.169.254)'],
    ['::ffff:10.0.0.1', 'the host resolves to a private address (::ffff:10.0.0.1)'],
    ['fd00::1', 'the host resolves to a unique-local address (fd00::1)'],
  ])('refuses a host resolving to %s', async (address, reason) => {
    const { lookup } = scriptedLookup([{ address, family: address.includes(':') ? 6 : 4 }]);
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: false,
      reason,
    });
  });

  it('checks afresh on every call: a name rebound to a private address is refused the next time', async () => {
    const { lookup, asked } = scriptedLookup([v4('93.184.216.34')], [v4('10.0.0.1')]);
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: true,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: false,
      reason: 'the host resolves to a private address (10.0.0.1)',
    });
    expect(asked).toHaveLength(2);
  });

  it('says the host does not resolve when the lookup fails', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), {
      code: 'ENOTFOUND',
    });
    const { lookup } = scriptedLookup(notFound);
    await expect(resolveAllowedAddresses(url, strict, lookup)).resolves.toEqual({
      ok: false,
      reason: 'host does not resolve',
    });
  });

  it('says the host does not resolve when the lookup answers nothing usable', async () => {
    await expect(resolveAllowedAddresses(url, strict, scriptedLookup([]).lookup)).resolves.toEqual({
      ok: false,
      reason: 'host does not resolve',
    });
    await expect(
      resolveAllowedAddresses(url, permissive, scriptedLookup([v4('not-an-ip')]).lookup),
    ).resolves.toEqual({ ok: false, reason: 'host does not resolve' });
  });

  it('allows private addresses when the rules allow private networks', async () => {
    const { lookup } = scriptedLookup([v4('10.0.0.1'), v6('::1')]);
    await expect(resolveAllowedAddresses(url, permissive, lookup)).resolves.toEqual({
      ok: true,
      addresses: [
        { address: '10.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
  });

  it('takes an IP literal as it is, without asking the resolver', async () => {
    const { lookup, asked } = scriptedLookup([v4('93.184.216.34')]);
    await expect(
      resolveAllowedAddresses(new URL('https://[2606:4700:4700::1111]/'), strict, lookup),
    ).resolves.toEqual({ ok: true, addresses: [{ address: '2606:4700:4700::1111', family: 6 }] });
    await expect(
      resolveAllowedAddresses(new URL('http://2130706433/'), withHttp, lookup),
    ).resolves.toEqual({
      ok: false,
      reason: "the URL's host is a loopback address (127.0.0.1)",
    });
    expect(asked).toEqual([]);
  });
});
