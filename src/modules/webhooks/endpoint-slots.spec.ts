import { EndpointSlots } from './endpoint-slots';

describe('EndpointSlots', () => {
  it('gives each webhook at most its limit, independently of the others', () => {
    const slots = new EndpointSlots(2);
    expect(slots.tryAcquire('a')).toBe(true);
    expect(slots.tryAcquire('a')).toBe(true);
    expect(slots.tryAcquire('a')).toBe(false);
    expect(slots.tryAcquire('b')).toBe(true);
  });

  it('frees a slot on release', () => {
    const slots = new EndpointSlots(1);
    expect(slots.tryAcquire('a')).toBe(true);
    slots.release('a');
    expect(slots.tryAcquire('a')).toBe(true);
    expect(slots.tryAcquire('a')).toBe(false);
  });
});
