/**
 * Index template of the Zeek event indices (`vigil-zeek-*`), read through the `vigil-zeek` alias.
 *
 * Decisions:
 * - `dynamic: false`. Every field the normalizer writes is mapped here (`ecs-fields.ts`), and so is every field
 *   of every Zeek and icsnpp log Vigil knows (`zeek-fields.ts`), so a field's type never depends on which
 *   document came first. A field nobody mapped (a new Zeek version, a site's own script) is kept in `_source`
 *   and shown with the event, but not searchable until it is added. `strict` would reject those events instead.
 * - The original record sits under `zeek.<path>` with Zeek's own field names (`zeek.conn.id.orig_h`). Each of
 *   these objects has `subobjects: false`: Zeek names are flat, and a log may have both `foo` and `foo.bar`,
 *   which as object paths would collide.
 * - Types of the originals follow Zeek's: `time` is a date read as epoch seconds with fractions (Elasticsearch
 *   takes up to nanosecond fractions) or as the ISO 8601 text Zeek's JSON writer uses; `count` is
 *   `long`: Zeek counts are unsigned 64-bit, but `unsigned_long` is an optional module some clusters lack, and a
 *   count beyond 2^63 (rare: hashes and masks, not volumes) is kept in `_source` by `ignore_malformed`; `int` is
 *   `long`, `port` `integer`, `interval`/`double` `double`, `addr` `ip`, `bool` `boolean`; strings, enums,
 *   patterns and subnets are keywords (not indexed beyond 1024 characters, still in `_source`); a set or vector
 *   is mapped as its element type.
 * - `ignore_malformed` on the originals only. They are whatever the sensor wrote, and one value Elasticsearch
 *   cannot read (an address with a zone, a count written by a buggy script) should not cost the whole event: the
 *   value stays in `_source` and the field's name goes to the event's `_ignored` field, which can be searched
 *   (`exists: _ignored`), so nothing is hidden. The ECS fields are built and checked by the normalizer; a value
 *   there that Elasticsearch refuses is a bug, and the event goes to the dead-letter index with the reason.
 * - `index.mapping.total_fields.limit` is the number of mapped fields plus room for a site's additions; with
 *   `dynamic: false` the mapping never grows by itself.
 */
import { ZEEK_EVENTS_ALIAS, ZEEK_EVENTS_PATTERN, INDEX_PREFIX } from '../names';
import { ECS_FIELDS, type FieldMapping } from './ecs-fields';
import { ZEEK_LOG_FIELDS } from './zeek-fields';
import { fieldLimit, nest, type Properties } from './properties';

/** Raise when the mapping changes: `vigil setup` compares it to decide whether to update the template. */
export const ZEEK_TEMPLATE_VERSION = 4;
export const ZEEK_EVENTS_TEMPLATE = `${INDEX_PREFIX}-zeek`;

export interface ZeekTemplateOptions {
  /** Replicas of each index; 0 suits a single node. */
  replicas?: number;
  /** Primary shards of each (daily or monthly) index. */
  shards?: number;
  /** How soon new events become searchable. */
  refreshInterval?: string;
}

const KEYWORD: FieldMapping = { type: 'keyword', ignore_above: 1024 };
const ORIGINAL_TYPES: Readonly<Record<string, FieldMapping>> = {
  time: { type: 'date', format: 'epoch_second||strict_date_optional_time', ignore_malformed: true },
  interval: { type: 'double', ignore_malformed: true },
  double: { type: 'double', ignore_malformed: true },
  count: { type: 'long', ignore_malformed: true },
  counter: { type: 'long', ignore_malformed: true },
  int: { type: 'long', ignore_malformed: true },
  port: { type: 'integer', ignore_malformed: true },
  addr: { type: 'ip', ignore_malformed: true },
  bool: { type: 'boolean' },
};

/**
 * Fields any log can carry: the JSON writer's `_path` and `_write_ts`, the cluster node of Zeek's log extension,
 * and `_extra`, the columns of a TSV line beyond its declared ones.
 */
const COMMON_ORIGINAL_FIELDS: Readonly<Record<string, string>> = {
  _path: 'string',
  _write_ts: 'time',
  _node_name: 'string',
  _extra: 'string',
};

/** `set[addr]` -> `addr`: containers are mapped as their elements. */
function elementType(zeekType: string): string {
  const open = zeekType.indexOf('[');
  return open > 0 && zeekType.endsWith(']') ? zeekType.slice(open + 1, -1) : zeekType;
}

/** The Elasticsearch mapping of a field of a Zeek type. */
export function originalFieldMapping(zeekType: string): FieldMapping {
  return ORIGINAL_TYPES[elementType(zeekType)] ?? KEYWORD;
}

function originalsOf(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  const properties: Record<string, FieldMapping> = {};
  for (const [name, type] of Object.entries({ ...COMMON_ORIGINAL_FIELDS, ...fields })) {
    properties[name] = { ...originalFieldMapping(type) };
  }
  return { subobjects: false, properties };
}

export function zeekEventsMappings() {
  const properties = nest(ECS_FIELDS);
  const zeek = properties.zeek.properties as Properties;
  for (const [path, fields] of Object.entries(ZEEK_LOG_FIELDS)) zeek[path] = originalsOf(fields);
  return { dynamic: false as const, properties };
}

export function zeekEventsTemplate(options: ZeekTemplateOptions = {}) {
  const mappings = zeekEventsMappings();
  return {
    name: ZEEK_EVENTS_TEMPLATE,
    body: {
      index_patterns: [ZEEK_EVENTS_PATTERN],
      priority: 200,
      _meta: { managed_by: 'vigil', version: ZEEK_TEMPLATE_VERSION },
      template: {
        settings: {
          number_of_shards: options.shards ?? 1,
          number_of_replicas: options.replicas ?? 0,
          refresh_interval: options.refreshInterval ?? '5s',
          'index.mapping.total_fields.limit': fieldLimit(mappings.properties),
        },
        aliases: { [ZEEK_EVENTS_ALIAS]: {} },
        mappings,
      },
    },
  };
}
