/**
 * The set of edges (peer, port, transport) a device is known to use, kept in the device's own baseline so that a
 * window's known edges cost no read: 53-bit hashes of the edges, stored as a base64 string of 64-bit floats.
 * Two edges of one device share a hash with probability about n² / 2^54 for n edges (below one in a billion for
 * the largest set kept): one new edge would then pass for known.
 */
export interface EdgeSet {
  hashes: Set<number>;
  /** Whether every edge the device is known to use is in the set (no edge was left out for the cap). */
  exact: boolean;
}

/** Edges a device's set holds at most; past it, edges not in the set are looked up in their own baselines. */
export const EDGE_SET_CAP = 2048;

/** A 53-bit hash of an edge's text: two 32-bit multiply-xor lanes, mixed at the end, so it is exact in a double. */
export function edgeHash(text: string): number {
  let a = 0x9e3779b9 ^ text.length;
  let b = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x27d4eb2d);
    b = Math.imul(b ^ c, 0x165667b1);
  }
  a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) ^ Math.imul(b ^ (b >>> 13), 0x297a2d39);
  b = Math.imul(b ^ (b >>> 16), 0x5bd1e995) ^ Math.imul(a ^ (a >>> 13), 0x1b873593);
  return (b >>> 0) * 0x200000 + ((a >>> 0) & 0x1fffff);
}

export function decodeEdgeSet(encoded: string | undefined, exact: boolean | undefined): EdgeSet {
  const hashes = new Set<number>();
  if (encoded) {
    const bytes = Buffer.from(encoded, 'base64');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 8 <= bytes.byteLength; i += 8) hashes.add(view.getFloat64(i, true));
  }
  return { hashes, exact: exact === true };
}

export function encodeEdgeSet(set: EdgeSet): string {
  const bytes = Buffer.alloc(set.hashes.size * 8);
  let i = 0;
  for (const h of set.hashes) {
    bytes.writeDoubleLE(h, i);
    i += 8;
  }
  return bytes.toString('base64');
}
