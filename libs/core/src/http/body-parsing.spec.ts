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
