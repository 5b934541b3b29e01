import { ZEEK_EVENTS_ALIAS, ZEEK_EVENTS_PATTERN } from '../names';
import { ECS_FIELDS } from './ecs-fields';
import { originalFieldMapping, zeekEventsTemplate } from './zeek';
import { ZEEK_LOG_FIELDS } from './zeek-fields';

type Node = { type?: string; properties?: Record<string, Node>; subobjects?: boolean; [k: string]: unknown };

const template = zeekEventsTemplate();
const root = template.body.template.mappings.properties as Record<string, Node>;

function at(dotted: string): Node | undefined {
  let level: Record<string, Node> | undefined = root;
  let node: Node | undefined;
  for (const part of dotted.split('.')) {
    node = level?.[part];
    level = node?.properties;
  }
  return node;
}

function original(logPath: string, field: string): Node | undefined {
  return (root.zeek.properties?.[logPath]?.properties as Record<string, Node> | undefined)?.[field];
}

describe('zeekEventsTemplate', () => {
  it('applies to the Zeek event indices, behind their alias', () => {
    expect(template.body.index_patterns).toEqual([ZEEK_EVENTS_PATTERN]);
    expect(template.body.template.aliases).toEqual({ [ZEEK_EVENTS_ALIAS]: {} });
    expect(template.body._meta.version).toBeGreaterThanOrEqual(1);
  });

  it('takes shards, replicas and refresh interval from the caller, with single-node defaults', () => {
    expect(template.body.template.settings).toMatchObject({ number_of_shards: 1, number_of_replicas: 0, refresh_interval: '5s' });
    const custom = zeekEventsTemplate({ replicas: 2, shards: 3, refreshInterval: '30s' }).body.template.settings;
    expect(custom).toMatchObject({ number_of_shards: 3, number_of_replicas: 2, refresh_interval: '30s' });
  });

  it('maps nothing dynamically', () => {
    expect(template.body.template.mappings.dynamic).toBe(false);
  });

  it('maps every ECS field the normalizer writes, with its ECS type', () => {
    for (const [field, mapping] of Object.entries(ECS_FIELDS)) expect(at(field)).toEqual(mapping);
    expect(at('source.ip')?.type).toBe('ip');
    expect(at('destination.port')?.type).toBe('long');
    expect(at('network.community_id')?.type).toBe('keyword');
    expect(at('event.duration')?.type).toBe('long');
  });

  it('maps the originals of every known log under zeek.<path>, flat and typed as Zeek types them', () => {
    for (const [logPath, fields] of Object.entries(ZEEK_LOG_FIELDS)) {
      expect(root.zeek.properties?.[logPath]?.subobjects).toBe(false);
      for (const [field, type] of Object.entries(fields)) expect(original(logPath, field)).toEqual(originalFieldMapping(type));
    }
    expect(original('conn', 'id.orig_h')).toMatchObject({ type: 'ip' });
    expect(original('conn', 'orig_bytes')).toMatchObject({ type: 'long' });
    expect(original('conn', 'ts')).toMatchObject({ type: 'date', format: 'epoch_second||strict_date_optional_time' });
    expect(original('conn', 'duration')).toMatchObject({ type: 'double' });
    expect(original('files', 'tx_hosts')).toMatchObject({ type: 'ip' });
    expect(original('dns', 'TTLs')).toMatchObject({ type: 'double' });
    expect(original('dns', 'AA')).toEqual({ type: 'boolean' });
    expect(original('http', 'uri')).toEqual({ type: 'keyword', ignore_above: 1024 });
    expect(original('bacnet', 'source_p')).toMatchObject({ type: 'integer' });
    expect(original('modbus', '_extra')).toMatchObject({ type: 'keyword' });
    expect(original('modbus', '_write_ts')).toMatchObject({ type: 'date' });
  });

  it('lets a value the originals cannot read cost that value, not the event', () => {
    for (const type of ['time', 'count', 'int', 'port', 'double', 'addr']) {
      expect(originalFieldMapping(type)).toMatchObject({ ignore_malformed: true });
    }
    expect(at('source.ip')).not.toHaveProperty('ignore_malformed');
  });

  it('is written the way Elasticsearch returns it: no object type, no dotted name outside a flat object', () => {
    const odd: string[] = [];
    const visit = (properties: Record<string, Node>, prefix: string, flat: boolean): void => {
      for (const [name, node] of Object.entries(properties)) {
        const here = `${prefix}${name}`;
        if (node.type === 'object') odd.push(`${here} has type object`);
        if (!flat && name.includes('.')) odd.push(`${here} has a dot`);
        if (node.properties !== undefined) visit(node.properties, `${here}.`, node.subobjects === false);
        else if (node.type === undefined) odd.push(`${here} has neither type nor properties`);
      }
    };
    visit(root, '', false);
    expect(odd).toEqual([]);
  });

  it('allows more fields than it maps', () => {
    let count = 0;
    const visit = (properties: Record<string, Node>): void => {
      for (const node of Object.values(properties)) {
        count++;
        if (node.properties !== undefined) visit(node.properties);
      }
    };
    visit(root);
    expect(template.body.template.settings['index.mapping.total_fields.limit']).toBeGreaterThan(count);
  });
});
