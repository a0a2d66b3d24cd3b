import { weakEtag } from './etag';

describe('weakEtag', () => {
  // Tags the `etag` package (Express's default) gives the same bodies.
  it.each([
    ['', 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"'],
    ['hello', 'W/"5-qvTGHdzF6KLavt4PO0gs2a6pQ00"'],
    [JSON.stringify({ a: 1, b: 'é' }), 'W/"10-FMIDmdoeHt/Cl4dAiN3W5pbzvCY"'],
    ['x'.repeat(5000), 'W/"1388-wGih9U13lltCinlpElMTzimruTs"'],
  ])('tags %j as Express did', (body, expected) => {
    expect(weakEtag(Buffer.from(body))).toBe(expected);
    expect(weakEtag(body, 'utf8')).toBe(expected);
  });
});
