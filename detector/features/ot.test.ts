import { join, relative } from 'node:path';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { logTypeFromFileName } from '../../ingest/parse/zeek/name-hint';
import type { ZeekRecord, ZeekValue } from '../../ingest/parse/zeek/record';
import { dataLines, filesBelow, LABELED_CORPUS, readLog, ZEEK_CORPUS } from '../../test/support/corpus';
import {
  classifyOperation,
  industrialPort,
  INDUSTRIAL_PORTS,
  isIndustrialPath,
  isIndustrialService,
  OT_OPERATION_FIELDS,
  type OperationClassification,
  type OperationField,
} from './ot';

interface Log {
  /** Relative to the Zeek corpus. */
  file: string;
  path: string;
  records: ZeekRecord[];
  /** Column names of the file: its `#fields` (declared or restored) and any JSON keys. */
  columns: Set<string>;
  /** Lines that hold an event, counted without the parser. */
  lines: number;
}

function load(file: string): Log {
  const records = readZeekFile(file);
  const columns = new Set<string>();
  for (const r of records) for (const name of [...Object.keys(r.types ?? {}), ...Object.keys(r.fields)]) columns.add(name);
  const path = records[0]?.path ?? logTypeFromFileName(file);
  return { file: relative(ZEEK_CORPUS, file), path, records, columns, lines: dataLines(readLog(file)) };
}

const ICSNPP = join(ZEEK_CORPUS, 'icsnpp');
const BTEST = join(ZEEK_CORPUS, 'zeek-btest-baseline');
const ZED = join(ZEEK_CORPUS, 'zed-sample-data');

/** Zeek's own logs that the ICSNPP baselines also hold. */
const NOT_ICS = new Set(['conn', 'files']);
const icsnppLogs = filesBelow(ICSNPP)
  .filter((f) => f.endsWith('.log') && !NOT_ICS.has(logTypeFromFileName(f)))
  .map(load);
/** Zeek's own Modbus and DNP3 test baselines. */
const btestLogs = filesBelow(BTEST)
  .filter((f) => /\/scripts\.base\.protocols\.(modbus|dnp3)\./.test(f) && f.endsWith('.log'))
  .map(load)
  .filter((log) => OT_OPERATION_FIELDS[log.path] !== undefined);
const zedModbus = load(join(ZED, 'zeek-default', 'modbus.log.gz'));
const zedModbusJson = load(join(ZED, 'zeek-json', 'modbus.json.gz'));

const operationLogs = [...icsnppLogs, ...btestLogs, zedModbus].filter((log) => OT_OPERATION_FIELDS[log.path] !== undefined);

function spec(path: string): OperationField {
  const found = OT_OPERATION_FIELDS[path];
  if (found === undefined) throw new Error(`no operation field for ${path}`);
  return found;
}

function text(value: ZeekValue | undefined): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function classify(log: Log, record: ZeekRecord, field = spec(log.path).field): OperationClassification | undefined {
  const value = record.fields[field];
  return typeof value === 'string' || typeof value === 'number' ? classifyOperation(log.path, value, field) : undefined;
}

function isRequest(path: string, record: ZeekRecord): boolean | undefined {
  const when = spec(path).requestWhen;
  const value = when === undefined ? undefined : record.fields[when.field];
  if (when === undefined || value === undefined) return undefined;
  const same = (v: string | boolean) =>
    typeof v === 'string' && typeof value === 'string' ? v.toLowerCase() === value.toLowerCase() : v === value;
  return when.values.some(same);
}

function logsOf(path: string, folder?: string): Log[] {
  const found = operationLogs.filter((log) => log.path === path && (folder === undefined || log.file.includes(`/${folder}/`)));
  if (found.length === 0) throw new Error(`no corpus log of ${path}${folder ? ` in ${folder}` : ''}`);
  return found;
}

function recordsOf(path: string, folder?: string): { log: Log; record: ZeekRecord }[] {
  return logsOf(path, folder).flatMap((log) => log.records.map((record) => ({ log, record })));
}

/** The classification of the first record of `path` whose `field` holds `value`. */
function classificationOf(path: string, field: string, value: string, folder?: string): OperationClassification | undefined {
  const found = recordsOf(path, folder).find(({ record }) => record.fields[field] === value);
  if (found === undefined) throw new Error(`no ${path} record with ${field} ${value}`);
  return classify(found.log, found.record);
}

describe('the corpus logs this module is checked against', () => {
  it('are read whole, headerless ICSNPP baselines included', () => {
    expect(icsnppLogs.length).toBeGreaterThan(150);
    // Some synchrophasor baselines are empty: the test that wrote them turned that log off.
    expect(icsnppLogs.filter((log) => log.records.length !== log.lines).map((log) => log.file)).toEqual([]);
    // cip.log, enip.log, hart_ip_*.log and opcua_binary*.log are published without a header block.
    expect(logsOf('cip').every((log) => log.columns.has('cip_service'))).toBe(true);
    expect(btestLogs.length).toBeGreaterThan(15);
  });
});

/** ICS logs that carry no operation: a transport, an identity, I/O data, session records, or operation details. */
const CARRIES_NO_OPERATION = new RegExp(
  '^(' +
    [
      'cotp',
      'cip_io',
      'cip_identity',
      's7comm_known_devices',
      'bsap_ip_header',
      'bsap_serial_header',
      'ecat_coe_info',
      'ecat_dev_info',
      'hart_ip_session_record',
      'hart_ip_common_commands',
      'hart_ip_universal_commands',
      'opcua_binary_.+',
      'synchrophasor',
      'synchrophasor_(cfg|cfg_detail|data|data_detail|hdr)',
    ].join('|') +
    ')$',
);

describe('OT_OPERATION_FIELDS', () => {
  it('has corpus logs for all its paths but one', () => {
    const withLogs = new Set(operationLogs.map((log) => log.path));
    // Named in icsnpp-modbus scripts/main.zeek; the baselines hold no device-identification traffic.
    expect(Object.keys(OT_OPERATION_FIELDS).filter((path) => !withLogs.has(path))).toEqual(['modbus_read_device_identification']);
  });

  it('has every ICS log path of the corpus that carries an operation', () => {
    const without = new Set(icsnppLogs.map((log) => log.path).filter((path) => OT_OPERATION_FIELDS[path] === undefined));
    expect(without.size).toBeGreaterThan(20);
    expect([...without].filter((path) => !CARRIES_NO_OPERATION.test(path))).toEqual([]);
  });

  it('names fields the logs of each path carry', () => {
    for (const [path, entry] of Object.entries(OT_OPERATION_FIELDS)) {
      const logs = operationLogs.filter((log) => log.path === path);
      if (logs.length === 0) continue;
      // The operation field is in every version the corpus holds; the others may be younger than some versions.
      const missing = logs.filter((log) => !log.columns.has(entry.field)).map((log) => log.file);
      expect({ path, missing }).toEqual({ path, missing: [] });
      for (const optional of [entry.unitField, entry.detailField, entry.requestWhen?.field]) {
        if (optional === undefined) continue;
        // icsnpp-modbus scripts/main.zeek logs it; the baseline predates it (one record per transaction).
        if (path === 'modbus_detailed' && optional === 'request_response') continue;
        const present = logs.some((log) => log.columns.has(optional));
        expect({ path, optional, present }).toEqual({ path, optional, present: true });
      }
    }
  });

  it('keeps, as requests, records that name no reply and, on TCP, come from the connection originator', () => {
    // Over UDP Zeek's originator is whoever spoke first (BACnet devices announce themselves), and PROFINET devices
    // send requests of their own (ApplicationReady), so for those only the first check holds.
    const udp = new Set(['bacnet', 'profinet_io_cm']);
    let requests = 0;
    for (const log of operationLogs) {
      if (spec(log.path).requestWhen === undefined) continue;
      for (const record of log.records) {
        if (isRequest(log.path, record) !== true) continue;
        requests++;
        expect({ file: log.file, reply: classify(log, record)?.reply }).toEqual({ file: log.file, reply: undefined });
        if (udp.has(log.path)) continue;
        const origin = record.fields['id.orig_h'];
        const fromOriginator = record.fields.is_orig !== false && (record.fields.source_h ?? origin) === origin;
        expect({ file: log.file, fromOriginator }).toEqual({ file: log.file, fromOriginator: true });
      }
    }
    expect(requests).toBeGreaterThan(10_000);
  });
});

/**
 * Operation values of the corpus that stay 'other', and why. Everything else must get a class.
 * `field` defaults to the path's operation field.
 */
const JUSTIFIED_OTHER: { path: string; field?: string; value: string | RegExp; reason: string }[] = [
  { path: 'bacnet', value: 'reject', reason: 'a Reject-PDU: refuses a request and names no service' },
  { path: 'bacnet', value: 'abort', reason: 'an Abort-PDU: ends a transaction and names no service' },
  {
    path: 'bacnet',
    value: /^(confirmed|unconfirmed)_private_transfer$/,
    reason: 'vendor-defined: the vendor id and service number say what it does',
  },
  { path: 'bacnet', value: 'unconfirmed_text_message', reason: 'a text message shown to operators' },
  { path: 'bsap_ip_rdb', value: 'Unknown RDB Func-0x4b84', reason: 'icsnpp-bsap found no RDB function for the code' },
  { path: 'cip', value: 'Multiple Service Packet', reason: 'a container: each service in it is logged as a record of its own' },
  { path: 'enip', value: 'Send Unit Data', reason: 'an envelope: the CIP service it carries is in cip.log' },
  { path: 'dnp3', value: 'CONFIRM', reason: 'acknowledges a response fragment' },
  { path: 'dnp3_control', value: 'RESPONSE', reason: "the outstation's reply; the request it answers is classified" },
  { path: 'dnp3_objects', value: 'RESPONSE', reason: "the outstation's reply; the request it answers is classified" },
  { path: 'hart_ip_general', value: /^(Session Initiate|Session Close|Keep Alive)$/, reason: 'HART-IP session management' },
  {
    path: 'hart_ip_general',
    value: /^(Token Passing PDU|Direct PDU)$/,
    reason: 'envelopes: the HART command is logged in its own field',
  },
  {
    path: 'hart_ip_general',
    field: 'token_passing_pdu_command_number',
    value: 'unknown-0x1f',
    reason: 'HART command 31 announces a 16-bit command number that follows in the data',
  },
  { path: 'modbus', value: /^unknown-\d+$/, reason: 'Zeek knows no Modbus function with this code' },
  { path: 'opcua_binary', value: /^(Open|Close)SecureChannelRequest$/, reason: 'secure channel management' },
  { path: 'opcua_binary', value: /^(Create|Activate|Close)SessionRequest$/, reason: 'session management' },
  { path: 's7comm', value: 'Setup Communication', reason: 'negotiates the PDU size of the connection' },
];

function justification(path: string, field: string, value: string) {
  const matches = (expected: string | RegExp) => (typeof expected === 'string' ? expected === value : expected.test(value));
  return JUSTIFIED_OTHER.find((j) => j.path === path && (j.field ?? spec(path).field) === field && matches(j.value));
}

interface Distinct {
  path: string;
  field: string;
  value: string;
  result: OperationClassification;
}

describe('classifyOperation on every operation value of the corpus', () => {
  const distinct = new Map<string, Distinct>();
  for (const log of operationLogs) {
    const entry = spec(log.path);
    for (const field of [entry.field, entry.detailField]) {
      if (field === undefined) continue;
      for (const record of log.records) {
        const value = text(record.fields[field]);
        if (value === undefined) continue;
        const result = classifyOperation(log.path, value, field);
        distinct.set(JSON.stringify([log.path, field, value]), { path: log.path, field, value, result });
      }
    }
  }
  const others = [...distinct.values()].filter((d) => d.result.class === 'other');

  it('gives every value a class, but for the justified ones', () => {
    expect(distinct.size).toBeGreaterThan(250);
    const unjustified = others.filter((d) => justification(d.path, d.field, d.value) === undefined);
    expect(unjustified.map((d) => `${d.path}.${d.field}=${d.value}`)).toEqual([]);
    // No justification is stale.
    const used = new Set(others.map((d) => justification(d.path, d.field, d.value)));
    expect(JUSTIFIED_OTHER.filter((j) => !used.has(j))).toEqual([]);
  });

  it('keeps the value as the name of what it does not know', () => {
    // The analyzers' own word for a code missing from their tables.
    const unknown = others.filter((d) => /^unknown/i.test(d.value));
    expect(unknown.length).toBeGreaterThan(10);
    expect(unknown.filter((d) => d.result.name !== d.value)).toEqual([]);
    expect(classifyOperation('no_such_log', 'READ_COILS')).toEqual({ class: 'other', name: 'READ_COILS' });
  });

  it('does not care about case', () => {
    for (const d of distinct.values()) {
      if (d.result.class === 'other') continue;
      expect(classifyOperation(d.path, d.value.toUpperCase(), d.field)).toEqual(d.result);
      expect(classifyOperation(d.path, d.value.toLowerCase(), d.field)).toEqual(d.result);
    }
  });

  it('gives one name to the spellings of one BACnet service across the BACnet logs', () => {
    const names = (path: string) => {
      const services = [...distinct.values()].filter((d) => d.path === path && d.field === spec(path).field);
      return new Set(services.filter((d) => d.result.class !== 'other').map((d) => d.result.name));
    };
    const inBacnetLog = names('bacnet');
    for (const path of ['bacnet_property', 'bacnet_discovery', 'bacnet_device_control']) {
      const unmatched = [...names(path)].filter((n) => !inBacnetLog.has(n));
      expect({ path, unmatched }).toEqual({ path, unmatched: [] });
    }
  });

  it('calls other containers and envelopes whose content is logged apart', () => {
    // Every Multiple Service Packet request shares its sequence count with the requests it carries.
    const isPacket = (r: ZeekRecord) => r.fields.cip_service === 'Multiple Service Packet' && r.fields.direction === 'request';
    const packets = recordsOf('cip').filter(({ record }) => isPacket(record));
    expect(packets.length).toBeGreaterThan(10);
    for (const { log, record } of packets) {
      const carried = log.records.filter(
        (r) =>
          r !== record &&
          r.fields.uid === record.fields.uid &&
          r.fields.cip_sequence_count === record.fields.cip_sequence_count &&
          r.fields.direction === 'request',
      );
      expect(carried.map((r) => classifyOperation('cip', String(r.fields.cip_service)).class)).toContain('read');
    }
    // Token Passing PDUs name their HART command in the detail field.
    const pdus = recordsOf('hart_ip_general').filter(({ record }) => record.fields.header_message_id === 'Token Passing PDU');
    const named = pdus.filter(({ record }) => record.fields.token_passing_pdu_command_number !== undefined);
    expect(named.length).toBeGreaterThan(pdus.length / 2);
  });
});

describe('known operations of the corpus', () => {
  it('classifies Modbus writes as writes, exceptions as their function', () => {
    const basic = recordsOf('modbus', 'analyzer.basic');
    const writes = basic.filter(({ record }) => /WRITE/.test(String(record.fields.func)));
    expect(writes.length).toBeGreaterThan(5);
    for (const { log, record } of writes) expect(classify(log, record)?.class).toBe('write');
    expect(classificationOf('modbus', 'func', 'READ_HOLDING_REGISTERS_EXCEPTION', 'analyzer.basic')).toEqual({
      class: 'read',
      name: 'READ_HOLDING_REGISTERS',
      technique: 'T0801',
      reply: true,
    });
    for (const path of ['modbus_mask_write_register', 'modbus_read_write_multiple_registers']) {
      for (const { log, record } of recordsOf(path)) {
        expect(classify(log, record)).toMatchObject({ class: 'write', technique: 'T0836' });
      }
    }
    expect(classificationOf('modbus', 'func', 'WRITE_SINGLE_COIL', 'analyzer.basic')?.technique).toBe('T0855');
    const diagnostics = recordsOf('modbus_detailed').find(({ record }) => record.fields.request_subfunction_code !== undefined);
    expect(diagnostics && classify(diagnostics.log, diagnostics.record, 'request_subfunction_code')?.class).toBe('diagnostic');
  });

  it('classifies DNP3 select/operate as control, restarts and application stops with their techniques', () => {
    const control = recordsOf('dnp3_control');
    const requests = control.filter(({ record }) => record.fields.is_orig === true);
    expect(requests.length).toBeGreaterThan(200);
    for (const { log, record } of requests) expect(classify(log, record)).toMatchObject({ class: 'control', technique: 'T0855' });
    for (const { log, record } of control) {
      if (record.fields.is_orig === false) expect(classify(log, record)?.reply).toBe(true);
    }
    const technique = (fc: string) => classificationOf('dnp3', 'fc_request', fc, 'scripts.base.protocols.dnp3.events')?.technique;
    const restartsAndStops = ['COLD_RESTART', 'WARM_RESTART', 'STOP_APPL', 'DISABLE_UNSOLICITED'].map(technique);
    expect(restartsAndStops).toEqual(['T0816', 'T0816', 'T0881', 'T0804']);
  });

  it('classifies S7 uploads as program transfers and the PLC stop and start as mode changes', () => {
    const transfers = recordsOf('s7comm_upload_download');
    expect(transfers.length).toBeGreaterThan(20);
    for (const { log, record } of transfers) {
      expect(classify(log, record)).toMatchObject({ class: 'program', technique: 'T0845' });
    }
    const stop = classificationOf('s7comm', 'function_name', 'PLC Stop', 'analyzer.snap7');
    expect(stop).toMatchObject({ class: 'control', technique: 'T0858' });
    const subfunction = (name: string) => {
      const found = recordsOf('s7comm', 'analyzer.snap7').find(({ record }) => record.fields.subfunction_name === name);
      return found && classify(found.log, found.record, 'subfunction_name');
    };
    expect(subfunction('PLC Start / Stop')).toMatchObject({ class: 'control', technique: 'T0858' });
    expect(subfunction('Set Clock')?.class).toBe('write');
    expect(classificationOf('s7comm', 'subfunction_name', 'Read SZL', 'analyzer.snap7')).toMatchObject({
      class: 'diagnostic',
      name: 'CPU Functions',
    });
  });

  it('classifies CIP attribute writes, BACnet writes, file transfers and device control', () => {
    for (const { log, record } of recordsOf('cip', 'analyzer.set_attr_single_service')) {
      expect(classify(log, record)).toMatchObject({ class: 'write', technique: 'T0836' });
    }
    const bacnet = (service: string) => classificationOf('bacnet', 'pdu_service', service, 'analyzer.services');
    expect(bacnet('write_property')).toMatchObject({ class: 'write', name: 'writeProperty' });
    expect(bacnet('atomic_write_file')).toMatchObject({ class: 'program', technique: 'T0843' });
    expect(bacnet('reinitialize_device')).toMatchObject({ class: 'control', technique: 'T0816' });
    const states = recordsOf('bacnet_device_control').flatMap(({ log, record }) => {
      const state = text(record.fields.device_state);
      return state === undefined ? [] : [[state, classify(log, record, 'device_state')?.technique] as const];
    });
    const expected = [
      ['disable', 'T0814'],
      ['enable', undefined],
      ['coldstart', 'T0816'],
      ['warmstart', 'T0816'],
    ] as const;
    expect(new Map(states)).toEqual(new Map(expected));
    const signalWrites = recordsOf('bsap_serial_rdb').filter(({ record }) => String(record.fields.func_code).includes('WRITE'));
    expect(signalWrites.length).toBeGreaterThan(100);
    for (const { log, record } of signalWrites) expect(classify(log, record)?.class).toBe('write');
  });

  it('classifies OPC UA, PROFINET, HART-IP, C37.118 and ADS operations', () => {
    const opcua = (service: string) => classificationOf('opcua_binary', 'req_identifier_str', service)?.class;
    const services = ['ReadRequest', 'WriteRequest', 'CallRequest', 'BrowseRequest'];
    expect(services.map(opcua)).toEqual(['read', 'write', 'control', 'read']);
    for (const { log, record } of recordsOf('profinet_io_cm', 'tests.profinet_io_cm_write')) {
      expect(classify(log, record)?.class).toBe('write');
    }
    const hart = recordsOf('hart_ip_direct_pdu_command').map(({ log, record }) => ({
      command: String(record.fields.direct_pdu_command_command_number),
      cls: classify(log, record)?.class,
    }));
    const hartWrites = hart.filter(({ command }) => /^(Write|Set) /.test(command));
    const hartReads = hart.filter(({ command }) => /^Read /.test(command));
    expect([hartWrites.length, hartReads.length].every((n) => n > 10)).toBe(true);
    expect(hartWrites.filter(({ cls }) => cls !== 'write')).toEqual([]);
    expect(hartReads.filter(({ cls }) => cls !== 'read' && cls !== 'diagnostic')).toEqual([]);
    expect(classificationOf('synchrophasor_cmd', 'command', 'Data off')).toMatchObject({ class: 'control', technique: 'T0815' });
    for (const { log, record } of recordsOf('ecat_aoe_info')) expect(classify(log, record)?.class).toBe('write');
  });
});

describe('codes and names', () => {
  it('agree where a log carries both', () => {
    const pairs: [path: string, code: string, name: string][] = [
      ['s7comm', 'function_code', 'function_name'],
      ['s7comm_plus', 'function_code', 'function_name'],
      ['cip', 'cip_service_code', 'cip_service'],
      ['enip', 'enip_command_code', 'enip_command'],
      ['opcua_binary', 'req_identifier', 'req_identifier_str'],
      ['opcua_binary', 'res_identifier', 'res_identifier_str'],
    ];
    let compared = 0;
    for (const [path, codeField, nameField] of pairs) {
      for (const { record } of recordsOf(path)) {
        const code = record.fields[codeField];
        const name = record.fields[nameField];
        if (typeof name !== 'string' || (typeof code !== 'string' && typeof code !== 'number')) continue;
        compared++;
        const byName = classifyOperation(path, name);
        expect({ path, code, result: classifyOperation(path, code) }).toEqual({ path, code, result: byName });
      }
    }
    expect(compared).toBeGreaterThan(1500);
  });

  it('read Modbus and DNP3 function codes as numbers, in hex, as Zeek names unknown ones, and with the exception bit', () => {
    const names = (path: string) => {
      const results = operationLogs.filter((log) => log.path === path).flatMap((log) => log.records.map((r) => classify(log, r)));
      return new Set(results.filter((c) => c !== undefined && c.class !== 'other').map((c) => c?.name));
    };
    for (const [path, top] of [
      ['modbus', 0x7f],
      ['dnp3', 0x21],
    ] as const) {
      for (const name of names(path)) {
        const code = [...Array(top + 1).keys()].find((c) => classifyOperation(path, c).name === name);
        expect({ path, name, found: code !== undefined }).toEqual({ path, name, found: true });
        if (code === undefined || name === undefined) continue;
        const byName = classifyOperation(path, name);
        expect(classifyOperation(path, code)).toEqual(byName);
        expect(classifyOperation(path, `0x${code.toString(16)}`)).toEqual(byName);
        expect(classifyOperation(path, `unknown-${code}`)).toEqual(byName);
        if (path === 'modbus') expect(classifyOperation(path, code + 0x80)).toEqual({ ...byName, reply: true });
      }
    }
  });
});

describe('the zed-sample-data modbus log', () => {
  const funcs = (log: Log) => [...new Set(log.records.map((r) => String(r.fields.func)))].sort();

  it('holds two function codes, both unknown to Modbus', () => {
    expect(funcs(zedModbus)).toEqual(['unknown-100', 'unknown-34']);
    expect(funcs(zedModbusJson)).toEqual(funcs(zedModbus));
    for (const func of funcs(zedModbus)) expect(classifyOperation('modbus', func)).toEqual({ class: 'other', name: func });
  });

  it('is JSON text on port 502, not Modbus: which is why it stays other', () => {
    // Transaction id, unit and function code are the first bytes of the payload: `{\n` or `\n{`, then printable text.
    for (const log of [zedModbus, zedModbusJson]) {
      expect(log.records.length).toBe(log.lines);
      for (const r of log.records) {
        const tid = Number(r.fields.tid);
        const func = Number(/^unknown-(\d+)$/.exec(String(r.fields.func))?.[1]);
        expect([tid >> 8, tid & 0xff].sort()).toEqual([0x0a, 0x7b]);
        for (const byte of [Number(r.fields.unit), func]) expect(byte >= 0x20 && byte <= 0x7e).toBe(true);
      }
    }
  });
});

describe('industrial paths, services and ports', () => {
  it('recognizes every ICS log path of the corpus and no other log of a real sensor', () => {
    expect(icsnppLogs.map((log) => log.path).filter((path) => !isIndustrialPath(path))).toEqual([]);
    const zedPaths = [...new Set(filesBelow(join(ZED, 'zeek-default')).map(logTypeFromFileName))];
    expect(zedPaths.length).toBeGreaterThan(25);
    expect(zedPaths.filter(isIndustrialPath)).toEqual(['modbus']);
    const labeled = [...new Set(filesBelow(LABELED_CORPUS).map(logTypeFromFileName))];
    expect(labeled.filter(isIndustrialPath)).toEqual([]);
  });

  it('recognizes the industrial services of the conn logs, on industrial ports, and none of the others', () => {
    const conns = filesBelow(ICSNPP)
      .filter((f) => logTypeFromFileName(f) === 'conn')
      .flatMap((f) => readZeekFile(f));
    const withService = conns.filter((r) => typeof r.fields.service === 'string');
    const industrial = withService.filter((r) => isIndustrialService(String(r.fields.service)));
    expect([...new Set(industrial.map((r) => r.fields.service))].sort()).toEqual([
      'bacnet',
      'bsap',
      'cip',
      'cotp,s7comm',
      'cotp,s7comm-plus',
      'dnp3_tcp',
      'enip',
      'modbus',
      'opcua-binary',
    ]);
    const offPort = industrial.filter((r) => industrialPort(String(r.fields.proto), Number(r.fields['id.resp_p'])) === undefined);
    expect(offPort).toEqual([]);
    const others = withService.filter((r) => !industrial.includes(r));
    expect([...new Set(others.map((r) => r.fields.service))]).toEqual(['dns']);
    const zedServices = readZeekFile(join(ZED, 'zeek-default', 'known_services.log.gz')).flatMap((r) =>
      Array.isArray(r.fields.service) ? r.fields.service.map(String) : [],
    );
    expect(zedServices.length).toBeGreaterThan(400);
    expect(zedServices.filter((s) => isIndustrialService(s))).toEqual([]);
    expect(isIndustrialService(['ssl', 'spicy_profinet_io_cm'])).toBe(true);
  });

  it('lists each transport and port once', () => {
    const keys = INDUSTRIAL_PORTS.map((p) => `${p.transport}/${p.port}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(industrialPort('TCP', 502)?.protocol).toBe('modbus');
    // BACnet/IP runs over UDP only.
    expect(industrialPort('tcp', 47808)).toBeUndefined();
  });
});
