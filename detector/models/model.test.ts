import { hasEvents } from './model';

describe('hasEvents', () => {
  const ctx = { datasets: new Map([['zeek.conn', 120], ['zeek.dns', 0], ['mail.postfix', 3]]) };

  it('is true for a dataset with events in the window and false for one without', () => {
    expect(hasEvents(ctx, 'zeek.conn')).toBe(true);
    expect(hasEvents(ctx, 'zeek.weird')).toBe(false);
    // Counted but empty is no events.
    expect(hasEvents(ctx, 'zeek.dns')).toBe(false);
  });

  it('is true when any of the datasets has events', () => {
    expect(hasEvents(ctx, 'zeek.ssl', 'zeek.http')).toBe(false);
    expect(hasEvents(ctx, 'zeek.ssl', 'zeek.conn')).toBe(true);
  });

  it('takes a name ending in * as a prefix', () => {
    expect(hasEvents(ctx, 'mail.*')).toBe(true);
    expect(hasEvents(ctx, 'zeek.d*')).toBe(false);
    expect(hasEvents(ctx, 'zeek.*')).toBe(true);
  });

  it('is true for everything when the window was not counted', () => {
    expect(hasEvents({}, 'zeek.weird')).toBe(true);
    expect(hasEvents({ datasets: undefined }, 'mail.*')).toBe(true);
  });
});
