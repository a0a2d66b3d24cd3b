import { ORDER_STATUSES, ORDER_TRANSITIONS, canTransition } from './order-status';

describe('order status machine', () => {
  it.each([
    ['pending', 'paid'],
    ['paid', 'shipped'],
    ['shipped', 'delivered'],
    ['pending', 'cancelled'],
    ['paid', 'cancelled'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['shipped', 'pending'],
    ['shipped', 'cancelled'],
    ['delivered', 'cancelled'],
    ['cancelled', 'pending'],
    ['cancelled', 'paid'],
    ['pending', 'shipped'],
    ['pending', 'delivered'],
    ['paid', 'pending'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('never allows staying in place, and leaves delivered and cancelled final', () => {
    for (const status of ORDER_STATUSES) {
      expect(canTransition(status, status)).toBe(false);
    }
    expect(ORDER_TRANSITIONS.delivered).toEqual([]);
    expect(ORDER_TRANSITIONS.cancelled).toEqual([]);
  });

  it('allows exactly five transitions in all', () => {
    const all = ORDER_STATUSES.flatMap((from) =>
      ORDER_STATUSES.filter((to) => canTransition(from, to)),
    );
    expect(all).toHaveLength(5);
  });
});
