import { listing } from '../format';
import { poissonTail } from '../new-connection';

/**
 * Tail probabilities and wording shared by the email model's judgements. Every judgement turns "how likely is
 * what we saw, given what this sender, domain or organisation usually does" into a surprise, -log10 of a tail
 * probability, floored at 1e-12 so that one huge observation does not dominate the scale.
 */

export { poissonTail };

const FLOOR = 1e-12;

/** -log10 of a tail probability, with the floor applied (0 for a certain event, 12 at most). */
export function surprise(tail: number): number {
  return Math.max(0, -Math.log10(Math.min(1, Math.max(tail, FLOOR))));
}

/**
 * P(X >= k) for X ~ Binomial(n, p): the chance of `k` or more failures among `n` messages when each fails with
 * probability `p`. Summed term by term from 0 to k-1 (k is small when it matters: the number of failures in one
 * window); the recurrence avoids factorials.
 */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  const q = 1 - p;
  let term = Math.pow(q, n);
  // (1-p)^n underflows for large n; the tail is then 1 for any k well below n*p, and Poisson is a fine stand-in.
  if (term === 0) return poissonTail(k, n * p);
  let cdf = term;
  for (let i = 0; i < k - 1; i++) {
    term *= ((n - i) / (i + 1)) * (p / q);
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}

/**
 * Confidence in a rate learned over `history` windows: half weight at the start, full weight at `full` windows. A
 * rate learned over a day is judged more gently than one learned over weeks (as in the new-connection model).
 */
export function confidence(history: number, full: number): number {
  return 0.5 + 0.5 * Math.min(1, Math.max(0, history) / full);
}

/** `a, b, c and 4 more`: a list a person can read in one sentence. */
export function listSome(items: readonly string[], shown = 3): string {
  if (items.length <= shown) return listing(items);
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
