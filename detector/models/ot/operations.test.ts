import { OT_OPERATION_FIELDS, classifyOperation } from '../../features/ot';
import { ZEEK_LOG_FIELDS } from '../../../common/es/templates/zeek-fields';
import type { Feedback } from '../../feedback/evaluations';
import { NO_FEEDBACK } from '../../feedback/evaluations';
import { OtModel } from '.';
import {
  classifyRequest,
  criticalScore,
  describeOperation,
  firstUseScore,
  historyConfidence,
  isCritical,
  newMasterScore,
  requestFilter,
  type OperationState,
} from './operations';
import {
  FakeEs,
  ICSNPP,
  ICSNPP_MODBUS,
  matches,
  modbusWriteRecords,
  moveRecord,
  MODBUS_PORT,
  normalize,
  readZeekLog,
  rewrite,
  runWindows,
  spreadByConnection,
  testConfig,
  zedHistory,
  ZED_DEVICE,
  ZED_MASTER,
  ZED_MODBUS,
  ZED_UNIT,
  type Emitted,
} from './ot.fixture';

const config = testConfig();
const DAY = 86_400;

/** The zed capture's last record time (s), from the log itself. */
const zedRecords = readZeekLog(ZED_MODBUS);
const zedEnd = Math.max(...zedRecords.map((r) => r.fields.ts as number));

function writesAt(ts: number, to: { master?: string; device?: string } = {}) {
  return modbusWriteRecords().map((r, i) =>
    moveRecord(r, { master: to.master ?? ZED_MASTER, device: to.device ?? ZED_DEVICE, unit: ZED_UNIT, serverPort: MODBUS_PORT, ts: ts + i }),
  );
}

async function learnZed(copies: number): Promise<FakeEs> {
  const es = new FakeEs(normalize(zedHistory(copies), config));
  const learned = await runWindows({ es, models: [new OtModel()], config });
  expect(learned).toEqual([]);
  return es;
}

async function replay(es: FakeEs, records: ReturnType<typeof writesAt>, feedback: Feedback = NO_FEEDBACK): Promise<Emitted[]> {
  const from = Math.min(...records.map((r) => r.fields.ts as number)) * 1000;
  es.add(normalize(records, config));
  return runWindows({ es, models: [new OtModel()], config, from: Math.floor(from / 900_000) * 900_000, feedback });
}

describe('operations: reading requests', () => {
  it('aggregates only fields the index template maps, with the types it maps them with', () => {
    for (const [path, spec] of Object.entries(OT_OPERATION_FIELDS)) {
      const fields = ZEEK_LOG_FIELDS[path];
      if (fields === undefined) continue;
      // The operation field is a keyword or a number in every mapped path; unit and detail too.
      for (const name of [spec.field, spec.unitField, spec.detailField]) {
        if (name === undefined || fields[name] === undefined) continue;
        expect(['string', 'count', 'enum']).toContain(fields[name]);
      }
    }
    // The paths the Modbus replay goes through are all mapped.
    for (const path of ['modbus', 'modbus_detailed', 'modbus_mask_write_register']) {
      expect(ZEEK_LOG_FIELDS[path][OT_OPERATION_FIELDS[path].field]).toBe('string');
      expect(ZEEK_LOG_FIELDS[path].unit).toBe('count');
    }
  });

  it('keeps the requests of real ICS logs and drops their replies', () => {
    const cases: Array<[string, string]> = [
      [`${ICSNPP_MODBUS}/modbus_mask_write_register.log`, 'modbus_mask_write_register'],
      [`${ICSNPP}/icsnpp-s7comm/tests/baseline/analyzer.snap7/s7comm.log`, 's7comm'],
      [`${ICSNPP}/icsnpp-bacnet/testing/baseline/analyzer.services/bacnet_device_control.log`, 'bacnet_device_control'],
      [`${ICSNPP}/icsnpp-dnp3/testing/baseline/analyzer.basic/dnp3_control.log`, 'dnp3_control'],
      [ZED_MODBUS, 'modbus'],
    ];
    for (const [file, path] of cases) {
      const records = readZeekLog(file);
      const docs = normalize(records, config).map((d) => ({ ...d, _t: 0 }));
      const filter = requestFilter(path)!;
      expect(filter).toBeDefined();
      const kept = records.filter((_, i) => matches(docs[i], filter));
      // Each of these logs marks direction; what it marks as sent by the originator, or as a request, is kept.
      const isRequest = (f: Record<string, unknown>) =>
        f.request_response !== undefined ? f.request_response === 'REQUEST' : f.pdu_type !== undefined ? f.pdu_type === 'REQ' : f.is_orig === true;
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(records.length);
      expect(kept.every((r) => isRequest(r.fields))).toBe(true);
      expect(records.filter((r) => isRequest(r.fields)).length).toBe(kept.length);
    }
  });

  it('keeps records without the request field: older analyzers log one record per transaction', () => {
    // The icsnpp Modbus log predates `pdu_type`: every record passes.
    const records = readZeekLog(`${ICSNPP_MODBUS}/modbus.log`);
    expect(records.every((r) => r.fields.pdu_type === undefined)).toBe(true);
    const docs = normalize(records, config).map((d) => ({ ...d, _t: 0 }));
    expect(docs.filter((d) => matches(d, requestFilter('modbus')!)).length).toBe(records.length);
  });

  it('names Modbus functions by number and name, and classifies details', () => {
    expect(describeOperation('modbus', { name: classifyOperation('modbus', 'WRITE_SINGLE_REGISTER').name })).toBe('function 6 (write single register)');
    // The zed log's function, which no vocabulary names, keeps its number.
    const zedFunc = String(zedRecords[0].fields.func);
    expect(zedFunc).toBe('unknown-100');
    expect(describeOperation('modbus', { name: classifyOperation('modbus', zedFunc).name })).toBe('function 100');
    expect(describeOperation('dnp3', { name: 'OPERATE' })).toBe('OPERATE');
    // S7 PLC control with its PI service: the service decides (start/stop changes the operating mode).
    const plc = classifyRequest('s7comm', 'PLC Control', 'PLC Start / Stop')!;
    expect(plc).toMatchObject({ class: 'control', technique: 'T0858' });
    expect(plc.name).toBe('PLC Control (PLC Start / Stop)');
    // A reply is no request.
    expect(classifyRequest('bacnet_property', 'read-property-ack')).toBeUndefined();
    expect(isCritical(classifyRequest('s7comm_upload_download', 'Start Upload')!)).toBe(true);
    expect(isCritical(classifyRequest('dnp3', 'OPERATE')!)).toBe(false);
    expect(isCritical(classifyRequest('bacnet_device_control', 'device_communication_control', 'disable')!)).toBe(true);
  });
});

describe('operations: scores', () => {
  it('grow with history and with the seriousness of the class, within 0-100', () => {
    expect(historyConfidence(0, 0)).toBe(0);
    expect(historyConfidence(41, 120_000)).toBe(1);
    expect(historyConfidence(7, 432)).toBeLessThan(historyConfidence(41, 432));
    for (const c of [0, 0.3, 1]) {
      expect(firstUseScore('program', c)).toBeGreaterThan(firstUseScore('control', c));
      expect(firstUseScore('control', c)).toBeGreaterThan(firstUseScore('write', c));
      expect(firstUseScore('write', c)).toBeGreaterThanOrEqual(60);
      expect(firstUseScore('program', c)).toBeLessThanOrEqual(100);
      expect(criticalScore('program', c)).toBeGreaterThan(criticalScore('control', c));
      expect(newMasterScore(c, 'write')).toBeGreaterThan(newMasterScore(c, 'read'));
    }
    expect(firstUseScore('write', 1)).toBeGreaterThan(firstUseScore('write', 0));
    expect(newMasterScore(1, 'program')).toBeLessThanOrEqual(100);
  });
});

describe('operations: the zed Modbus polling, then real write records from the same master', () => {
  it('learns eight days of polling without an anomaly, then reports the first write with the function names', async () => {
    const es = await learnZed(8);
    const pair = es.baselines<OperationState>('pair').find((b) => b.key === `${ZED_MASTER}|${ZED_DEVICE}|modbus|${ZED_UNIT}`)!;
    // Requests of the pair in the capture (the REQ records only), eight times over.
    const requests = zedRecords.filter((r) => r.fields['id.orig_h'] === ZED_MASTER && r.fields['id.resp_h'] === ZED_DEVICE && r.fields.pdu_type === 'REQ').length;
    expect(pair.state.requests).toBe(8 * requests);
    expect(Object.keys(pair.state.classes)).toEqual(['other']);

    const found = await replay(es, writesAt(zedEnd + DAY));
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_first_write', ZED_MASTER, ZED_DEVICE]]);
    const a = found[0];
    expect(a.domain).toBe('ot');
    expect(a.score).toBeGreaterThanOrEqual(70);
    expect(a.explanation).toContain(`${ZED_MASTER} wrote Modbus functions 6 (write single register), 16 (write multiple registers) and 22 (mask write register) to ${ZED_DEVICE} unit ${ZED_UNIT} for the first time`);
    expect(a.explanation).toContain(`other requests to it (function 100) over 8 days, ${8 * requests} requests`);
    expect(a.techniques).toEqual([{ id: 'T0836', name: 'Modify Parameter', framework: 'MITRE ATT&CK for ICS' }]);
    // The mask write log's responses come from the device: they are no requests, and the device is no master.
    const ops = (a.figures.details as { operations: Array<{ name: string; count: number }> }).operations;
    expect(ops.find((o) => o.name === 'MASK_WRITE_REGISTER')!.count).toBe(2);
    expect(a.figures.history_windows).toBe(16);
    expect(a.events.count).toBe(4);
  });

  it('reports a write once: the same writes a day later are learned', async () => {
    const es = await learnZed(8);
    expect(await replay(es, writesAt(zedEnd + DAY))).toHaveLength(1);
    expect(await replay(es, writesAt(zedEnd + 2 * DAY))).toEqual([]);
  });

  it('keeps reporting writes a triage decision marked malicious, since they are not learned', async () => {
    const es = await learnZed(8);
    const tainted: Feedback = { ...NO_FEEDBACK, isTainted: (_m, entity, peer) => entity === ZED_MASTER && (peer === undefined || peer === ZED_DEVICE) };
    expect(await replay(es, writesAt(zedEnd + DAY), tainted)).toHaveLength(1);
    expect((await replay(es, writesAt(zedEnd + 2 * DAY), tainted)).map((a) => a.kind)).toEqual(['ot_first_write']);
  });

  it('does not learn writes made in a maintenance window that does not learn', async () => {
    const es = await learnZed(8);
    const day = new Date((zedEnd + DAY) * 1000).toISOString().slice(0, 10);
    const maintained = testConfig({
      detector: { maintenance: [{ id: 'plc-work', reference: 'WO-1', start: `${day}T00:00:00Z`, end: `${day}T23:59:59Z`, devices: [`${ZED_DEVICE}/32`] }] },
    });
    const first = Math.floor(((zedEnd + DAY) * 1000) / 900_000) * 900_000;
    es.add(normalize(writesAt(zedEnd + DAY), config));
    expect((await runWindows({ es, models: [new OtModel()], config: maintained, from: first })).map((a) => a.kind)).toEqual(['ot_first_write']);
    // Outside the window the same writes are still new.
    expect((await replay(es, writesAt(zedEnd + 2 * DAY))).map((a) => a.kind)).toEqual(['ot_first_write']);
  });

  it('does not judge a pair with too little history: one capture is two windows', async () => {
    const es = await learnZed(1);
    expect(await replay(es, writesAt(zedEnd + DAY))).toEqual([]);
  });

  it('scores a longer history higher', async () => {
    const short = (await replay(await learnZed(8), writesAt(zedEnd + DAY)))[0];
    const long = (await replay(await learnZed(30), writesAt(zedEnd + DAY)))[0];
    expect(long.kind).toBe('ot_first_write');
    expect(long.score).toBeGreaterThan(short.score);
    expect(long.explanation).toContain('over 30 days');
  });

  it('reports a new master that writes to a device with history, and not the master it already has', async () => {
    const es = await learnZed(8);
    // The icsnpp capture's real reads from 192.168.1.6, sent to the zed device instead of their own.
    const reader = readZeekLog(`${ICSNPP_MODBUS}/modbus_detailed.log`).filter((r) => r.fields['id.orig_h'] === '192.168.1.6');
    expect(reader.length).toBeGreaterThan(0);
    const t = zedEnd + DAY;
    const moved = [
      ...reader.map((r, i) => moveRecord(r, { master: '192.168.1.6', device: ZED_DEVICE, unit: ZED_UNIT, serverPort: MODBUS_PORT, ts: t + i })),
      ...writesAt(t + 60, { master: '192.168.1.6' }),
    ];
    const found = await replay(es, moved);
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_new_master', '192.168.1.6', ZED_DEVICE]]);
    expect(found[0].explanation).toMatch(new RegExp(`^${ZED_DEVICE.replace(/\./g, '\\.')} has a new Modbus master: 192\\.168\\.1\\.6 sent it \\d+ requests including functions 6`));
    expect(found[0].explanation).toContain(`the device had 2 masters, ${ZED_MASTER}, 10.128.0.248`);
    expect(found[0].techniques!.map((x) => x.id)).toEqual(['T0848', 'T0836']);
    expect(found[0].score).toBeGreaterThan(newMasterScore(0, 'read'));
  });
});

describe('operations: whole icsnpp logs', () => {
  const DNP3 = `${ICSNPP}/icsnpp-dnp3/testing/baseline/analyzer.basic`;
  const base = Date.UTC(2024, 0, 15, 8) / 1000;

  it('DNP3: a master that polled an outstation for 97 minutes, then selects and operates: first control', async () => {
    // Masked timestamps: the connections keep their order, a minute per Zeek dnp3 record (the reads come first).
    const logs = spreadByConnection([readZeekLog(`${DNP3}/dnp3.log`), readZeekLog(`${DNP3}/dnp3_control.log`), readZeekLog(`${DNP3}/dnp3_objects.log`)], base, 60);
    const es = new FakeEs(normalize(logs.flat(), config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_first_control', '10.10.20.5', '10.10.20.8']]);
    const a = found[0];
    expect(a.explanation).toMatch(/^10\.10\.20\.5 sent DNP3 control requests SELECT and OPERATE to 10\.10\.20\.8 for the first time; it has only read from it over \d hours?, \d+ requests\.$/);
    expect(a.techniques!.map((t) => t.id)).toEqual(['T0855']);
    expect(a.score).toBeGreaterThanOrEqual(72);
  });

  it('CIP: a master that read attributes for an hour, then sets one: first write', async () => {
    const dir = `${ICSNPP}/icsnpp-enip/tests/baseline/analyzer.basic`;
    // One connection, ten seconds per CIP record: the set comes after 429 records of reads.
    const logs = spreadByConnection([readZeekLog(`${dir}/cip.log`), readZeekLog(`${dir}/enip.log`)], base, 10);
    const es = new FakeEs(normalize(logs.flat(), config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_first_write', '192.168.10.105', '192.168.10.120']]);
    expect(found[0].explanation).toMatch(/^192\.168\.10\.105 wrote CIP Set Attribute List to 192\.168\.10\.120 for the first time; it has only read from it over \d hours?, \d+ requests\.$/);
    expect(found[0].techniques!.map((t) => t.id)).toEqual(['T0836']);
  });

  it('S7comm: program upload, PLC stop and PLC control on first contact: critical operations', async () => {
    const dir = `${ICSNPP}/icsnpp-s7comm/tests/baseline/analyzer.snap7`;
    const records = ['s7comm.log', 's7comm_upload_download.log', 's7comm_read_szl.log'].flatMap((f) => readZeekLog(`${dir}/${f}`));
    const es = new FakeEs(normalize(records.map((r, i) => rewrite(r, { ts: base + i / 10 })), config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_critical_operation', '134.217.61.131', '134.217.61.211']]);
    const ops = (found[0].figures.details as { operations: Array<{ name: string }> }).operations.map((o) => o.name);
    expect(ops).toEqual(expect.arrayContaining(['Start Upload', 'Upload', 'End Upload', 'PLC Stop', 'PLC Control (PLC Start / Stop)', 'PLC Control (PLC Copy Ram to Rom)']));
    // Reads, writes of variables, clock setting and memory compression are not critical.
    expect(ops).not.toContain('Write Variable');
    expect(ops).not.toContain('PLC Control (Compress PLC memory)');
    expect(found[0].explanation).toBe(
      '134.217.61.131 sent S7comm requests for program upload and change operating mode to 134.217.61.211: ' +
        'Start Upload, Upload, End Upload, PLC Control (PLC Copy Ram to Rom, PLC Start / Stop) and PLC Stop; the first traffic seen between them.',
    );
    expect(found[0].techniques!.map((t) => t.id).sort()).toEqual(['T0845', 'T0858']);
  });

  it('BACnet: device communication control, reinitialize and file transfers on first contact: critical operations', async () => {
    const dir = `${ICSNPP}/icsnpp-bacnet/testing/baseline/analyzer.services`;
    const records = ['bacnet.log', 'bacnet_device_control.log'].flatMap((f) => readZeekLog(`${dir}/${f}`));
    const es = new FakeEs(normalize(records.map((r, i) => rewrite(r, { ts: base + i / 100 })), config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_critical_operation', '192.168.0.50', '192.168.0.24']]);
    expect(found[0].techniques!.map((t) => t.id).sort()).toEqual(['T0814', 'T0816', 'T0843', 'T0845']);
  });
});
