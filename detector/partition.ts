/**
 * Sharing the work between detector processes: each owns the entities whose key hashes to its share. Ownership is
 * decided per entity key, so a device's baseline is always updated by the same process and never by two at once.
 * Elasticsearch cannot filter by a hash without scripts, so each process still reads the whole window's
 * aggregations and skips the buckets it does not own: the work shared is the scoring, the baseline reads and
 * writes and the anomalies, not the aggregation itself.
 */
export interface Partition {
  readonly index: number;
  readonly count: number;
  owns(key: string): boolean;
  /** `0of1`: the name of this share in state documents and logs. */
  readonly name: string;
}

/** FNV-1a, 32 bits: fast, stable across processes and versions, and well spread on IP address text. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partition(index: number, count: number): Partition {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`partition ${index}/${count}: expected 0 <= index < count`);
  }
  return {
    index,
    count,
    name: `${index}of${count}`,
    owns: count === 1 ? () => true : (key) => fnv1a(key) % count === index,
  };
}

/** Parses `--partition i/n`. */
export function parsePartition(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new RangeError(`--partition: expected index/count such as 0/2, not "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  partition(index, count);
  return { index, count };
}
