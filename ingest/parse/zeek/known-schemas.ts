/**
 * The columns of Zeek TSV logs that were written without their header block, by log path and column count.
 *
 * Zeek leaves out the `#separator` ... `#types` block when a site sets `LogAscii::include_meta = F`, and
 * `zeek-cut` drops it from whatever it prints. Such a log names none of its columns, so they can only come from a
 * record version known in advance (`known-schemas.data.ts`). Versions of one log differ in their number of
 * columns, so the count of a line's columns picks the version; a count no known version has picks none.
 */
import { CUT_FORMS, RECORD_VERSIONS, type RecordVersion } from './known-schemas.data';

export interface KnownSchema {
  /** Field names as a `#fields` header would list them. */
  readonly fields: readonly string[];
  /** Zeek types as a `#types` header would list them, one per field. */
  readonly types: readonly string[];
}

function columnsOf(version: RecordVersion): KnownSchema {
  const fields: string[] = [];
  const types: string[] = [];
  for (const line of version.columns.split('\n')) {
    if (line.length === 0) continue;
    const space = line.indexOf(' ');
    fields.push(line.slice(0, space));
    types.push(line.slice(space + 1));
  }
  return { fields, types };
}

function without(schema: KnownSchema, removed: readonly string[]): KnownSchema {
  const keep = schema.fields.map((name) => !removed.includes(name));
  return {
    fields: schema.fields.filter((_, i) => keep[i]),
    types: schema.types.filter((_, i) => keep[i]),
  };
}

function frozen(schema: KnownSchema): KnownSchema {
  return Object.freeze({ fields: Object.freeze([...schema.fields]), types: Object.freeze([...schema.types]) });
}

/** Every catalogued schema with its log path, record versions first, then the cut forms. */
export function catalogue(): { path: string; source: string; schema: KnownSchema }[] {
  return [
    ...RECORD_VERSIONS.map((v) => ({ path: v.path, source: v.source, schema: columnsOf(v) })),
    ...CUT_FORMS.map((c) => ({ path: c.path, source: c.source, schema: without(columnsOf(c.from), c.without) })),
  ];
}

function index(): Map<string, Map<number, KnownSchema>> {
  const byPath = new Map<string, Map<number, KnownSchema>>();
  for (const { path, schema } of catalogue()) {
    const byCount = byPath.get(path) ?? new Map<number, KnownSchema>();
    // Two versions with one count could not be told apart; the catalogue's test keeps there being none.
    if (!byCount.has(schema.fields.length)) byCount.set(schema.fields.length, frozen(schema));
    byPath.set(path, byCount);
  }
  return byPath;
}

const BY_PATH = index();

/** The schema of log `path` with `columns` columns, or undefined when no known version of it has that many. */
export function knownSchema(path: string, columns: number): KnownSchema | undefined {
  return BY_PATH.get(path)?.get(columns);
}
