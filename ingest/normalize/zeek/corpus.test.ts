import { zeekEventsMappings } from '../../../common/es/templates/zeek';
import { localNetworkMatcher } from '../../enrich/direction';
import { readZeekLog, zeekCorpusFiles } from './corpus.fixture';
import { normalizeZeek } from '.';
import { isIp } from './values';

/**
 * Every record of the corpus, normalized, checked against the index template the way Elasticsearch would check
 * it: every ECS field must be mapped and hold a value of its mapped type; an original Zeek field may be unmapped
 * (kept in `_source` under `dynamic: false`) but when mapped, a boolean must be a boolean (booleans have no
 * `ignore_malformed`) and the other types are counted when malformed, which must not happen with real Zeek data.
 */
type Mapping = { type?: string; properties?: Record<string, Mapping>; subobjects?: boolean; format?: string };

const ctx = {
  isLocal: localNetworkMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
  fallbackTs: 1_700_000_000,
  ingested: '2026-11-24T12:00:00.000Z',
  sensor: 'corpus',
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function accepts(type: string, value: unknown, original: boolean): boolean {
  switch (type) {
    case 'keyword':
    case 'match_only_text':
    case 'text':
      return typeof value === 'string';
    case 'long':
    case 'integer':
      // Counts beyond 2^53 arrive as decimal strings; Elasticsearch reads them as longs.
      return (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
    case 'unsigned_long':
      return (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && /^\d+$/.test(value));
    case 'double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'ip':
      return typeof value === 'string' && isIp(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      // ECS dates are ISO text (a number would be read as epoch milliseconds); the originals' dates are also
      // read as epoch seconds.
      return typeof value === 'string' ? ISO.test(value) : original && typeof value === 'number' && Number.isFinite(value);
    default:
      return false;
  }
}

describe('the normalizer over the whole corpus', () => {
  const root = zeekEventsMappings().properties as Record<string, Mapping>;
  const problems = new Set<string>();
  const malformedOriginals = new Set<string>();
  /** Unmapped original field -> the corpus files it was seen in. */
  const unmappedOriginals = new Map<string, Set<string>>();
  let currentFile = '';
  const datasets = new Map<string, number>();
  let records = 0;

  function checkLeaf(dataset: string, path: string, mapping: Mapping | undefined, value: unknown, original: boolean): void {
    if (mapping === undefined || mapping.type === undefined) {
      if (original) {
        const files = unmappedOriginals.get(path) ?? new Set<string>();
        files.add(currentFile);
        unmappedOriginals.set(path, files);
      }
      else problems.add(`${dataset}: ${path} is not mapped`);
      return;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (accepts(mapping.type, v, original)) continue;
      if (original && mapping.type !== 'boolean') malformedOriginals.add(`${dataset} ${path}=${JSON.stringify(v)}`);
      else problems.add(`${dataset}: ${path} (${mapping.type}) cannot hold ${JSON.stringify(v)}`);
    }
  }

  function walk(dataset: string, prefix: string, value: unknown, properties: Record<string, Mapping> | undefined): void {
    if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
      for (const v of value) walk(dataset, prefix, v, properties);
      return;
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (child === undefined) continue;
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const mapping = properties?.[key];
      if (prefix === 'zeek' && key !== 'session_id') {
        // The originals: flat Zeek names under an object with subobjects: false.
        for (const [name, v] of Object.entries(child as Record<string, unknown>)) {
          checkLeaf(dataset, `${path}.${name}`, mapping?.properties?.[name], v, true);
        }
        continue;
      }
      if (child !== null && typeof child === 'object' && !Array.isArray(child)) walk(dataset, path, child, mapping?.properties);
      else if (Array.isArray(child) && child.some((v) => v !== null && typeof v === 'object')) walk(dataset, path, child, mapping?.properties);
      else checkLeaf(dataset, path, mapping, child, false);
    }
  }

  beforeAll(() => {
    for (const file of zeekCorpusFiles()) {
      currentFile = file;
      for (const record of readZeekLog(file)) {
        const doc = normalizeZeek(record, ctx);
        records++;
        datasets.set(doc.event.dataset, (datasets.get(doc.event.dataset) ?? 0) + 1);
        walk(doc.event.dataset, '', doc, root);
      }
    }
  });

  it('reads a corpus of real records', () => {
    expect(records).toBeGreaterThan(400_000);
    expect(datasets.size).toBeGreaterThan(100);
  });

  it('writes only ECS fields the template maps, each with a value of its type', () => {
    expect([...problems].sort()).toEqual([]);
  });

  it('keeps the original fields in forms their mapping reads', () => {
    expect([...malformedOriginals].sort()).toEqual([]);
  });

  it("leaves unmapped only fields of the made-up logs of Zeek's logging-framework and supervisor tests", () => {
    // zeek-fields.ts leaves these out on purpose; every other field of the corpus must be mapped.
    const loggingTests = /\/Baseline\/(scripts\.base\.frameworks\.logging\.|broker\.remote_log|plugins\.logging-hooks|core\.record-field-redef|scripts\.base\.frameworks\.cluster\.log_distribution|supervisor\.)/;
    const elsewhere: string[] = [];
    for (const [field, files] of unmappedOriginals) {
      for (const file of files) if (!loggingTests.test(file)) elsewhere.push(`${field} in ${file}`);
    }
    expect(elsewhere).toEqual([]);
    expect(unmappedOriginals.size).toBeGreaterThan(0);
  });
});
