/** Numbers and lists as the models write them into anomaly figures and explanations. */

/** `x` rounded to `digits` decimals, for figures that people read. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A whole number with thousands separators (`3,120`). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A figure for a sentence: whole numbers from 10 up, one decimal below. */
export function figure(x: number): string {
  if (Math.abs(x) >= 10) return formatCount(x);
  return String(Math.round(x * 10) / 10);
}

/** How long a history is: `5 hours` below a day, `3 days` from one day on. */
export function formatDays(days: number): string {
  if (days < 1) return `${Math.max(1, Math.round(days * 24))} hours`;
  return `${Math.round(days)} day${Math.round(days) === 1 ? '' : 's'}`;
}

/** `3,120 names`, `1 name`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : many}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `42 MB`, `5.8 kB`: decimal units, as people read transfer sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}
