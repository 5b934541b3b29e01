/**
 * The user's own asset list (a CSV or JSON export of a spreadsheet or a CMDB), read into `InventoryEntry` rows, and
 * compared with what the network showed: which observed assets the list knows, where it disagrees with them, and
 * which listed assets were never seen.
 */
import * as ipaddr from 'ipaddr.js';
import { ConfigError } from '../../common/errors';
import type { InventoryComparison, InventoryEntry } from './types';

type Field = Exclude<keyof InventoryEntry, 'line'>;

/**
 * Column names (and JSON keys) per field, as spreadsheet exports spell them, compared without regard to case,
 * spaces or punctuation (`IP Address`, `ip_address` and `IPAddress` are one name).
 */
const SYNONYMS: Readonly<Record<Field, readonly string[]>> = {
  ip: ['ip', 'ip address', 'ipv4', 'ipv4 address', 'ipv6', 'ip addr', 'address'],
  mac: ['mac', 'mac address'],
  name: ['name', 'hostname', 'host name', 'device name'],
  vendor: ['vendor', 'manufacturer'],
  product: ['product', 'description'],
  model: ['model', 'part number', 'catalog number'],
  firmware: ['firmware', 'firmware version', 'revision', 'fw'],
  serial: ['serial', 'serial number'],
  role: ['role', 'type', 'function'],
  zone: ['zone', 'area', 'network'],
  id: ['id', 'asset id', 'asset tag', 'tag'],
};

const squeeze = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

const FIELD_BY_NAME: ReadonlyMap<string, Field> = new Map(
  (Object.entries(SYNONYMS) as [Field, readonly string[]][]).flatMap(([field, names]) => names.map((n) => [squeeze(n), field] as const)),
);

function fieldOf(name: string): Field | undefined {
  return FIELD_BY_NAME.get(squeeze(name));
}

/** Where a value came from, for messages: `assets.csv line 3, column "IP Address"`. */
interface Place {
  file: string;
  /** `line` for CSV rows, `element` for JSON array elements. */
  unit: 'line' | 'element';
  line: number;
  /** The column header or JSON key as the file spells it. */
  column: string;
}

function placeText(p: Place): string {
  return `${p.file} ${p.unit} ${p.line}, ${p.unit === 'line' ? 'column' : 'field'} "${p.column}"`;
}

function invalid(p: Place, message: string): ConfigError {
  return new ConfigError(`${placeText(p)}: ${message}`, { file: p.file, line: p.line, column: p.column });
}

/**
 * An IP address in canonical form: dotted decimal for IPv4 (an IPv4-mapped IPv6 address becomes its IPv4 one),
 * RFC 5952 for IPv6. Spreadsheets pad octets (`010.001.002.003`): those are read as decimal, as people mean them.
 */
export function canonicalIp(text: string): string | undefined {
  const value = text.trim();
  const padded = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (padded !== null) {
    const octets = padded.slice(1).map((o) => Number.parseInt(o, 10));
    return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
  }
  const noZone = value.replace(/%[^%]+$/, '');
  if (!ipaddr.IPv6.isValid(noZone)) return undefined;
  const v6 = ipaddr.IPv6.parse(noZone);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toString();
}

/**
 * A MAC address in ECS spelling (upper case, dash-separated: `00-0A-28-00-FA-42`) from colon, dash or dot
 * separated forms (`00:0a:28:00:fa:42`, `000a.2800.fa42`) or twelve bare hex digits.
 */
export function canonicalMac(text: string): string | undefined {
  const value = text.trim();
  let hex: string | undefined;
  if (/^[0-9a-f]{1,2}([:-])[0-9a-f]{1,2}(\1[0-9a-f]{1,2}){4}$/i.test(value)) {
    hex = value
      .split(/[:-]/)
      .map((o) => o.padStart(2, '0'))
      .join('');
  } else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(value) || /^[0-9a-f]{12}$/i.test(value)) {
    hex = value.replace(/\./g, '');
  }
  return hex === undefined ? undefined : hex.toUpperCase().match(/../g)!.join('-');
}

/** Sets one field of an entry from the file's text, checking and normalising addresses. */
function assign(entry: InventoryEntry, field: Field, raw: string, place: Place): void {
  const value = raw.trim();
  if (value === '' || entry[field] !== undefined) return;
  if (field === 'ip') {
    const ip = canonicalIp(value);
    if (ip === undefined) throw invalid(place, `"${value}" is not an IP address`);
    entry.ip = ip;
  } else if (field === 'mac') {
    const mac = canonicalMac(value);
    if (mac === undefined) throw invalid(place, `"${value}" is not a MAC address`);
    entry.mac = mac;
  } else {
    entry[field] = value;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

interface CsvRecord {
  /** Line of the file the record starts on, from 1. */
  line: number;
  fields: string[];
}

/** The delimiter of the header line: the most frequent of comma, semicolon and tab outside quotes. */
function sniffDelimiter(text: string): string {
  const counts = new Map([[',', 0], [';', 0], ['\t', 0]]);
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  return [...counts].reduce((best, c) => (c[1] > best[1] ? c : best))[0];
}

/** RFC 4180 records: quoted fields may hold the delimiter, line breaks and `""` for a quote. */
function csvRecords(text: string, delimiter: string, file: string, firstLine: number): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let line = firstLine;
  let start = firstLine;
  const endField = (): void => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    if (fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (ch === delimiter) {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new ConfigError(`${file} line ${start}: a quoted field is not closed`, { file, line: start });
  endRecord();
  return records;
}

function parseCsv(text: string, file: string): InventoryEntry[] {
  let body = text;
  let firstLine = 1;
  let delimiter: string | undefined;
  // Excel writes `sep=;` on the first line when asked to name its delimiter.
  const hint = /^sep=(.)\r?\n/i.exec(body);
  if (hint !== null) {
    delimiter = hint[1];
    body = body.slice(hint[0].length);
    firstLine = 2;
  }
  delimiter ??= sniffDelimiter(body);
  const [header, ...rows] = csvRecords(body, delimiter, file, firstLine);
  if (header === undefined) throw new ConfigError(`${file} is empty: it needs a header row naming its columns`, { file });
  const columns = header.fields.map((name) => ({ name: name.trim(), field: fieldOf(name) }));
  if (!columns.some((c) => c.field === 'ip' || c.field === 'mac')) {
    throw new ConfigError(`${file}: no column names an IP or MAC address (columns: ${columns.map((c) => `"${c.name}"`).join(', ')})`, { file });
  }
  return rows.map((row) => {
    const entry: InventoryEntry = { line: row.line };
    columns.forEach((c, i) => {
      if (c.field !== undefined && row.fields[i] !== undefined) {
        assign(entry, c.field, row.fields[i], { file, unit: 'line', line: row.line, column: c.name });
      }
    });
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

function parseJson(text: string, file: string): InventoryEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`, { file }, err);
  }
  const container = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  const key = container === undefined ? undefined : Object.keys(container).find((k) => k.toLowerCase() === 'assets');
  const list = Array.isArray(doc) ? doc : key !== undefined ? container![key] : undefined;
  if (!Array.isArray(list)) throw new ConfigError(`${file}: expected an array of assets, or an object with an "assets" array`, { file });
  return list.map((item, index) => {
    const line = index + 1;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ConfigError(`${file} element ${line}: an asset must be an object`, { file, line });
    }
    const entry: InventoryEntry = { line };
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      const field = fieldOf(name);
      if (field === undefined || value === null || value === undefined) continue;
      const place: Place = { file, unit: 'element', line, column: name };
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(place, 'must be a string or a number');
      assign(entry, field, String(value), place);
    }
    return entry;
  });
}

/**
 * The rows of an inventory file: JSON (an array of objects, or `{ "assets": [...] }`) when the name ends in
 * `.json` or the text starts with `[` or `{`, else CSV with a header row (comma, semicolon or tab separated).
 * Throws `ConfigError` naming the file, the line (JSON: element) and the column for an address that does not
 * parse, a row with neither IP nor MAC, or an IP listed twice.
 */
export function parseInventory(text: string, fileName: string): InventoryEntry[] {
  const body = text.replace(/^\uFEFF/, '');
  const json = /\.json$/i.test(fileName) || /^\s*[[{]/.test(body);
  const entries = json ? parseJson(body, fileName) : parseCsv(body, fileName);
  const unit = json ? 'element' : 'line';
  const byIp = new Map<string, InventoryEntry>();
  for (const entry of entries) {
    if (entry.ip === undefined && entry.mac === undefined) {
      throw new ConfigError(`${fileName} ${unit} ${entry.line}: the asset has neither an IP nor a MAC address`, { file: fileName, line: entry.line });
    }
    if (entry.ip === undefined) continue;
    const earlier = byIp.get(entry.ip);
    // Two rows for one address leave no way to tell which one the network shows.
    if (earlier !== undefined) {
      throw new ConfigError(`${fileName} ${unit} ${entry.line}: ${entry.ip} is listed already (${unit} ${earlier.line})`, {
        file: fileName,
        line: entry.line,
      });
    }
    byIp.set(entry.ip, entry);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

export interface ObservedAsset {
  ip: string;
  macs: ReadonlyArray<{ mac: string }>;
  hostnames: ReadonlyArray<{ name: string }>;
  ot: ReadonlyArray<{ vendor?: string; product?: string; model?: string; firmware?: string; serial?: string }>;
}

type Difference = InventoryComparison['differences'][number];
type IdentityField = 'vendor' | 'product' | 'model' | 'firmware' | 'serial';

/** Case and runs of white space do not matter. */
const plain = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** Firmware `V4.3` is `4.3`. */
const firmwareKey = (s: string): string => plain(s).replace(/^v(?=\d)/, '');

/** A hex serial as protocols print it (`0x00524d8e`) is the one a label shows as `524D8E`. */
function serialKey(s: string): string {
  const p = plain(s);
  const hex = /^(0x)?([0-9a-f]+)$/.exec(p);
  return hex !== null && (hex[1] !== undefined || /[a-f]/.test(hex[2])) ? hex[2].replace(/^0+(?=.)/, '') : p;
}

/**
 * Whether the file's value agrees with one of the observed ones. Vendors agree when one name contains the other
 * (`Rockwell Automation` and `Rockwell Automation/Allen-Bradley`).
 */
function agrees(field: IdentityField, listed: string, observed: readonly string[]): boolean {
  switch (field) {
    case 'firmware':
      return observed.some((o) => firmwareKey(o) === firmwareKey(listed));
    case 'serial':
      return observed.some((o) => serialKey(o) === serialKey(listed));
    case 'vendor':
      return observed.some((o) => plain(o).includes(plain(listed)) || plain(listed).includes(plain(o)));
    default:
      return observed.some((o) => plain(o) === plain(listed));
  }
}

const distinct = (values: readonly (string | undefined)[]): string[] => {
  const seen = new Map<string, string>();
  for (const v of values) if (v !== undefined && v.trim() !== '' && !seen.has(plain(v))) seen.set(plain(v), v.trim());
  return [...seen.values()];
};

const firstLabel = (name: string): string => plain(name).split('.')[0];

function differences(entry: InventoryEntry, asset: ObservedAsset, ip: string | undefined): Difference[] {
  const out: Difference[] = [];
  if (entry.ip !== undefined && ip !== undefined && entry.ip !== ip) out.push({ field: 'ip', expected: entry.ip, observed: ip });

  const macs = distinct(asset.macs.map((m) => canonicalMac(m.mac) ?? m.mac));
  if (entry.mac !== undefined && macs.length > 0 && !macs.includes(entry.mac)) {
    out.push({ field: 'mac', expected: entry.mac, observed: macs.join(', ') });
  }

  for (const field of ['vendor', 'product', 'model', 'firmware', 'serial'] as const) {
    const listed = entry[field];
    const observed = distinct(asset.ot.map((o) => o[field]));
    if (listed === undefined || observed.length === 0) continue;
    // Protocols put a catalog number in the product name as often as in the model: either one may agree.
    const candidates = field === 'product' || field === 'model' ? distinct(asset.ot.flatMap((o) => [o.product, o.model])) : observed;
    if (!agrees(field, listed, candidates)) out.push({ field, expected: listed, observed: observed.join(', ') });
  }

  const names = distinct(asset.hostnames.map((h) => h.name));
  if (entry.name !== undefined && names.length > 0 && !names.some((n) => firstLabel(n) === firstLabel(entry.name!))) {
    out.push({ field: 'name', expected: entry.name, observed: names.join(', ') });
  }
  return out;
}

/**
 * Each observed asset against the file: matched by IP, else by one of its MACs (then a different IP is a
 * difference). The differences compare only what both sides state. `missing` lists the entries no asset matched.
 */
export function compareInventory(
  entries: readonly InventoryEntry[],
  observed: readonly ObservedAsset[],
): { byIp: Map<string, InventoryComparison>; missing: Array<InventoryComparison & { entry: InventoryEntry }> } {
  const byIp = new Map<string, InventoryEntry>();
  const byMac = new Map<string, InventoryEntry>();
  for (const e of entries) {
    if (e.ip !== undefined && !byIp.has(e.ip)) byIp.set(e.ip, e);
    if (e.mac !== undefined && !byMac.has(e.mac)) byMac.set(e.mac, e);
  }

  const matched = new Set<InventoryEntry>();
  const result = new Map<string, InventoryComparison>();
  for (const asset of observed) {
    const ip = canonicalIp(asset.ip);
    let entry = ip === undefined ? undefined : byIp.get(ip);
    if (entry === undefined) {
      entry = asset.macs.map((m) => byMac.get(canonicalMac(m.mac) ?? '')).find((e) => e !== undefined);
    }
    if (entry === undefined) {
      result.set(asset.ip, { status: 'uninventoried', differences: [] });
      continue;
    }
    matched.add(entry);
    result.set(asset.ip, { status: 'inventoried', entry, differences: differences(entry, asset, ip) });
  }

  const missing = entries.filter((e) => !matched.has(e)).map((entry) => ({ status: 'missing' as const, entry, differences: [] }));
  return { byIp: result, missing };
}
