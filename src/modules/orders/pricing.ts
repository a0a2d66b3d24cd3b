import type { QuotedLine } from '../catalog';

export interface PricedLine extends QuotedLine {
  readonly lineTotalCents: number;
}

export interface PricedOrder {
  readonly lines: readonly PricedLine[];
  readonly totalCents: number;
}

/** Integer cents only: line = unit price × quantity, total = sum of lines. */
export function priceOrder(lines: readonly QuotedLine[]): PricedOrder {
  const priced = lines.map((line) => {
    if (!Number.isSafeInteger(line.unitPriceCents) || !Number.isSafeInteger(line.quantity)) {
      throw new RangeError('prices and quantities are whole numbers');
    }
    return { ...line, lineTotalCents: line.unitPriceCents * line.quantity };
  });
  const totalCents = priced.reduce((sum, line) => sum + line.lineTotalCents, 0);
  if (!Number.isSafeInteger(totalCents)) {
    throw new RangeError('order total exceeds the safe integer range');
  }
  return { lines: priced, totalCents };
}
