import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANOMALIES_ALIAS, BASELINES_INDEX } from '../../common/es/names';
import type { PassSummary } from '../../detector/pass';
import { connectionTimes } from '../../detector/models/ot/ot.fixture';
import { useTestEsClient } from '../harness/es';
import { readLog, ZEEK_CORPUS } from '../support/corpus';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

/**
 * The OT model through the real `vigil ingest zeek` and `vigil detect`, on real Modbus, DNP3, S7comm and BACnet
 * records. Rewritten copies of corpus files go to a temporary directory: only their timestamps, and for the
 * write replay their addresses and Modbus unit, change; every other byte of each line is the sensor's.
 */

const ZED_MODBUS = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'modbus.log.gz');
const ICSNPP = join(ZEEK_CORPUS, 'icsnpp');
const MODBUS = join(ICSNPP, 'icsnpp-modbus', 'testing', 'baseline', 'analyzer.basic');
const DNP3 = join(ICSNPP, 'icsnpp-dnp3', 'testing', 'baseline', 'analyzer.basic');
const S7 = join(ICSNPP, 'icsnpp-s7comm', 'tests', 'baseline', 'analyzer.snap7');
const BACNET = join(ICSNPP, 'icsnpp-bacnet', 'testing', 'baseline', 'analyzer.services');
const ENIP = join(ICSNPP, 'icsnpp-enip', 'tests', 'baseline', 'analyzer.basic');

/**
 * The zed capture (WRCCDC 2018) holds Modbus/TCP polling from 10.128.0.242 to 10.47.8.54, unit 34. Zeek logged its
 * requests as `unknown-100`: the analyzer parsed bytes that are not genuine Modbus (the competition's traffic on
 * port 502 was text), so the function codes mean nothing. They are still what the sensor logged for that pair,
 * which is what a baseline learns: the pair's history is "other" requests, never a write.
 */
const MASTER = '10.128.0.242';
const DEVICE = '10.47.8.54';
const UNIT = '34';
const DAY = 86_400;

interface Tsv {
  /** Header lines before the records (the btest comment, `#separator` ... `#types`), kept as they are. */
  head: string[];
  fields: string[];
  rows: string[][];
  /** `#close` and anything after the records. */
  tail: string[];
}

function readTsv(file: string): Tsv {
  const lines = readLog(file).toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: Tsv = { head: [], fields: [], rows: [], tail: [] };
  for (const line of lines) {
    if (line.startsWith('#')) {
      if (out.rows.length === 0) out.head.push(line);
      else out.tail.push(line);
      if (line.startsWith('#fields\t')) out.fields = line.split('\t').slice(1);
    } else out.rows.push(line.split('\t'));
  }
  // The header-less icsnpp logs (cip, enip) begin with ts and uid like every Zeek log; the ingest worker restores
  // the rest of their header from the file name.
  if (out.fields.length === 0) out.fields = ['ts', 'uid'];
  return out;
}

function column(log: Tsv, name: string): number {
  const i = log.fields.indexOf(name);
  if (i < 0) throw new Error(`no field ${name}`);
  return i;
}

/** The log with each record's fields replaced as `change` says (by field name); records it returns null for are left out. */
function writeTsv(file: string, log: Tsv, change: (row: string[], i: number) => Record<string, string> | null): number {
  const rows: string[] = [];
  log.rows.forEach((row, i) => {
    const values = change(row, i);
    if (values === null) return;
    const copy = [...row];
    for (const [name, value] of Object.entries(values)) copy[column(log, name)] = value;
    rows.push(copy.join('\t'));
  });
  writeFileSync(file, [...log.head, ...rows, ...log.tail, ''].join('\n'));
  return rows.length;
}

const ts = (t: number) => t.toFixed(6);

describe('vigil detect: the OT model on real industrial traffic', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let work: string;
  const zed = readTsv(ZED_MODBUS);
  const zedEnd = Math.max(...zed.rows.map((r) => Number(r[column(zed, 'ts')])));

  beforeAll(async () => {
    await resetVigilData(es());
    env = await detectorEnvironment(es(), { networks: { local: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } });
    await resetDetectorData(es());
    work = mkdtempSync(join(tmpdir(), 'vigil-ot-'));
  });

  async function detect(): Promise<PassSummary> {
    const run = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
    return jsonSummary<PassSummary>(run);
  }

  async function otAnomalies(): Promise<Array<Record<string, any>>> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 1000, query: { term: { 'vigil.anomaly.model': 'ot' } }, sort: [{ '@timestamp': 'asc' }], ignore_unavailable: true });
    const found = r.hits.hits.map((h) => h._source as Record<string, any>);
    if (process.env.DEBUG_DETECT) for (const a of found) console.log(a.vigil.anomaly.kind, a.vigil.anomaly.score, a.vigil.anomaly.status, a.message, JSON.stringify(a.threat));
    return found;
  }

  it('learns the zed Modbus polling without an alert, then reports real write records from the same master', async () => {
    // One capture is 21 minutes (two windows): seven earlier days of the same records, shifted back by whole days,
    // make the history a judgement needs.
    const history = join(work, 'history');
    mkdirSync(history);
    const files = [ZED_MODBUS];
    for (let k = 7; k >= 1; k--) {
      const file = join(history, `modbus.day-${k}.log`);
      writeTsv(file, zed, (row) => ({ ts: ts(Number(row[column(zed, 'ts')]) - k * DAY) }));
      files.push(file);
    }
    const learned = await env.ingest(files);
    expect(learned.documentsIndexed).toBe(8 * zed.rows.length);
    await refresh(es());
    const first = await detect();
    // Two windows a day, eight days.
    expect(first.windows).toBe(16);
    expect(await otAnomalies()).toEqual([]);
    // The model did learn the pair: the requests of the capture (REQ records), eight times.
    await es().indices.refresh({ index: BASELINES_INDEX });
    const pair = await es().get<{ observations: number; state: { requests: number; classes: Record<string, number> } }>({
      index: BASELINES_INDEX,
      id: `ot:pair:${MASTER}|${DEVICE}|modbus|${UNIT}`,
    });
    const requests = zed.rows.filter((r) => r[column(zed, 'id.orig_h')] === MASTER && r[column(zed, 'id.resp_h')] === DEVICE && r[column(zed, 'pdu_type')] === 'REQ').length;
    expect(pair._source!.state.requests).toBe(8 * requests);
    expect(Object.keys(pair._source!.state.classes)).toEqual(['other']);

    // Real write transactions of the icsnpp Modbus capture, moved to the zed master and device a day later.
    const writes = join(work, 'writes');
    mkdirSync(writes);
    const at = zedEnd + DAY;
    const detailed = readTsv(join(MODBUS, 'modbus_detailed.log'));
    const written = writeTsv(join(writes, 'modbus_detailed.log'), detailed, (row, i) => {
      const func = row[column(detailed, 'func')];
      if (func !== 'WRITE_SINGLE_REGISTER' && func !== 'WRITE_MULTIPLE_REGISTERS') return null;
      return { ts: ts(at + i), 'id.orig_h': MASTER, 'id.resp_h': DEVICE, unit: UNIT };
    });
    expect(written).toBe(2);
    // Mask write requests and their responses; the loopback capture tells the sides apart by port only.
    const mask = readTsv(join(MODBUS, 'modbus_mask_write_register.log'));
    const side = (row: string[], port: string) => (row[column(mask, port)] === '502' ? DEVICE : MASTER);
    writeTsv(join(writes, 'modbus_mask_write_register.log'), mask, (row, i) => ({
      ts: ts(at + 60 + i),
      'id.orig_h': MASTER,
      'id.resp_h': DEVICE,
      source_h: side(row, 'source_p'),
      destination_h: side(row, 'destination_p'),
      unit: UNIT,
    }));
    await env.ingest([join(writes, 'modbus_detailed.log'), join(writes, 'modbus_mask_write_register.log')]);
    await refresh(es());
    const second = await detect();
    expect(second.byModel.ot.anomalies).toBe(1);
    const [a] = await otAnomalies();
    expect(a.vigil.anomaly).toMatchObject({ kind: 'ot_first_write', domain: 'ot', status: 'alert', entity: { id: MASTER }, peer: { id: DEVICE } });
    expect(a.vigil.anomaly.score).toBeGreaterThanOrEqual(70);
    expect(a.message).toContain(`${MASTER} wrote Modbus functions 6 (write single register), 16 (write multiple registers) and 22 (mask write register) to ${DEVICE} unit ${UNIT} for the first time`);
    expect(a.message).toContain(`over 8 days, ${8 * requests} requests`);
    expect(a.threat).toEqual({ framework: 'MITRE ATT&CK for ICS', technique: { id: ['T0836'], name: ['Modify Parameter'] } });
    // The link to the raw events finds the four write requests.
    const events = await es().count({ index: a.vigil.anomaly.events.index, query: a.vigil.anomaly.events.query });
    expect(events.count).toBeGreaterThanOrEqual(4);
  });

  it('reports DNP3 control after polling, S7comm and BACnet program and device control, and a CIP write after reads, in whole icsnpp logs', async () => {
    const icsnpp = join(work, 'icsnpp');
    mkdirSync(icsnpp);
    const files: string[] = [];
    // Masked timestamps: DNP3 connections in their order, a minute per Zeek dnp3 record; the 97 reads come first.
    const dnp3 = ['dnp3.log', 'dnp3_control.log', 'dnp3_objects.log'].map((f) => ({ f, log: readTsv(join(DNP3, f)) }));
    const times = connectionTimes(
      dnp3.map(({ log }) => log.rows.map((r) => r[column(log, 'uid')])),
      zedEnd + 3 * DAY,
      60,
    );
    dnp3.forEach(({ f, log }, i) => {
      files.push(join(icsnpp, f));
      writeTsv(files[files.length - 1], log, (_row, j) => ({ ts: ts(times[i][j]) }));
    });
    // CIP: one connection, ten seconds per CIP record; the one Set Attribute List comes after 429 records of reads.
    const cip = ['cip.log', 'enip.log'].map((f) => ({ f, log: readTsv(join(ENIP, f)) }));
    const cipTimes = connectionTimes(
      cip.map(({ log }) => log.rows.map((r) => r[column(log, 'uid')])),
      zedEnd + 6 * DAY,
      10,
    );
    cip.forEach(({ f, log }, i) => {
      files.push(join(icsnpp, f));
      writeTsv(files[files.length - 1], log, (_row, j) => ({ ts: ts(cipTimes[i][j]) }));
    });
    // S7comm and BACnet: each capture in one window, on later days, in its own order.
    const s7 = ['s7comm.log', 's7comm_upload_download.log', 's7comm_read_szl.log'];
    const bacnet = ['bacnet.log', 'bacnet_device_control.log'];
    for (const [dir, names, base, step] of [
      [S7, s7, zedEnd + 4 * DAY, 0.1],
      [BACNET, bacnet, zedEnd + 5 * DAY, 0.01],
    ] as const) {
      let n = 0;
      for (const f of names) {
        files.push(join(icsnpp, f));
        writeTsv(files[files.length - 1], readTsv(join(dir, f)), () => ({ ts: ts(base + n++ * step) }));
      }
    }
    await env.ingest(files);
    await refresh(es());
    const pass = await detect();
    expect(pass.byModel.ot.anomalies).toBe(4);
    const found = (await otAnomalies()).filter((a) => a.vigil.anomaly.entity.id !== MASTER);
    expect(found.map((a) => [a.vigil.anomaly.kind, a.vigil.anomaly.entity.id, a.vigil.anomaly.peer.id])).toEqual([
      ['ot_first_control', '10.10.20.5', '10.10.20.8'],
      ['ot_critical_operation', '134.217.61.131', '134.217.61.211'],
      ['ot_critical_operation', '192.168.0.50', '192.168.0.24'],
      ['ot_first_write', '192.168.10.105', '192.168.10.120'],
    ]);
    const [control, s7comm, bacnetControl, cipWrite] = found;
    expect(cipWrite.message).toMatch(/^192\.168\.10\.105 wrote CIP Set Attribute List to 192\.168\.10\.120 for the first time; it has only read from it/);
    expect(control.message).toMatch(/^10\.10\.20\.5 sent DNP3 control requests SELECT and OPERATE to 10\.10\.20\.8 for the first time; it has only read from it/);
    expect(control.threat.technique.id).toEqual(['T0855']);
    expect(s7comm.message).toContain('Start Upload');
    expect(s7comm.message).toContain('PLC Stop');
    expect([...s7comm.threat.technique.id].sort()).toEqual(['T0845', 'T0858']);
    expect([...bacnetControl.threat.technique.id].sort()).toEqual(['T0814', 'T0816', 'T0843', 'T0845']);
    for (const a of found) {
      expect(a.threat.framework).toBe('MITRE ATT&CK for ICS');
      expect(a.vigil.anomaly.status).toBe('alert');
    }
  });
});
