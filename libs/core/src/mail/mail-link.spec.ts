import { buildLink } from './mail-link';

describe('buildLink', () => {
  it('joins the path to the origin with one slash, however the path starts', () => {
    expect(buildLink('http://localhost:3000', '/verify-email')).toBe(
      'http://localhost:3000/verify-email',
    );
    expect(buildLink('http://localhost:3000', 'verify-email')).toBe(
      'http://localhost:3000/verify-email',
    );
  });

  it('keeps the path prefix of the base', () => {
    expect(buildLink('https://shop.example.com/app', '/reset-password')).toBe(
      'https://shop.example.com/app/reset-password',
    );
    expect(buildLink('https://shop.example.com/app/', '//reset-password')).toBe(
      'https://shop.example.com/app/reset-password',
    );
  });

  it('is the base itself for an empty path', () => {
    expect(buildLink('https://shop.example.com/app', '')).toBe('https://shop.example.com/app');
  });

  it('encodes query values, so a token never breaks out of its parameter', () => {
    const link = buildLink('https://shop.example.com', '/verify-email', {
      token: 'a b&c=d#e/+',
      lang: 'é',
    });
    expect(link).toBe(
      'https://shop.example.com/verify-email?token=a+b%26c%3Dd%23e%2F%2B&lang=%C3%A9',
    );
    expect(new URL(link).searchParams.get('token')).toBe('a b&c=d#e/+');
  });

  it('keeps a path that looks like a host on the base host', () => {
    expect(new URL(buildLink('https://shop.example.com', '//evil.example/x')).host).toBe(
      'shop.example.com',
    );
  });

  it('refuses a path that would leave the prefix or the base', () => {
    for (const path of [
      '/../admin',
      '..',
      '/a/./b',
      'a\\b',
      'https://evil.example/x',
      'javascript:alert(1)',
    ]) {
      expect(() => buildLink('https://shop.example.com/app', path)).toThrow(
        `${JSON.stringify(path)} is not a path under https://shop.example.com/app`,
      );
    }
  });
});
