import path from 'node:path';
import { CORPUS, LABELED_CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { catalogue, knownSchema } from '../../../ingest/parse/zeek/known-schemas';
import { logTypeFromFileName } from '../../../ingest/parse/zeek/name-hint';
import { ZEEK_LOG_FIELDS } from './zeek-fields';

/** Zeek's logging-framework and supervisor tests write made-up records; the catalogue leaves them out. */
const MADE_UP_LOGS = /\/Baseline\/(scripts\.base\.frameworks\.logging\.|broker\.remote_log|plugins\.logging-hooks|core\.record-field-redef|scripts\.base\.frameworks\.cluster\.log_distribution|supervisor\.)/;
const ICSNPP = path.join(ZEEK_CORPUS, 'icsnpp');
/** The columns every icsnpp log that records a message's true direction carries. */
const DIRECTION = ['is_orig', 'source_h', 'source_p', 'destination_h', 'destination_p'];

interface Declared {
  /** `path -> field -> declared Zeek types`. */
  fields: Map<string, Map<string, Set<string>>>;
  /** Files without a header block whose columns came from the reader's catalogue, with their log path. */
  headerless: { file: string; path: string; fields: readonly string[]; types: readonly string[] }[];
}

function addBlock(out: Declared['fields'], logPath: string, fields: readonly string[], types: readonly string[]): void {
  const byField = out.get(logPath) ?? new Map<string, Set<string>>();
  fields.forEach((name, i) => byField.set(name, (byField.get(name) ?? new Set()).add(types[i])));
  out.set(logPath, byField);
}

/**
 * The fields of every `#path`/`#fields`/`#types` header block of the corpus, and of every TSV log written without
 * one, whose columns the reader takes from its catalogue of header-less logs as it does when ingesting them.
 */
function declaredFields(): Declared {
  const out: Declared = { fields: new Map(), headerless: [] };
  for (const file of [...filesBelow(ZEEK_CORPUS), ...filesBelow(LABELED_CORPUS)]) {
    if (MADE_UP_LOGS.test(file)) continue;
    let logPath: string | undefined;
    let fields: string[] | undefined;
    let sawFields = false;
    for (const raw of readLog(file).toString('latin1').split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.charCodeAt(0) !== 0x23) {
        if (line === '' || sawFields || line.startsWith('{')) continue;
        // A data line before any header: the columns are those of the catalogue's version with as many.
        const headerlessPath = logTypeFromFileName(file);
        const schema = knownSchema(headerlessPath, line.split('\t').length);
        if (schema !== undefined) {
          addBlock(out.fields, headerlessPath, schema.fields, schema.types);
          out.headerless.push({ file, path: headerlessPath, fields: schema.fields, types: schema.types });
        }
        break;
      }
      const [key, ...values] = line.split('\t');
      if (key === '#path') logPath = values[0];
      else if (key === '#fields') {
        fields = values;
        sawFields = true;
      } else if (key === '#types' && logPath !== undefined && fields !== undefined) addBlock(out.fields, logPath, fields, values);
    }
  }
  return out;
}

/** Keys of JSON records by path (`_path`) in the corpus's JSON logs. */
function jsonKeys(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of filesBelow(path.join(CORPUS, 'zeek/zed-sample-data/zeek-json'))) {
    for (const line of readLog(file).toString('utf8').split('\n')) {
      if (line.charCodeAt(0) !== 0x7b) continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      const keys = out.get(record._path as string) ?? new Set<string>();
      for (const key of Object.keys(record)) keys.add(key);
      out.set(record._path as string, keys);
    }
  }
  return out;
}

/** `path.field: declared (table: mapped)` for every field of `fields` the table lacks or types otherwise. */
function unmapped(logPath: string, fields: Map<string, Set<string>>): string[] {
  const missing: string[] = [];
  for (const [field, types] of fields) {
    const type = ZEEK_LOG_FIELDS[logPath]?.[field];
    if (type === undefined || !types.has(type)) missing.push(`${logPath}.${field}: ${[...types].join('|')} (table: ${type})`);
  }
  return missing;
}

describe('ZEEK_LOG_FIELDS', () => {
  const declared = declaredFields();

  it('was read from a corpus of about a hundred log paths', () => {
    expect(declared.fields.size).toBeGreaterThan(90);
  });

  it('reads the header-less icsnpp baselines with the columns of the reader', () => {
    const icsnpp = declared.headerless.filter((h) => h.file.startsWith(ICSNPP));
    // The enip, modbus, hart-ip, profinet-io-cm and 22 opcua-binary logs of the corpus README come without a header.
    expect(icsnpp.length).toBeGreaterThan(120);
    const paths = new Set(icsnpp.map((h) => h.path));
    expect([...paths].filter((p) => p.startsWith('opcua_binary')).length).toBe(22);
    expect([...paths].filter((p) => p.startsWith('hart_ip_')).length).toBeGreaterThanOrEqual(5);
    expect(paths.has('profinet_io_cm')).toBe(true);
  });

  it('has every field of every log path the corpus declares or the reader fills in, with one of their types', () => {
    const missing = [...declared.fields].flatMap(([logPath, fields]) => unmapped(logPath, fields));
    expect(missing).toEqual([]);
  });

  it('has every field of the header-less icsnpp logs, which no header block of the corpus declares', () => {
    const fromHeaderless = new Map<string, Map<string, Set<string>>>();
    for (const h of declared.headerless) if (h.file.startsWith(ICSNPP)) addBlock(fromHeaderless, h.path, h.fields, h.types);
    expect(fromHeaderless.size).toBeGreaterThan(25);
    expect([...fromHeaderless].flatMap(([logPath, fields]) => unmapped(logPath, fields))).toEqual([]);
  });

  it('has every column of every record version in the catalogue of header-less logs, with its type', () => {
    // Versions the corpus has no line of (an empty synchrophasor_hdr, link ids the baselines cut) count too.
    const missing = catalogue().flatMap(({ path: logPath, schema }) =>
      unmapped(logPath, new Map(schema.fields.map((f, i) => [f, new Set([schema.types[i]])]))),
    );
    expect(catalogue().length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('maps all direction columns wherever an icsnpp log has one, typed as the corpus declares them', () => {
    const types = new Map(DIRECTION.map((f) => [f, declared.fields.get('modbus_mask_write_register')?.get(f)]));
    expect([...types.values()].every((t) => t !== undefined && t.size === 1)).toBe(true);
    // Zeek's own files.log has an is_orig of its own; source_h is icsnpp's.
    const withDirection = Object.entries(ZEEK_LOG_FIELDS).filter(([, fields]) => fields.source_h !== undefined);
    // The bacnet, bsap, enip/cip, dnp3, modbus, s7comm, opcua-binary and profinet-io-cm logs.
    expect(withDirection.length).toBeGreaterThan(50);
    const odd = withDirection.flatMap(([logPath, fields]) =>
      DIRECTION.filter((f) => !types.get(f)!.has(fields[f]))
        // profinet_io_cm has source and destination but no is_orig (PROFINET_IO_CM::Profinet_Header).
        .filter((f) => !(logPath === 'profinet_io_cm' && f === 'is_orig'))
        .map((f) => `${logPath}.${f}: ${fields[f]}`),
    );
    expect(odd).toEqual([]);
  });

  it('maps the columns icsnpp-modbus releases share with modbus_mask_write_register in its other logs', () => {
    const shared = declared.fields.get('modbus_mask_write_register')!;
    // The columns of its mask-write function; every other one heads each icsnpp-modbus log of the current release.
    const header = new Map([...shared].filter(([f]) => !['address', 'and_mask', 'or_mask'].includes(f)));
    expect(header.size).toBe(16);
    expect(unmapped('modbus_read_device_identification', header)).toEqual([]);
    // Before request/response matching, modbus_detailed had one record per message with its direction.
    const direction = new Map([...shared].filter(([f]) => [...DIRECTION, 'request_response'].includes(f)));
    expect(unmapped('modbus_detailed', direction)).toEqual([]);
  });

  it('has every field of the JSON logs, apart from the writer fields every log may carry', () => {
    const missing: string[] = [];
    for (const [logPath, keys] of jsonKeys()) {
      for (const key of keys) {
        if (key !== '_path' && key !== '_write_ts' && ZEEK_LOG_FIELDS[logPath]?.[key] === undefined) missing.push(`${logPath}.${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('uses only Zeek type names', () => {
    const known = /^((set|vector)\[)?(time|interval|double|count|int|port|bool|addr|subnet|string|enum|pattern)\]?$/;
    const odd = Object.entries(ZEEK_LOG_FIELDS).flatMap(([p, fields]) =>
      Object.entries(fields).filter(([, t]) => !known.test(t)).map(([f, t]) => `${p}.${f}: ${t}`),
    );
    expect(odd).toEqual([]);
  });
});
