import { DAY_MS } from '../../baseline/decay';
import { judgeAuth, learnAuth, mechanismOf, MIN_PASSES, verdictOf, type AuthState } from './auth';

const HALF_LIFE = 14 * DAY_MS;

/** The state after `days` days with `pass` and `fail` verdicts of one mechanism each day. */
function daily(days: number, mechanism: 'dmarc' | 'spf' | 'dkim', pass: number, fail: number): AuthState | undefined {
  let state: AuthState | undefined;
  for (let d = 0; d < days; d++) state = learnAuth(state, { [mechanism]: { pass, fail } }, d * DAY_MS, HALF_LIFE);
  return state;
}

describe('authentication verdicts', () => {
  it('knows the milters the mail parser names and what their results mean', () => {
    expect(mechanismOf('opendkim')).toBe('dkim');
    expect(mechanismOf('opendmarc')).toBe('dmarc');
    expect(mechanismOf('policyd-spf')).toBe('spf');
    expect(mechanismOf('spamd')).toBeUndefined();
    expect(verdictOf('dkim', 'signed')).toBeUndefined();
    expect(verdictOf('dmarc', 'bestguesspass')).toBe('pass');
    expect(verdictOf('spf', 'softfail')).toBe('fail');
    expect(verdictOf('spf', 'neutral')).toBeUndefined();
    expect(verdictOf('dmarc', 'none')).toBeUndefined();
  });

  it('scores a failure from a domain with a long history of passes high', () => {
    const state = daily(21, 'dmarc', 20, 0);
    const [j] = judgeAuth(state, { dmarc: { pass: 0, fail: 1 } }, 21 * DAY_MS, HALF_LIFE);
    expect(j.mechanism).toBe('dmarc');
    expect(j.passed).toBeGreaterThan(200);
    expect(j.score).toBeGreaterThanOrEqual(60);
    // Several failures at once are more surprising still.
    expect(judgeAuth(state, { dmarc: { pass: 0, fail: 4 } }, 21 * DAY_MS, HALF_LIFE)[0].score).toBeGreaterThan(j.score);
  });

  it('scores a failure from a domain that often fails low', () => {
    const state = daily(21, 'spf', 15, 5);
    const [j] = judgeAuth(state, { spf: { pass: 3, fail: 1 } }, 21 * DAY_MS, HALF_LIFE);
    expect(j.p).toBeGreaterThan(0.2);
    expect(j.score).toBeLessThan(20);
  });

  it('does not judge a domain with fewer passes than MIN_PASSES, nor a window without failures', () => {
    const young = daily(1, 'dkim', MIN_PASSES - 1, 0);
    expect(judgeAuth(young, { dkim: { pass: 0, fail: 1 } }, DAY_MS, HALF_LIFE)).toEqual([]);
    expect(judgeAuth(daily(21, 'dkim', 20, 0), { dkim: { pass: 5, fail: 0 } }, 21 * DAY_MS, HALF_LIFE)).toEqual([]);
  });

  it('forgets old passes with the half-life', () => {
    const state = learnAuth(undefined, { dmarc: { pass: 100, fail: 0 } }, 0, HALF_LIFE);
    const later = learnAuth(state, { dmarc: { pass: 0, fail: 1 } }, HALF_LIFE, HALF_LIFE);
    expect(later?.dmarc?.pass).toBeCloseTo(50, 10);
    expect(later?.dmarc?.fail).toBe(1);
    expect(learnAuth(undefined, {}, 0, HALF_LIFE)).toBeUndefined();
  });
});
