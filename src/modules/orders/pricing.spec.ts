import { priceOrder } from './pricing';

const line = (unitPriceCents: number, quantity: number) => ({
  productId: 'p',
  sku: 'SKU',
  name: 'Thing',
  unitPriceCents,
  quantity,
});

describe('priceOrder', () => {
  it('multiplies and sums in integer cents, without float drift', () => {
    const priced = priceOrder([line(10, 3), line(20, 1), line(1999, 7)]);
    expect(priced.lines.map((l) => l.lineTotalCents)).toEqual([30, 20, 13993]);
    expect(priced.totalCents).toBe(14043);
  });

  it('handles the largest order the API allows exactly', () => {
    const priced = priceOrder(Array.from({ length: 50 }, () => line(100_000_000, 1000)));
    expect(priced.totalCents).toBe(5_000_000_000_000);
  });

  it('prices a free item at zero', () => {
    expect(priceOrder([line(0, 5)]).totalCents).toBe(0);
  });

  it('refuses fractional cents', () => {
    expect(() => priceOrder([line(10.5, 1)])).toThrow(RangeError);
  });
});
