/**
 * MAC addresses: the ECS spelling and the organisation the IEEE registered a MAC's prefix to (`oui-data`, the
 * IEEE MA-L, MA-M and MA-S registries).
 *
 * The registry file is about 5.6 MB of JSON whose values are whole postal addresses; parsed, it costs tens of
 * megabytes of heap. It is read on the first lookup only, and what stays is the organisation (the first line of
 * each entry), each distinct name once, with the prefixes in sorted typed arrays searched by bisection.
 */
import { readFileSync } from 'node:fs';

/** `00-1D-9C-C6-72-E8`, `00:1d:9c:c6:72:e8`, `001d.9cc6.72e8` (Cisco) or 12 bare hex digits. */
const SEPARATED = /^([0-9A-Fa-f]{2})([-:])([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})$/;
const DOTTED = /^([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})$/;
const BARE = /^[0-9A-Fa-f]{12}$/;

/** The 12 hex digits of a MAC address, upper-case, or undefined when the text is not one. */
function hexDigits(mac: string): string | undefined {
  const text = mac.trim();
  let m = SEPARATED.exec(text);
  if (m !== null) return (m[1] + m[3] + m[4] + m[5] + m[6] + m[7]).toUpperCase();
  m = DOTTED.exec(text);
  if (m !== null) return (m[1] + m[2] + m[3]).toUpperCase();
  return BARE.test(text) ? text.toUpperCase() : undefined;
}

/** The ECS spelling of a MAC address (`00-1D-9C-C6-72-E8`), or undefined when the text is not a MAC address. */
export function normalizeMac(mac: string): string | undefined {
  const hex = hexDigits(mac);
  return hex === undefined ? undefined : hex.match(/../g)!.join('-');
}

/**
 * True for a group address (the I/G bit, the lowest bit of the first octet): multicast and broadcast frames are
 * addressed to many stations, so such a MAC never names one device.
 */
export function isGroupMac(mac: string): boolean {
  const hex = hexDigits(mac);
  return hex !== undefined && (parseInt(hex.slice(0, 2), 16) & 0x01) !== 0;
}

/**
 * True for a locally administered address (the U/L bit, the second-lowest bit of the first octet): virtual
 * machines, containers and phones that randomise their MAC set it, and its first octets were assigned by nobody.
 */
export function isLocalMac(mac: string): boolean {
  const hex = hexDigits(mac);
  return hex !== undefined && (parseInt(hex.slice(0, 2), 16) & 0x02) !== 0;
}

interface Registry {
  /** Sorted prefixes of one length (24, 28 or 36 bits) and the index of their organisation in `names`. */
  levels: Array<{ digits: number; prefixes: Float64Array; names: Uint16Array | Uint32Array }>;
  names: string[];
}

let registry: Registry | undefined;

/**
 * A copy of a string that shares no storage with the one it was cut from: a substring can keep the whole
 * multi-line entry (and so the whole registry) alive.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function load(): Registry {
  const file = require.resolve('oui-data');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const nameIndex = new Map<string, number>();
  const names: string[] = [];
  // MA-L prefixes have 6 hex digits, MA-M 7 and MA-S 9; the longer ones subdivide blocks the IEEE keeps.
  const byLength = new Map<number, Array<[number, number]>>();
  for (const key of Object.keys(raw)) {
    if (!/^[0-9A-F]+$/.test(key) || key.length > 12) continue;
    const value = raw[key];
    if (typeof value !== 'string') continue;
    const end = value.indexOf('\n');
    const organisation = (end < 0 ? value : value.slice(0, end)).trim();
    if (organisation.length === 0) continue;
    let index = nameIndex.get(organisation);
    if (index === undefined) {
      index = names.length;
      names.push(detached(organisation));
      nameIndex.set(organisation, index);
    }
    let entries = byLength.get(key.length);
    if (entries === undefined) byLength.set(key.length, (entries = []));
    entries.push([parseInt(key, 16), index]);
  }
  const levels = [...byLength.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([digits, entries]) => {
      entries.sort((a, b) => a[0] - b[0]);
      const prefixes = Float64Array.from(entries, (e) => e[0]);
      const indexes = names.length <= 0xffff ? new Uint16Array(entries.length) : new Uint32Array(entries.length);
      entries.forEach((e, i) => (indexes[i] = e[1]));
      return { digits, prefixes, names: indexes };
    });
  return { levels, names };
}

function find(prefixes: Float64Array, value: number): number {
  let lo = 0;
  let hi = prefixes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = prefixes[mid];
    if (at === value) return mid;
    if (at < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Prefixes and distinct organisations of the registry (loads it). */
export function ouiRegistrySize(): { prefixes: number; organisations: number } {
  registry ??= load();
  return { prefixes: registry.levels.reduce((n, l) => n + l.prefixes.length, 0), organisations: registry.names.length };
}

/**
 * The organisation the IEEE registered the MAC's prefix to, by longest prefix (MA-S, then MA-M, then MA-L).
 * Undefined for a text that is no MAC address, for a prefix nobody registered, and for group and locally
 * administered addresses: their first octet carries flag bits rather than a registered prefix, so whatever
 * organisation holds the same digits has nothing to do with the device.
 */
export function macVendor(mac: string): string | undefined {
  const hex = hexDigits(mac);
  if (hex === undefined) return undefined;
  if ((parseInt(hex.slice(0, 2), 16) & 0x03) !== 0) return undefined;
  registry ??= load();
  for (const level of registry.levels) {
    const at = find(level.prefixes, parseInt(hex.slice(0, level.digits), 16));
    if (at >= 0) return registry.names[level.names[at]];
  }
  return undefined;
}
