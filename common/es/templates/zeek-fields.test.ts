import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ZEEK_LOG_FIELDS } from './zeek-fields';

const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');
/** Zeek's logging-framework and supervisor tests write made-up records; the catalogue leaves them out. */
const MADE_UP_LOGS = /\/Baseline\/(scripts\.base\.frameworks\.logging\.|broker\.remote_log|plugins\.logging-hooks|core\.record-field-redef|scripts\.base\.frameworks\.cluster\.log_distribution|supervisor\.)/;

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesBelow(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

/** `path -> field -> declared Zeek types` from every `#path`/`#fields`/`#types` header block of the corpus. */
function declaredFields(): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const file of [...filesBelow(path.join(CORPUS, 'zeek')), ...filesBelow(path.join(CORPUS, 'labeled'))]) {
    if (MADE_UP_LOGS.test(file)) continue;
    let content = readFileSync(file);
    if (content[0] === 0x1f && content[1] === 0x8b) content = gunzipSync(content);
    let logPath: string | undefined;
    let fields: string[] | undefined;
    for (const raw of content.toString('latin1').split('\n')) {
      if (raw.charCodeAt(0) !== 0x23) continue;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const [key, ...values] = line.split('\t');
      if (key === '#path') logPath = values[0];
      else if (key === '#fields') fields = values;
      else if (key === '#types' && logPath !== undefined && fields !== undefined) {
        const byField = out.get(logPath) ?? new Map<string, Set<string>>();
        fields.forEach((name, i) => byField.set(name, (byField.get(name) ?? new Set()).add(values[i])));
        out.set(logPath, byField);
      }
    }
  }
  return out;
}

/** Keys of JSON records by path (`_path`) in the corpus's JSON logs. */
function jsonKeys(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const dir = path.join(CORPUS, 'zeek/zed-sample-data/zeek-json');
  for (const name of readdirSync(dir)) {
    for (const line of gunzipSync(readFileSync(path.join(dir, name))).toString('utf8').split('\n')) {
      if (line.charCodeAt(0) !== 0x7b) continue;
      const record = JSON.parse(line) as Record<string, unknown>;
      const keys = out.get(record._path as string) ?? new Set<string>();
      for (const key of Object.keys(record)) keys.add(key);
      out.set(record._path as string, keys);
    }
  }
  return out;
}

describe('ZEEK_LOG_FIELDS', () => {
  const declared = declaredFields();

  it('was read from a corpus of about a hundred log paths', () => {
    expect(declared.size).toBeGreaterThan(90);
  });

  it('has every field of every log path the corpus declares, with one of the declared types', () => {
    const missing: string[] = [];
    for (const [logPath, fields] of declared) {
      for (const [field, types] of fields) {
        const type = ZEEK_LOG_FIELDS[logPath]?.[field];
        if (type === undefined || !types.has(type)) missing.push(`${logPath}.${field}: ${[...types].join('|')} (catalogue: ${type})`);
      }
    }
    expect(missing).toEqual([]);
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
