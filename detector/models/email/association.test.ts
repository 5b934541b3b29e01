import { validateConfig } from '../../../common/config/load';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import { DAY_MS } from '../../baseline/decay';
import { BaselineStore } from '../../baseline/store';
import { NO_FEEDBACK } from '../../feedback/evaluations';
import { MaintenanceCalendar, ZoneMap } from '../../feedback/scope';
import { partition } from '../../partition';
import type { ModelContext } from '../model';
import { associationScore, emptySenderState, judgeSenders, learnRecipients, MAX_RECIPIENTS, MIN_WINDOWS, type RecipientRow, type SenderState } from './association';
import { indexedDocs } from '../../baseline/bulk.fixture';

const HALF_LIFE = 14 * DAY_MS;
const WINDOW = 15 * 60_000;

/** A sender's state after `windows` windows, `perWindow(i)` giving the recipients of window i. */
function history(windows: number, perWindow: (i: number) => string[]): SenderState {
  let state = emptySenderState(0);
  for (let i = 0; i < windows; i++) {
    const t = i * 4 * 3_600_000;
    const rows: RecipientRow[] = perWindow(i).map((recipient) => ({ recipient, first: t, count: 1 }));
    const fresh = rows.filter((r) => state.recipients[r.recipient] === undefined).length;
    state = learnRecipients(state, rows, fresh, i === 0, i === 0 ? 1 : Math.pow(0.5, (t - state.t) / HALF_LIFE), t);
  }
  return state;
}

const keepAfter = (state: SenderState, t: number) => Math.pow(0.5, (t - state.t) / HALF_LIFE);

describe('association of senders and recipients', () => {
  // Twenty-one windows over a week: one person writing to the same two colleagues, and a newsletter that reaches
  // four new subscribers every time.
  const colleague = history(21, () => ['bob@vigil.test', 'carol@vigil.test']);
  const newsletter = history(21, (i) => [0, 1, 2, 3].map((j) => `reader${i * 4 + j}@vigil.test`));
  const next = 21 * 4 * 3_600_000 + WINDOW;

  it('learns that a person who writes to the same people meets almost no one new, and a newsletter meets many', () => {
    // Twenty-one windows, decayed over three and a half days.
    expect(colleague.windows).toBeGreaterThan(18);
    expect(colleague.windows).toBeLessThan(21);
    // The first window is not counted: everything is new then.
    expect(colleague.fresh).toBe(0);
    expect(Object.keys(colleague.recipients).sort()).toEqual(['bob@vigil.test', 'carol@vigil.test']);
    expect(newsletter.fresh / newsletter.windows).toBeGreaterThan(3);
  });

  it('scores a steady sender writing to many new recipients high, and a newsletter doing the same low', () => {
    const steady = associationScore(12, colleague, keepAfter(colleague, next));
    expect(steady.rate).toBeLessThan(0.05);
    expect(steady.score).toBeGreaterThanOrEqual(80);
    const broadcaster = associationScore(4, newsletter, keepAfter(newsletter, next));
    expect(broadcaster.rate).toBeGreaterThan(3);
    expect(broadcaster.score).toBeLessThan(20);
    // Twelve new people are unusual even for the newsletter, though far less than for the colleague.
    expect(associationScore(12, newsletter, keepAfter(newsletter, next)).score).toBeLessThan(steady.score);
  });

  it('scores more new recipients higher, and judges a short history more gently', () => {
    const one = associationScore(1, colleague, 1).score;
    const three = associationScore(3, colleague, 1).score;
    expect(three).toBeGreaterThan(one);
    const young = history(6, () => ['bob@vigil.test', 'carol@vigil.test']);
    expect(associationScore(3, young, 1).score).toBeLessThan(three);
  });

  it('keeps the most recent recipients up to the cap', () => {
    const rows: RecipientRow[] = [];
    for (let i = 0; i < MAX_RECIPIENTS + 50; i++) rows.push({ recipient: `r${i}@vigil.test`, first: 1000 + i, count: 1 });
    const state = learnRecipients(emptySenderState(0), rows, rows.length, true, 1, 0);
    const kept = Object.keys(state.recipients);
    expect(kept).toHaveLength(MAX_RECIPIENTS);
    expect(kept).toContain(`r${MAX_RECIPIENTS + 49}@vigil.test`);
    expect(kept).not.toContain('r0@vigil.test');
  });

  it('forgets the rate of new recipients with the half-life', () => {
    const state: SenderState = { windows: 10, fresh: 10, t: 0, recipients: {} };
    const now = learnRecipients(state, [], 0, false, 1, 0);
    const later = learnRecipients(state, [], 0, false, 0.5, HALF_LIFE);
    expect(now.fresh).toBe(10);
    expect(later.fresh).toBe(5);
    expect(later.windows).toBe(6);
  });
});

describe('judging senders in a pass', () => {
  /** An Elasticsearch stand-in for the baseline store: documents kept in a map, read by mget, written by bulk. */
  function memoryClient() {
    const docs = new Map<string, unknown>();
    return {
      docs,
      async mget({ ids }: { ids: string[] }) {
        return { docs: ids.map((id) => (docs.has(id) ? { _id: id, found: true, _source: docs.get(id) } : { _id: id, found: false })) };
      },
      async bulk({ operations }: { operations: Array<Record<string, any>> }) {
        for (const { id, doc } of indexedDocs(operations)) docs.set(id, doc);
        return { errors: false, items: [] };
      },
    };
  }

  function context(client: ReturnType<typeof memoryClient>, window: { start: number; end: number }, tainted: Array<[string, string]> = []) {
    const emitted: AnomalyDraft[] = [];
    const ctx = {
      window,
      config: validateConfig({}, 'test'),
      baselines: new BaselineStore(client as never),
      partition: partition(0, 1),
      feedback: { ...NO_FEEDBACK, isTainted: (_m: string, e: string, p?: string) => tainted.some(([s, r]) => s === e && r === p) },
      maintenance: new MaintenanceCalendar([], new ZoneMap([])),
      halfLifeMs: HALF_LIFE,
      count: () => undefined,
      emit: (a: AnomalyDraft) => emitted.push(a),
    } as unknown as ModelContext;
    return { ctx, emitted };
  }

  const SENDER = 'alice@vigil.test';
  const rowsTo = (names: string[], t: number) => names.map((n) => ({ recipient: `${n}@vigil.test`, first: t, count: 1 }));

  async function windowOf(client: ReturnType<typeof memoryClient>, i: number, names: string[], tainted: Array<[string, string]> = []) {
    const w = { start: i * 4 * 3_600_000, end: i * 4 * 3_600_000 + WINDOW };
    const { ctx, emitted } = context(client, w, tainted);
    await judgeSenders(ctx, 'email', new Set(['vigil.test']), new Map([[SENDER, rowsTo(names, w.start + 1000)]]));
    await ctx.baselines.flush();
    return emitted;
  }

  it('learns silently, then reports new recipients with the recipients named, once per window', async () => {
    const client = memoryClient();
    for (let i = 0; i < MIN_WINDOWS; i++) expect(await windowOf(client, i, ['bob', 'carol'])).toEqual([]);
    const names = ['frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory'];
    const [a] = await windowOf(client, MIN_WINDOWS, ['bob', ...names]);
    expect(a).toBeDefined();
    expect(a.kind).toBe('new_recipients');
    expect(a.entity).toEqual({ type: 'sender', id: SENDER });
    expect(a.figures.observed).toBe(names.length);
    expect(a.related?.user).toEqual(names.map((n) => `${n}@vigil.test`));
    expect(a.email?.to?.address).toEqual(names.map((n) => `${n}@vigil.test`));
    expect(a.techniques?.[0].id).toBe('T1534');
    expect(a.score).toBeGreaterThanOrEqual(60);
    // The same window again (a pass resumed after a crash) is already learned: nothing new.
    expect(await windowOf(client, MIN_WINDOWS, ['bob', ...names])).toEqual([]);
    // The next window, the six are known.
    expect(await windowOf(client, MIN_WINDOWS + 1, ['bob', ...names])).toEqual([]);
  });

  it('keeps a recipient evaluated as malicious out of the baseline: it is new every time', async () => {
    const client = memoryClient();
    // Long enough a history that one new recipient is worth reporting.
    const n = MIN_WINDOWS * 4;
    for (let i = 0; i < n; i++) await windowOf(client, i, ['bob', 'carol']);
    const tainted: Array<[string, string]> = [[SENDER, 'mallory@vigil.test']];
    const first = await windowOf(client, n, ['bob', 'mallory'], tainted);
    expect(first.map((a) => a.peer?.id)).toEqual(['mallory@vigil.test']);
    const again = await windowOf(client, n + 1, ['bob', 'mallory'], tainted);
    expect(again.map((a) => a.peer?.id)).toEqual(['mallory@vigil.test']);
  });
});
