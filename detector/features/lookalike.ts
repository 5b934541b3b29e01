/**
 * Lookalike sender domains for the email model: a domain made to pass for a known organisation's domain at a
 * glance (ATT&CK T1583.001 acquired domains, used for T1566 phishing). The kinds follow the permutations of
 * dnstwist and the typosquatting literature: a typo of the registered label (`edit`), characters that look alike
 * (`homoglyph`, including internationalised labels `xn--` decoded to Unicode), the same label under another suffix
 * (`tld-swap`), hyphens added or removed or a word hyphenated on (`hyphen`), and the known domain written as labels
 * of an unrelated domain (`subdomain-embed`, `paypal.com.evil.net`).
 */
import { domainToUnicode } from 'node:url';
import { domainParts } from './domain';

export type LookalikeKind = 'edit' | 'homoglyph' | 'tld-swap' | 'hyphen' | 'subdomain-embed';

export interface Lookalike {
  /** The known registered domain imitated, normalised (lower case, ASCII form). */
  domain: string;
  kind: LookalikeKind;
  /**
   * Damerau-Levenshtein (optimal string alignment) distance between the two registered labels, Unicode form: 0 for
   * `tld-swap` and `subdomain-embed`, the number of characters added for a hyphenated word (`paypal-login`).
   */
  distance: number;
}

/**
 * Confusable characters, mapped to the ASCII letter they pass for: a selection of the Cyrillic, Greek, Armenian and
 * Latin-extension entries of Unicode's confusables.txt (small letters only: IDNA lower-cases labels), plus `0`/`o`
 * and `1`/`l`. Accents are removed beforehand by decomposition (`é` -> `e`).
 */
const CONFUSABLE: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', ь: 'b', с: 'c', ԁ: 'd', е: 'e', һ: 'h', і: 'i', ј: 'j', ӏ: 'l', п: 'n', о: 'o', р: 'p', ԛ: 'q', г: 'r',
  ѕ: 's', у: 'y', х: 'x', ԝ: 'w', ѵ: 'v',
  // Greek
  α: 'a', ϲ: 'c', ι: 'i', ϳ: 'j', ν: 'v', ο: 'o', ρ: 'p', υ: 'u', χ: 'x',
  // Armenian
  հ: 'h', ո: 'n', օ: 'o', ս: 'u', ց: 'g', զ: 'q',
  // Latin extensions that do not decompose
  ı: 'i', ȷ: 'j', ɑ: 'a', ɡ: 'g', ł: 'l', ɩ: 'i', ø: 'o', đ: 'd', ħ: 'h', ß: 'ss',
  // Digits
  '0': 'o',
  '1': 'l',
};

/** Letter pairs that render like one letter in most fonts. */
const CONFUSABLE_PAIRS: ReadonlyArray<[RegExp, string]> = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
];

/**
 * The skeleton of a label: what it looks like, with every confusable character replaced by the one it imitates.
 * Two labels with one skeleton are visually confusable (`rnicrosoft` and `microsoft`, `pаypal` with a Cyrillic а).
 */
export function skeleton(label: string): string {
  const decomposed = label.normalize('NFKD').replace(/\p{Mn}/gu, '').toLowerCase();
  let out = '';
  for (const ch of decomposed) out += CONFUSABLE[ch] ?? ch;
  for (const [pattern, replacement] of CONFUSABLE_PAIRS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Damerau-Levenshtein distance in its optimal-string-alignment form (insertions, deletions, substitutions and
 * transpositions of adjacent characters; no substring edited twice), over UTF-16 code units. With `max`, stops as
 * soon as the distance must exceed it and returns `max + 1`.
 */
export function damerauLevenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rows (two back, for transpositions), reused across calls: an index lookup compares hundreds of labels.
  if (rows.length < 3 * (m + 1)) rows = new Int32Array(6 * (m + 1));
  let prev2 = 0;
  let prev = m + 1;
  let cur = 2 * (m + 1);
  for (let j = 0; j <= m; j++) rows[prev + j] = j;
  for (let i = 1; i <= n; i++) {
    rows[cur] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const bj = b.charCodeAt(j - 1);
      const cost = ai === bj ? 0 : 1;
      let d = Math.min(rows[prev + j] + 1, rows[cur + j - 1] + 1, rows[prev + j - 1] + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) d = Math.min(d, rows[prev2 + j - 2] + 1);
      rows[cur + j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = rows[prev + m];
  return d > max ? max + 1 : d;
}

let rows = new Int32Array(3 * 64);

/**
 * Typos allowed for a registered label of `length` characters (the shorter of the two compared): none below 4,
 * where nearly every label is one edit from another real one (`ibm`/`ibn`); 1 up to 7; 2 from 8 on.
 */
function allowedEdits(length: number): number {
  if (length < 4) return 0;
  return length < 8 ? 1 : 2;
}

/** A hyphenated word (`paypal-login`) counts only for known labels this long; shorter ones are common words. */
const MIN_HYPHEN_WORD = 4;
/** `subdomain-embed` looks for registered domains of up to this many labels (`example.co.uk` has three). */
const MAX_EMBED_LABELS = 4;

interface KnownEntry {
  domain: string;
  /** Registered label, Unicode form. */
  label: string;
  /** Order in the known list: the first wins a tie. */
  order: number;
  /** Character counts of `label` (see `bagOf`), for the cheap lower bound of the edit distance. */
  bag: Uint8Array;
}

/** Buckets of the character counts: a-z, 0-9, `-`, `_`, anything else. */
const BAG_SIZE = 39;

function bagBucket(c: number): number {
  if (c >= 0x61 && c <= 0x7a) return c - 0x61;
  if (c >= 0x30 && c <= 0x39) return 26 + c - 0x30;
  if (c === 0x2d) return 36;
  if (c === 0x5f) return 37;
  return 38;
}

function bagOf(label: string, into = new Uint8Array(BAG_SIZE)): Uint8Array {
  into.fill(0);
  for (let i = 0; i < label.length; i++) into[bagBucket(label.charCodeAt(i))]++;
  return into;
}

/**
 * Whether the bag distance of two labels, max(|A - B|, |B - A|) over their character multisets, exceeds `max`.
 * Every edit, transpositions included, changes each side of that difference by at most one, so the bag distance
 * never exceeds the edit distance: a label it rules out needs no alignment at all. Merging characters into one
 * bucket only lowers the bound, so the bound stays safe.
 */
function bagDistanceExceeds(a: Uint8Array, b: Uint8Array, max: number): boolean {
  let more = 0;
  let fewer = 0;
  for (let k = 0; k < BAG_SIZE; k++) {
    const d = a[k] - b[k];
    if (d > 0) {
      more += d;
      if (more > max) return true;
    } else if (d < 0) {
      fewer -= d;
      if (fewer > max) return true;
    }
  }
  return false;
}

const candidateBag = new Uint8Array(BAG_SIZE);

function unicodeLabel(label: string): string {
  if (!label.includes('xn--')) return label;
  const decoded = domainToUnicode(label);
  return decoded === '' ? label : decoded;
}

function pushTo<K>(map: Map<K, KnownEntry[]>, key: K, entry: KnownEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

/**
 * The known domains, indexed so that one lookup costs a few map reads and, for typos, a scan of the labels within
 * two characters of the candidate's length in which a character-count bound rules out nearly all of them before
 * any edit distance is computed.
 */
export class LookalikeIndex {
  private readonly registered = new Set<string>();
  private readonly byLabel = new Map<string, KnownEntry[]>();
  private readonly bySkeleton = new Map<string, KnownEntry[]>();
  private readonly byUnhyphenated = new Map<string, KnownEntry[]>();
  private readonly byLength = new Map<number, KnownEntry[]>();

  /** Known organisation domains; subdomains stand for their registered domain, names without one are skipped. */
  constructor(known: Iterable<string>) {
    let order = 0;
    for (const name of known) {
      const parts = domainParts(name);
      if (parts === undefined || this.registered.has(parts.registeredDomain)) continue;
      this.registered.add(parts.registeredDomain);
      const label = unicodeLabel(parts.label);
      const entry: KnownEntry = { domain: parts.registeredDomain, label, order: order++, bag: bagOf(label) };
      pushTo(this.byLabel, entry.label, entry);
      pushTo(this.bySkeleton, skeleton(entry.label), entry);
      pushTo(this.byUnhyphenated, entry.label.replace(/-/g, ''), entry);
      pushTo(this.byLength, entry.label.length, entry);
    }
  }

  /** Number of distinct known registered domains. */
  get size(): number {
    return this.registered.size;
  }

  /** See `lookalikeOf`. */
  match(candidate: string): Lookalike | undefined {
    const parts = domainParts(candidate);
    // A known domain, or a name under one, is the organisation's own.
    if (parts === undefined || this.registered.has(parts.registeredDomain)) return undefined;
    const label = unicodeLabel(parts.label);
    return (
      this.tldSwap(label) ??
      this.homoglyph(label) ??
      this.hyphen(label) ??
      this.edit(label) ??
      this.embedded(parts.subdomain)
    );
  }

  private tldSwap(label: string): Lookalike | undefined {
    const entries = this.byLabel.get(label);
    return entries ? { domain: entries[0].domain, kind: 'tld-swap', distance: 0 } : undefined;
  }

  private homoglyph(label: string): Lookalike | undefined {
    return closest(this.bySkeleton.get(skeleton(label)), label, 'homoglyph');
  }

  private hyphen(label: string): Lookalike | undefined {
    const unhyphenated = label.replace(/-/g, '');
    const moved = closest(this.byUnhyphenated.get(unhyphenated), label, 'hyphen');
    if (moved) return moved;
    if (!label.includes('-')) return undefined;
    let best: { entry: KnownEntry; distance: number } | undefined;
    for (const word of label.split('-')) {
      if (word.length < MIN_HYPHEN_WORD) continue;
      for (const entry of this.byLabel.get(word) ?? []) {
        const distance = label.length - word.length;
        if (!best || distance < best.distance || (distance === best.distance && entry.order < best.entry.order)) best = { entry, distance };
      }
    }
    return best && { domain: best.entry.domain, kind: 'hyphen', distance: best.distance };
  }

  private edit(label: string): Lookalike | undefined {
    let best: { entry: KnownEntry; distance: number } | undefined;
    const bag = bagOf(label, candidateBag);
    for (let length = label.length - 2; length <= label.length + 2; length++) {
      for (const entry of this.byLength.get(length) ?? []) {
        const allowed = allowedEdits(Math.min(label.length, entry.label.length));
        if (allowed === 0 || Math.abs(label.length - length) > allowed || bagDistanceExceeds(bag, entry.bag, allowed)) continue;
        const distance = damerauLevenshtein(label, entry.label, allowed);
        if (distance === 0 || distance > allowed) continue;
        if (!best || distance < best.distance || (distance === best.distance && entry.order < best.entry.order)) best = { entry, distance };
      }
    }
    return best && { domain: best.entry.domain, kind: 'edit', distance: best.distance };
  }

  private embedded(subdomain: string): Lookalike | undefined {
    if (subdomain === '') return undefined;
    const labels = subdomain.split('.');
    // Leftmost first: the name a reader sees first is the one meant to fool.
    for (let start = 0; start < labels.length; start++) {
      for (let end = Math.min(labels.length, start + MAX_EMBED_LABELS); end > start + 1; end--) {
        const name = labels.slice(start, end).join('.');
        if (this.registered.has(name)) return { domain: name, kind: 'subdomain-embed', distance: 0 };
      }
    }
    return undefined;
  }
}

function closest(entries: KnownEntry[] | undefined, label: string, kind: LookalikeKind): Lookalike | undefined {
  let best: { entry: KnownEntry; distance: number } | undefined;
  for (const entry of entries ?? []) {
    if (entry.label === label) continue;
    const distance = damerauLevenshtein(label, entry.label);
    if (!best || distance < best.distance || (distance === best.distance && entry.order < best.entry.order)) best = { entry, distance };
  }
  return best && { domain: best.entry.domain, kind, distance: best.distance };
}

// One index per known list: callers pass the same array for every sender they check.
const indexes = new WeakMap<readonly string[], { length: number; index: LookalikeIndex }>();

/**
 * The known domain `candidate` imitates, or undefined. `candidate` is a sender domain or host name (`From`
 * domain, envelope sender domain, HELO); `known` the organisation's own and partner domains.
 *
 * Not lookalikes: a known domain itself and any name under it (`mail.example.com` for `example.com`), and names
 * without a registered domain (see `domainParts`). When several kinds apply, the first of `tld-swap`, `homoglyph`,
 * `hyphen`, `edit`, `subdomain-embed` is reported: from the most certain to the least; within a kind the smallest
 * distance, then the earliest in `known`.
 *
 * The index built from `known` is cached per array (and rebuilt when its length changes): replace the array rather
 * than edit it in place, or hold a `LookalikeIndex` directly.
 */
export function lookalikeOf(candidate: string, known: readonly string[]): Lookalike | undefined {
  let cached = indexes.get(known);
  if (cached === undefined || cached.length !== known.length) {
    cached = { length: known.length, index: new LookalikeIndex(known) };
    indexes.set(known, cached);
  }
  return cached.index.match(candidate);
}
