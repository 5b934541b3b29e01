import { ZEEK_LOG_FIELDS } from '../../../common/es/templates/zeek-fields';
import { ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { CUT_FORMS } from './known-schemas.data';
import { catalogue, knownSchema } from './known-schemas';

/** The types Zeek's ASCII writer names in `#types`, alone or as the element of a set or vector. */
const ZEEK_TYPE = /^((set|vector)\[)?(time|interval|double|count|int|port|bool|addr|subnet|enum|string|pattern)\]?$/;

interface HeaderBlock {
  file: string;
  path: string;
  fields: string[];
  types: string[];
}

/** Every `#path`/`#fields`/`#types` block of the Zeek corpus. */
function headerBlocks(): HeaderBlock[] {
  const blocks: HeaderBlock[] = [];
  for (const file of filesBelow(ZEEK_CORPUS)) {
    let path: string | undefined;
    let fields: string[] | undefined;
    for (const raw of readLog(file).toString('latin1').split('\n')) {
      if (raw.charCodeAt(0) !== 0x23) continue;
      const [key, ...values] = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).split('\t');
      if (key === '#path') path = values[0];
      else if (key === '#fields') fields = values;
      else if (key === '#types' && path !== undefined && fields !== undefined) blocks.push({ file, path, fields, types: values });
    }
  }
  return blocks;
}

describe('the catalogue of known Zeek log schemas', () => {
  const entries = catalogue();

  it('holds the ICS parsers, Modbus and NetControl, each version of a log with its own column count', () => {
    const paths = new Set(entries.map((e) => e.path));
    for (const path of ['enip', 'cip', 'cip_io', 'cip_identity', 'modbus', 'netcontrol', 'profinet_io_cm']) {
      expect(paths).toContain(path);
    }
    expect([...paths].filter((p) => p.startsWith('opcua_binary')).length).toBeGreaterThanOrEqual(30);
    expect([...paths].filter((p) => p.startsWith('hart_ip_')).length).toBe(5);
    expect([...paths].filter((p) => p.startsWith('synchrophasor')).length).toBe(7);
    const keys = entries.map((e) => `${e.path}/${e.schema.fields.length}`);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  it('names every column once, with a type Zeek writes in #types, and says where it was read', () => {
    for (const { path, source, schema } of entries) {
      expect(schema.fields.length).toBe(schema.types.length);
      expect([path, schema.fields.filter((f, i) => schema.fields.indexOf(f) !== i)]).toEqual([path, []]);
      expect([path, schema.types.filter((t) => !ZEEK_TYPE.test(t))]).toEqual([path, []]);
      expect(source).toMatch(/^[\w-]+\/[\w-]+ /);
    }
  });

  it('cuts only columns its record versions have', () => {
    for (const cut of CUT_FORMS) {
      const names = cut.from.columns.split('\n').map((line) => line.slice(0, line.indexOf(' ')));
      expect([cut.path, cut.without.filter((name) => !names.includes(name))]).toEqual([cut.path, []]);
    }
  });

  it('types every field as the index template does, where the template has it', () => {
    const disagreements = entries.flatMap(({ path, schema }) =>
      schema.fields.flatMap((field, i) => {
        const declared = ZEEK_LOG_FIELDS[path]?.[field];
        return declared === undefined || declared === schema.types[i] ? [] : [`${path}.${field}: ${schema.types[i]} vs ${declared}`];
      }),
    );
    expect(disagreements).toEqual([]);
    // Not vacuous: the template knows the ENIP, Modbus, NetControl and synchrophasor logs.
    expect(entries.filter(({ path }) => ZEEK_LOG_FIELDS[path] !== undefined).length).toBeGreaterThan(15);
  });

  it('equals the header block of every corpus log of a catalogued path and column count', () => {
    const blocks = headerBlocks().filter((b) => knownSchema(b.path, b.fields.length) !== undefined);
    // The corpus declares modbus, netcontrol and all synchrophasor logs with headers.
    expect(new Set(blocks.map((b) => b.path)).size).toBeGreaterThanOrEqual(8);
    for (const block of blocks) {
      const schema = knownSchema(block.path, block.fields.length)!;
      expect([block.file, schema.fields]).toEqual([block.file, block.fields]);
    }
    // Older synchrophasor baselines still declare `proto` a string; the catalogue must match one declaration.
    const declared = new Map<string, Set<string>>();
    for (const block of blocks) {
      block.types.forEach((type, i) => {
        const key = `${block.path}/${block.fields.length}/${i}`;
        declared.set(key, (declared.get(key) ?? new Set()).add(type));
      });
    }
    for (const block of blocks) {
      const schema = knownSchema(block.path, block.fields.length)!;
      const mismatched = schema.types.filter((type, i) => !declared.get(`${block.path}/${block.fields.length}/${i}`)!.has(type));
      expect([block.file, mismatched]).toEqual([block.file, []]);
    }
  });
});

describe('knownSchema', () => {
  it('picks the version of a log by its column count', () => {
    expect(knownSchema('cip', 15)?.fields).not.toContain('is_orig');
    expect(knownSchema('cip', 23)?.fields.slice(6, 12)).toEqual([
      'is_orig',
      'source_h',
      'source_p',
      'destination_h',
      'destination_p',
      'cip_sequence_count',
    ]);
    expect(knownSchema('cip', 24)?.fields[11]).toBe('packet_correlation_id');
    expect(knownSchema('modbus', 8)?.fields).toEqual(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'func', 'exception']);
    expect(knownSchema('modbus', 11)?.types[6]).toBe('count');
  });

  it('knows no schema for a column count or a path no version has', () => {
    expect(knownSchema('cip', 22)).toBeUndefined();
    expect(knownSchema('conn', 6)).toBeUndefined();
    expect(knownSchema('unknown', 23)).toBeUndefined();
  });

  it('gives the cut forms of the test suites their columns in the record order', () => {
    const profinet = knownSchema('profinet_io_cm', 45)!;
    expect(profinet.fields.slice(0, 5)).toEqual(['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'source_h']);
    expect(knownSchema('profinet_io_cm', 47)!.fields.slice(2)).toEqual(profinet.fields);
    expect(knownSchema('hart_ip_general', 63)!.fields).toContain('command_number_link_id');
    expect(knownSchema('hart_ip_general', 60)!.fields).not.toContain('command_number_link_id');
  });
});
