import { alreadyLearned, learnedBaseline, type Baseline } from '../../baseline/store';
import { decayFactor, scoreFrom } from '../../baseline/decay';
import type { ModelContext } from '../model';
import { MESSAGES_INDEX, messagesLink, parseAddress } from './query';
import { formatDays, round } from '../format';
import { confidence, listSome, plural, poissonTail, surprise } from './score';

/**
 * Association anomaly on the sender and recipient graph: a sender writes to recipients it never wrote to. Each
 * sender's baseline keeps the recipients it wrote to (the most recent `MAX_RECIPIENTS`) and, decayed, how many new
 * recipients it reaches per window in which it writes: its stability. As in the new-connection model, k new
 * recipients when the rate is λ have Poisson tail probability P(X >= k), and the score grows with -log10 of it: a
 * person who writes to the same two colleagues every day and suddenly writes to twelve strangers scores high (an
 * account taken over for internal phishing, ATT&CK T1534), a newsletter that reaches new subscribers every window
 * scores low. A sender seen in too few windows is still learning and is not judged.
 */

export interface SenderState {
  /** Decayed count of windows in which the sender wrote. */
  windows: number;
  /** Decayed count of new recipients. */
  fresh: number;
  /** Time of the last update (ms). */
  t: number;
  /** Recipients written to, with the last time (ms): at most `MAX_RECIPIENTS`, the least recent dropped first. */
  recipients: Record<string, number>;
}

export interface RecipientRow {
  recipient: string;
  /** Time of the first message to it in the window (ms). */
  first: number;
  /** Messages to it in the window. */
  count: number;
}

/** Recipients remembered per sender; a sender who reaches more than this is a broadcaster and judged by its rate. */
export const MAX_RECIPIENTS = 256;
/** Recipients read per sender and window; beyond, the sender is mass mailing and the rest adds nothing. */
export const MAX_ROWS_PER_SENDER = 20_000;
/** Windows with mail a sender needs before its new recipients are judged. */
export const MIN_WINDOWS = 6;
/** Windows of history at which the rate is fully trusted. */
const FULL_CONFIDENCE_WINDOWS = MIN_WINDOWS * 4;
/** Below this an anomaly is not worth a document: a broadcaster reaching its usual number of new people. */
export const MIN_SCORE = 10;

export function emptySenderState(t: number): SenderState {
  return { windows: 0, fresh: 0, t, recipients: {} };
}

export interface AssociationJudgement {
  score: number;
  /** Decayed new recipients per window before this one. */
  rate: number;
  /** Decayed windows of history. */
  history: number;
}

/** The score of `fresh` new recipients for a sender with this state, `keep` the decay since its last update. */
export function associationScore(fresh: number, state: SenderState, keep: number): AssociationJudgement {
  const history = state.windows * keep;
  const rate = (state.fresh * keep + 0.5) / (history + 1);
  const s = surprise(poissonTail(fresh, rate));
  const score = Math.round(scoreFrom(s, 2.5, 0.8) * confidence(history, FULL_CONFIDENCE_WINDOWS) * 10) / 10;
  return { score, rate, history };
}

/**
 * Folds the window's recipients into the state: each gets its latest time, and the least recent are dropped
 * beyond `MAX_RECIPIENTS`. `learned` new recipients count towards the rate unless this is the sender's first
 * window (everything is new then, which says nothing about how often it meets new people).
 */
export function learnRecipients(state: SenderState, rows: readonly RecipientRow[], learned: number, first: boolean, keep: number, windowStart: number): SenderState {
  const recipients: Record<string, number> = { ...state.recipients };
  for (const r of rows) recipients[r.recipient] = Math.max(recipients[r.recipient] ?? 0, r.first);
  const entries = Object.entries(recipients);
  let kept = recipients;
  if (entries.length > MAX_RECIPIENTS) {
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    kept = Object.fromEntries(entries.slice(0, MAX_RECIPIENTS));
  }
  return {
    windows: state.windows * keep + 1,
    fresh: state.fresh * keep + (first ? 0 : learned),
    t: windowStart,
    recipients: kept,
  };
}

/**
 * Judges a batch of senders whose rows are complete, with one read of their baselines: one request per batch
 * rather than per sender, since mail has many senders with a message or two each.
 */
export async function judgeSenders(ctx: ModelContext, model: 'email', organisationDomains: ReadonlySet<string>, batch: ReadonlyMap<string, RecipientRow[]>): Promise<void> {
  if (batch.size === 0) return;
  const bases = await ctx.baselines.getMany<SenderState>(model, 'sender', batch.keys());
  for (const [sender, rows] of batch) judgeSender(ctx, model, sender, organisationDomains, rows, bases.get(sender));
}

/**
 * Judges one sender's window (its rows, one per recipient), emits, then learns. `organisationDomains` are the
 * registered domains of the organisation: a sender there is internal.
 */
export function judgeSender(ctx: ModelContext, model: 'email', sender: string, organisationDomains: ReadonlySet<string>, rows: RecipientRow[], base: Baseline<SenderState> | undefined): void {
  const { window, baselines } = ctx;
  const byRecipient = new Map<string, RecipientRow>();
  for (const r of rows) {
    const e = byRecipient.get(r.recipient);
    if (e) {
      e.first = Math.min(e.first, r.first);
      e.count += r.count;
    } else byRecipient.set(r.recipient, { ...r });
  }
  if (alreadyLearned(base, window.start)) return;
  const state = base?.state ?? emptySenderState(window.start);
  const keep = base ? decayFactor(window.start - state.t, ctx.halfLifeMs) : 1;
  const fresh = [...byRecipient.values()].filter((r) => state.recipients[r.recipient] === undefined || ctx.feedback.isTainted(model, sender, r.recipient));
  fresh.sort((a, b) => a.first - b.first || (a.recipient < b.recipient ? -1 : 1));
  ctx.count(0, 1);

  if (fresh.length > 0 && base && base.observations >= MIN_WINDOWS) {
    const { score, rate, history } = associationScore(fresh.length, state, keep);
    if (score >= MIN_SCORE) {
      const days = (window.start - base.first_seen) / 86_400_000;
      const names = fresh.map((f) => f.recipient);
      const known = Object.keys(state.recipients).length;
      const internal = organisationDomains.has(parseAddress(sender)?.organisation ?? '');
      const messages = fresh.reduce((n, f) => n + f.count, 0);
      ctx.emit({
        model,
        kind: 'new_recipients',
        domain: 'email',
        entity: { type: 'sender', id: sender },
        peer: fresh.length === 1 ? { type: 'user', id: fresh[0].recipient } : undefined,
        score,
        time: fresh[0].first,
        explanation:
          `${sender} wrote to ${plural(fresh.length, 'recipient')} it never wrote to before (${listSome(names)}); ` +
          `over ${formatDays(days)} it wrote to ${rate < 0.05 ? 'almost no' : `about ${round(rate)}`} new recipients per ${ctx.config.detector.windowMinutes}-minute window, ` +
          `and to ${plural(known, 'known recipient')} in all.`,
        figures: {
          observed: fresh.length,
          expected: round(rate, 3),
          history_windows: Math.round(history),
          history_days: round(days),
          first_seen: base.first_seen,
          peers: fresh.length,
          count: messages,
          unit: 'new recipients per window',
          details: {
            recipients: fresh.slice(0, 50).map((f) => ({ address: f.recipient, first: new Date(f.first).toISOString(), messages: f.count })),
            known_recipients: known,
            recipients_in_window: byRecipient.size,
          },
        },
        events: {
          index: MESSAGES_INDEX,
          query: messagesLink(window, { 'email.from.address': sender, 'email.to.address': names.slice(0, 100) }),
          count: messages,
        },
        // A known sender writing to people it never wrote to: from inside, an account used for internal
        // phishing; from outside, a correspondent's account used to phish (both are T1566 in delivery).
        techniques: internal ? [{ id: 'T1534', name: 'Internal Spearphishing' }] : [{ id: 'T1566', name: 'Phishing' }],
        related: { user: names.slice(0, 1000) },
        email: { from: { address: sender }, to: { address: names.slice(0, 100) } },
      });
    }
  }

  // Learning: a maintenance window that does not learn, and recipients of a sender evaluated as malicious or
  // suspicious, stay out of the baseline.
  if (!ctx.maintenance.mayLearn(model, [], window.start)) return;
  const learnable = [...byRecipient.values()].filter((r) => !ctx.feedback.isTainted(model, sender, r.recipient));
  const learned = fresh.filter((f) => !ctx.feedback.isTainted(model, sender, f.recipient)).length;
  const next = learnRecipients(state, learnable, learned, !base, keep, window.start);
  const first = rows.reduce((t, r) => Math.min(t, r.first), window.end);
  baselines.put(learnedBaseline(ctx, { model, kind: 'sender', entity: { type: 'sender', id: sender }, key: sender }, base, first, next));
}
