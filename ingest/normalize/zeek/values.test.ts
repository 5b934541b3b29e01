import { ecsMac, firstString, isoFromEpoch, isoTime, nanoseconds, strings } from './values';

describe('isoFromEpoch', () => {
  it('writes the same text as Date#toISOString, second after second and within one', () => {
    // Times of real records: zed dns, a Stratosphere capture starting near the epoch, x509 validity dates.
    const times = [1521911720.865941, 1521911720.866989, 1521911720.9999999, 1521911721.0004, 19.981745, 0, 1553372977, -315619200, -0.0005];
    for (const t of times) expect(isoFromEpoch(t)).toBe(new Date(t * 1000).toISOString());
  });

  it('refuses times outside the years 0 to 9999, and before `earliest`', () => {
    expect(isoFromEpoch(253402300800)).toBeUndefined();
    expect(isoFromEpoch(-62167219201)).toBeUndefined();
    expect(isoFromEpoch(Number.NaN)).toBeUndefined();
    expect(isoFromEpoch(-1, 0)).toBeUndefined();
    expect(isoFromEpoch(0, 0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('value readers', () => {
  it('read Zeek times given as epoch seconds or ISO text', () => {
    expect(isoTime(1315656901)).toBe('2011-09-10T12:15:01.000Z');
    expect(isoTime('2011-09-10T12:15:02.000000Z')).toBe('2011-09-10T12:15:02.000Z');
    expect(isoTime('not a time')).toBeUndefined();
  });

  it('turn intervals into nanoseconds', () => {
    expect(nanoseconds(1.550793)).toBe(1_550_793_000);
    expect(nanoseconds(-1)).toBeUndefined();
  });

  it('write MAC addresses as ECS does', () => {
    expect(ecsMac('90:b1:1c:99:49:29')).toBe('90-B1-1C-99-49-29');
  });

  it('take the non-empty strings of sets and vectors', () => {
    expect(strings(['a', '', 'b'])).toEqual(['a', 'b']);
    expect(strings([])).toBeUndefined();
    expect(firstString(['', 'x'])).toBe('x');
  });
});
