import { fromBodyParserError } from '../errors/problem-details.filter';

import { jsonDepthExceeds } from './body-parsing';

function nest(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) {
    value = i % 2 === 0 ? { child: value } : [value];
  }
  return value;
}

describe('jsonDepthExceeds', () => {
  it('accepts scalars and flat bodies', () => {
    expect(jsonDepthExceeds('x', 1)).toBe(false);
    expect(jsonDepthExceeds({ a: 1, b: [1, 2] }, 2)).toBe(false);
  });

  it('accepts a body exactly at the limit and refuses one level more', () => {
    expect(jsonDepthExceeds(nest(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nest(33), 32)).toBe(true);
  });

  it('walks a hostile 100 000-level body without overflowing the stack', () => {
    expect(jsonDepthExceeds(nest(100_000), 32)).toBe(true);
  });
});

describe('fromBodyParserError', () => {
  const parserError = (status: number, props: Record<string, unknown> = {}): Error =>
    Object.assign(new Error('from body-parser'), { status, ...props });
  const seen = (error: unknown, encoding?: string) => {
    const mapped = fromBodyParserError(error, 100, encoding);
    return mapped === null
      ? null
      : { status: mapped.status, code: mapped.code, detail: mapped.detail };
  };

  it.each([
    ['request.aborted', 400, { status: 400, code: 'HTTP_ERROR', detail: 'Bad Request' }],
    ['request.size.invalid', 400, { status: 400, code: 'HTTP_ERROR', detail: 'Bad Request' }],
    ['entity.verify.failed', 403, { status: 403, code: 'HTTP_ERROR', detail: 'Forbidden' }],
    [
      'entity.too.large',
      413,
      { status: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'Request body exceeds 100 bytes' },
    ],
  ])('maps %s to its own 4xx', (type, status, expected) => {
    expect(seen(parserError(status, { type }))).toEqual(expected);
  });

  it('names the charset and the content coding in their 415s', () => {
    expect(seen(parserError(415, { type: 'charset.unsupported', charset: 'koi8-r' }))).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Charset koi8-r is not supported; send application/json in UTF-8',
    });
    expect(seen(parserError(415, { type: 'encoding.unsupported', encoding: 'x-foo' }))).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Content-Encoding x-foo is not supported; send gzip, deflate or none',
    });
  });

  it('leaves server-side stream misuse (stream.encoding.set, stream.not.readable) a 500', () => {
    expect(seen(parserError(500, { type: 'stream.encoding.set' }))).toBeNull();
    expect(seen(parserError(500, { type: 'stream.not.readable' }))).toBeNull();
  });

  it('reads an untyped 400 from the parser as a body its coding cannot decode', () => {
    expect(seen(parserError(400), 'gzip')).toEqual({
      status: 400,
      code: 'MALFORMED_JSON',
      detail: 'Request body is not valid gzip data',
    });
    expect(seen(parserError(400), 'identity')).toEqual({
      status: 400,
      code: 'HTTP_ERROR',
      detail: 'Bad Request',
    });
    // Outside the parser (no coding given) an untyped error is nobody's 4xx.
    expect(seen(parserError(400))).toBeNull();
  });
});
