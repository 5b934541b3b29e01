import { decayFactor, scoreFrom } from '../../baseline/decay';
import { binomialTail, surprise } from './score';

/**
 * Authentication failures from a domain that normally passes: mail that claims a domain whose mail has passed
 * DKIM, DMARC or SPF for weeks, and now fails, is likely spoofed (ATT&CK T1566 phishing, T1656 impersonation).
 * Per sender organisation and mechanism the baseline keeps the decayed counts of passes and failures. k failures
 * among n verdicts of a window, when the domain failed with probability p so far (Laplace-smoothed), have binomial
 * tail probability P(X >= k); the score grows with -log10 of it. A domain whose mail often fails (a mailing list
 * that breaks signatures, a sender without SPF for its relay) keeps a high p and scores low; a domain with a long
 * history of passes and one failure scores high; a domain with little history cannot score high.
 */

export type Mechanism = 'dkim' | 'dmarc' | 'spf';

export const MECHANISMS: readonly Mechanism[] = ['dmarc', 'dkim', 'spf'];

/** The mechanism a milter or policy service checks (the names the mail parser gives them). */
export function mechanismOf(milter: string): Mechanism | undefined {
  switch (milter) {
    case 'opendkim':
      return 'dkim';
    case 'opendmarc':
      return 'dmarc';
    case 'policyd-spf':
      return 'spf';
    default:
      return undefined;
  }
}

/**
 * A verdict as pass, fail or neither. OpenDKIM: `pass`, `fail` (bad signature), `none`, `signed` (our own outgoing
 * signature, not a check). OpenDMARC: `pass`, `fail`, `none`, `bestguesspass` (no policy published, but it would
 * pass). SPF (RFC 7208): `pass`, `fail`, `softfail` (the domain says "probably not"), `neutral`, `none`,
 * `temperror`, `permerror` (a broken record, which receivers treat as a failure under DMARC).
 */
export function verdictOf(mechanism: Mechanism, result: string): 'pass' | 'fail' | undefined {
  const r = result.toLowerCase();
  if (r === 'pass' || (mechanism === 'dmarc' && r === 'bestguesspass')) return 'pass';
  if (r === 'fail') return 'fail';
  if (mechanism === 'spf' && (r === 'softfail' || r === 'permerror')) return 'fail';
  if (mechanism === 'dmarc' && (r === 'reject' || r === 'quarantine')) return 'fail';
  return undefined;
}

export interface AuthCounts {
  pass: number;
  fail: number;
}

/** Decayed counts per mechanism, with the time they were last updated. */
export interface AuthState {
  t: number;
  dkim?: AuthCounts;
  dmarc?: AuthCounts;
  spf?: AuthCounts;
}

export type AuthWindow = Partial<Record<Mechanism, AuthCounts>>;

/** Passes a domain needs in its history before one of its failures is judged. */
export const MIN_PASSES = 10;

export interface AuthJudgement {
  mechanism: Mechanism;
  score: number;
  failures: number;
  verdicts: number;
  /** Decayed history before this window. */
  passed: number;
  failed: number;
  /** Failure probability learned so far. */
  p: number;
}

/** The judgement of each mechanism with failures this window, highest score first. */
export function judgeAuth(state: AuthState | undefined, window: AuthWindow, windowStart: number, halfLifeMs: number): AuthJudgement[] {
  const keep = state ? decayFactor(windowStart - state.t, halfLifeMs) : 1;
  const out: AuthJudgement[] = [];
  for (const mechanism of MECHANISMS) {
    const w = window[mechanism];
    if (!w || w.fail === 0) continue;
    const passed = (state?.[mechanism]?.pass ?? 0) * keep;
    const failed = (state?.[mechanism]?.fail ?? 0) * keep;
    if (passed < MIN_PASSES) continue;
    const p = (failed + 0.5) / (passed + failed + 1);
    const s = surprise(binomialTail(w.fail, w.pass + w.fail, p));
    out.push({ mechanism, score: scoreFrom(s, 2, 0.6), failures: w.fail, verdicts: w.pass + w.fail, passed, failed, p });
  }
  return out.sort((a, b) => b.score - a.score);
}

/** The state with the window's verdicts folded in (`w` may leave out failures that must not be learned). */
export function learnAuth(state: AuthState | undefined, w: AuthWindow, windowStart: number, halfLifeMs: number): AuthState | undefined {
  if (!state && MECHANISMS.every((m) => !w[m])) return undefined;
  const keep = state ? decayFactor(windowStart - state.t, halfLifeMs) : 1;
  const next: AuthState = { t: windowStart };
  for (const m of MECHANISMS) {
    const old = state?.[m];
    const add = w[m];
    if (!old && !add) continue;
    next[m] = { pass: (old?.pass ?? 0) * keep + (add?.pass ?? 0), fail: (old?.fail ?? 0) * keep + (add?.fail ?? 0) };
  }
  return next;
}
