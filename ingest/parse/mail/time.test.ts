import { ConfigError } from '../../../common/errors';
import { fail2banCases, FAIL2BAN_NOW } from '../../../test/support/fail2ban';
import { localToEpoch, tai64nToEpoch, validateZone, yearlessToEpoch } from './time';

const iso = (ms: number): string => new Date(ms).toISOString();

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `ms` in `timeZone`, read by Intl alone: the oracle the conversion is checked against. */
function wallClock(ms: number, timeZone: string): number[] {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(ms);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute'), get('second')];
}

describe('localToEpoch', () => {
  it('reads UTC wall clocks as they are, milliseconds included', () => {
    expect(iso(localToEpoch(2013, 1, 4, 17, 3, 46, 250, 'UTC'))).toBe('2013-01-04T17:03:46.250Z');
  });

  it('agrees with Date.UTC on every day from 1600 to 2400, leap days, the last second and second 60 included', () => {
    for (let t = Date.UTC(1600, 0, 1); t < Date.UTC(2400, 0, 1); t += 86_400_000) {
      const d = new Date(t);
      const [y, mo, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      expect(localToEpoch(y, mo, day, 23, 59, 59, 999, 'UTC')).toBe(Date.UTC(y, mo - 1, day, 23, 59, 59, 999));
      if (day === 1) expect(localToEpoch(y, mo, day, 23, 59, 60, 0, 'UTC')).toBe(Date.UTC(y, mo - 1, day, 23, 59, 60, 0));
    }
    // A day past the month's end runs on into the next, as Date.UTC does.
    expect(localToEpoch(2026, 2, 29, 0, 0, 0, 0, 'UTC')).toBe(Date.UTC(2026, 2, 1));
  });

  it("gives fail2ban's own clock: Sun Aug 14 12:00:00 CEST 2005 is its FAIL2BAN_NOW", () => {
    expect(localToEpoch(2005, 8, 14, 12, 0, 0, 0, 'Europe/Zurich')).toBe(FAIL2BAN_NOW);
  });

  it('applies winter and summer offsets', () => {
    expect(iso(localToEpoch(2024, 1, 15, 12, 0, 0, 0, 'Europe/Zurich'))).toBe('2024-01-15T11:00:00.000Z');
    expect(iso(localToEpoch(2024, 7, 15, 12, 0, 0, 0, 'Europe/Zurich'))).toBe('2024-07-15T10:00:00.000Z');
    expect(iso(localToEpoch(2024, 7, 15, 12, 0, 0, 0, 'America/New_York'))).toBe('2024-07-15T16:00:00.000Z');
    expect(iso(localToEpoch(2024, 7, 15, 12, 0, 0, 0, 'Asia/Kolkata'))).toBe('2024-07-15T06:30:00.000Z');
  });

  it('moves a wall time that never happened forward by the length of the gap', () => {
    // 31 March 2024, Zurich: 02:00 CET became 03:00 CEST, so 02:30 is read as 03:30 CEST.
    expect(iso(localToEpoch(2024, 3, 31, 2, 30, 0, 0, 'Europe/Zurich'))).toBe('2024-03-31T01:30:00.000Z');
    // 10 March 2024, New York: 02:00 EST became 03:00 EDT.
    expect(iso(localToEpoch(2024, 3, 10, 2, 30, 0, 0, 'America/New_York'))).toBe('2024-03-10T07:30:00.000Z');
  });

  it('takes the earlier of the two instants of a wall time that happened twice', () => {
    // 27 October 2024, Zurich: 03:00 CEST became 02:00 CET; 02:30 happened at 00:30Z and again at 01:30Z.
    expect(iso(localToEpoch(2024, 10, 27, 2, 30, 0, 0, 'Europe/Zurich'))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(localToEpoch(2024, 11, 3, 1, 30, 0, 0, 'America/New_York'))).toBe('2024-11-03T05:30:00.000Z');
  });

  it('resolves an hour whose offset changes in its middle minute by minute (Lord Howe Island moves 30 minutes)', () => {
    // 6 October 2024: 02:00 at +10:30 became 02:30 at +11:00.
    expect(iso(localToEpoch(2024, 10, 6, 2, 15, 0, 0, 'Australia/Lord_Howe'))).toBe('2024-10-05T15:45:00.000Z');
    expect(iso(localToEpoch(2024, 10, 6, 2, 45, 0, 0, 'Australia/Lord_Howe'))).toBe('2024-10-05T15:45:00.000Z');
    expect(iso(localToEpoch(2024, 10, 6, 1, 59, 0, 0, 'Australia/Lord_Howe'))).toBe('2024-10-05T15:29:00.000Z');
    expect(iso(localToEpoch(2024, 10, 6, 2, 59, 0, 0, 'Australia/Lord_Howe'))).toBe('2024-10-05T15:59:00.000Z');
  });

  it.each(['Europe/Zurich', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'])(
    'round-trips every hour of a year in %s with the wall clock Intl gives for the result',
    (zone) => {
      let checked = 0;
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3_600_000 + 17 * 60_000) {
        const [y, mo, d, h, mi, s] = wallClock(t, zone);
        const epoch = localToEpoch(y, mo, d, h, mi, s, 0, zone);
        // A wall time that happened twice maps to its first instant, which shows the same wall clock.
        expect(wallClock(epoch, zone)).toEqual([y, mo, d, h, mi, s]);
        expect(epoch === t || epoch < t).toBe(true);
        checked++;
      }
      // A year at one step of 1 h 17 min.
      expect(checked).toBe(6845);
    },
  );

  it('fails with a ConfigError naming an unknown zone', () => {
    expect(() => localToEpoch(2024, 1, 1, 0, 0, 0, 0, 'Mars/Olympus_Mons')).toThrow(ConfigError);
    expect(() => localToEpoch(2024, 1, 1, 0, 0, 0, 0, 'Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
  });
});

describe('yearlessToEpoch', () => {
  const newYear = { reference: Date.UTC(2025, 0, 2, 0, 0, 0), timeZone: 'UTC' };

  it("puts last December's lines, read in January, in last year", () => {
    expect(iso(yearlessToEpoch(12, 31, 23, 59, 59, 0, newYear))).toBe('2024-12-31T23:59:59.000Z');
    expect(iso(yearlessToEpoch(12, 2, 8, 0, 0, 0, newYear))).toBe('2024-12-02T08:00:00.000Z');
  });

  it("keeps this January's lines in this year, up to a day after the reference", () => {
    expect(iso(yearlessToEpoch(1, 1, 0, 0, 5, 0, newYear))).toBe('2025-01-01T00:00:05.000Z');
    expect(iso(yearlessToEpoch(1, 3, 0, 0, 0, 0, newYear))).toBe('2025-01-03T00:00:00.000Z');
    expect(iso(yearlessToEpoch(1, 3, 0, 0, 1, 0, newYear))).toBe('2024-01-03T00:00:01.000Z');
  });

  it('takes the year of the reference on the wall clocks of the zone, not of UTC', () => {
    // 23:30Z on 31 December is already 00:30 on 1 January in Zurich.
    const time = { reference: Date.UTC(2024, 11, 31, 23, 30), timeZone: 'Europe/Zurich' };
    expect(iso(yearlessToEpoch(1, 1, 0, 10, 0, 0, time))).toBe('2024-12-31T23:10:00.000Z');
    expect(iso(yearlessToEpoch(12, 31, 23, 50, 0, 0, time))).toBe('2024-12-31T22:50:00.000Z');
  });

  it('places 29 February in the latest leap year it can be in', () => {
    expect(iso(yearlessToEpoch(2, 29, 12, 0, 0, 0, { reference: Date.UTC(2025, 2, 1), timeZone: 'UTC' }))).toBe(
      '2024-02-29T12:00:00.000Z',
    );
    expect(iso(yearlessToEpoch(2, 29, 12, 0, 0, 0, { reference: Date.UTC(2024, 1, 27), timeZone: 'UTC' }))).toBe(
      '2020-02-29T12:00:00.000Z',
    );
  });

  it("places fail2ban's syslog dates in the years its test expectations give", () => {
    const time = { reference: FAIL2BAN_NOW, timeZone: 'Europe/Zurich' };
    // `Aug 14 12:51:04` (courier-smtp) is 51 minutes after fail2ban's clock: the same year.
    expect(iso(yearlessToEpoch(8, 14, 12, 51, 4, 0, time))).toBe('2005-08-14T10:51:04.000Z');
    // `Nov 13 08:11:53` (courier-auth) would be months after it: the year before.
    expect(iso(yearlessToEpoch(11, 13, 8, 11, 53, 0, time))).toBe('2004-11-13T07:11:53.000Z');
  });
});

describe('tai64nToEpoch', () => {
  // multilog's label on Dovecot's lines in the fail2ban corpus.
  const line = fail2banCases('dovecot').find((c) => c.line.startsWith('@'))?.line ?? '';

  it('reads the label as tai64nlocal does: 2^62 + 10 s is the epoch', () => {
    expect(line.slice(0, 25)).toBe('@400000004c91b044077a9e94');
    // 0x4c91b044 = 1284616260, minus TAI's 10 s; 0x077a9e94 ns = 125.4765 ms.
    expect(iso(tai64nToEpoch(line, 1) ?? NaN)).toBe('2010-09-16T05:50:50.125Z');
  });

  it('refuses labels that are not hex, are cut short, or lie outside 1970 to 2106', () => {
    const label = line.slice(1, 25);
    expect(tai64nToEpoch(`${label.slice(0, 10)}x${label.slice(11)}`, 0)).toBeUndefined();
    expect(tai64nToEpoch(label.slice(0, 20), 0)).toBeUndefined();
    expect(tai64nToEpoch(`3fffffff${label.slice(8)}`, 0)).toBeUndefined();
    expect(tai64nToEpoch(`40000001${label.slice(8)}`, 0)).toBeUndefined();
    expect(tai64nToEpoch(`${label.slice(0, 16)}ffffffff`, 0)).toBeUndefined();
  });
});

describe('validateZone', () => {
  it('returns the canonical name of a known zone', () => {
    expect(validateZone('Europe/Zurich')).toBe('Europe/Zurich');
    expect(validateZone('utc')).toBe('UTC');
  });

  it('fails with a ConfigError that names an unknown zone', () => {
    expect(() => validateZone('Europe/Atlantis')).toThrow(ConfigError);
    expect(() => validateZone('Europe/Atlantis')).toThrow('unknown time zone "Europe/Atlantis"');
    expect(() => validateZone('')).toThrow('unknown time zone ""');
  });
});
