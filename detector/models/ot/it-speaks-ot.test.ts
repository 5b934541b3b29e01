import { NewConnectionModel, type DeviceState } from '../new-connection';
import { OtModel } from '.';
import { INDUSTRIAL_SERVICES } from './flows';
import { isIndustrialService } from '../../features/ot';
import { industrialBefore, itConfidence, itDeviceScore, IT_MIN_DAYS, IT_MIN_WINDOWS } from './it-speaks-ot';
import { FakeEs, ICSNPP_MODBUS, moveRecord, normalize, readZeekLog, runWindows, testConfig, type ZeekRecord } from './ot.fixture';

const MIXED = 'labeled/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled';
/** The capture's own computer (its README: a computer in the university's network). */
const HOST = '147.32.81.167';
const LOCAL = ['147.32.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

const day = readZeekLog(MIXED);
const dayEnd = Math.max(...day.map((r) => r.fields.ts as number));
/** The icsnpp capture's real Modbus/TCP connection from 192.168.1.6 to a server on port 502. */
const modbusConn = readZeekLog(`${ICSNPP_MODBUS}/conn.log`).find((r) => r.fields['id.orig_h'] === '192.168.1.6')!;

function modbusFrom(master: string, ts: number): ZeekRecord {
  return moveRecord(modbusConn, { master, device: String(modbusConn.fields['id.resp_h']), serverPort: 502, ts });
}

async function run(config: ReturnType<typeof testConfig>, extra: ZeekRecord[]) {
  const es = new FakeEs(normalize(day, config));
  const learned = await runWindows({ es, models: [new NewConnectionModel(), new OtModel()], config });
  expect(learned.filter((a) => a.model === 'ot')).toEqual([]);
  const from = Math.min(...extra.map((r) => r.fields.ts as number)) * 1000;
  es.add(normalize(extra, config));
  const found = await runWindows({ es, models: [new NewConnectionModel(), new OtModel()], config, from: Math.floor(from / 900_000) * 900_000 });
  return { es, found: found.filter((a) => a.model === 'ot') };
}

describe('IT device speaking an industrial protocol', () => {
  it('names only industrial services in its conn filter', () => {
    for (const s of INDUSTRIAL_SERVICES) expect(isIndustrialService(s)).toBe(true);
    // Every service the icsnpp captures' conn logs carry for their industrial connections is covered.
    expect(INDUSTRIAL_SERVICES).toContain(String(modbusConn.fields.service));
  });

  it('reports the capture computer, with a day of IT history, when it first speaks Modbus; not a device without history', async () => {
    const config = testConfig({ networks: { local: LOCAL } });
    const { es, found } = await run(config, [modbusFrom(HOST, dayEnd + 3600), modbusFrom('192.168.1.6', dayEnd + 3600)]);
    expect(found.map((a) => [a.kind, a.entity.id, a.peer?.id])).toEqual([['ot_it_device', HOST, '3.15.227.20']]);
    const a = found[0];
    expect(a.explanation).toMatch(/^147\.32\.81\.167 spoke modbus for the first time, to 3\.15\.227\.20:502\/tcp; over \d+ hours and \d+ active windows it had used only IT ports and protocols \(/);
    expect(a.techniques!.map((t) => t.id)).toEqual(['T0886']);
    const history = es.stored.get(`new_connection:device:${HOST}`) as { observations: number; state: DeviceState };
    expect(history.observations).toBeGreaterThanOrEqual(IT_MIN_WINDOWS);
    expect(a.score).toBeGreaterThanOrEqual(60);
    expect(a.figures.history_days).toBeGreaterThanOrEqual(IT_MIN_DAYS);
    // Both are now OT talkers.
    expect(es.baselines('talker').map((b) => b.key).sort()).toEqual([HOST, '192.168.1.6']);
  });

  it('reports it once: the next Modbus connection is from a known OT talker', async () => {
    const config = testConfig({ networks: { local: LOCAL } });
    const { found } = await run(config, [modbusFrom(HOST, dayEnd + 3600), modbusFrom(HOST, dayEnd + 3 * 3600)]);
    expect(found.map((a) => a.kind)).toEqual(['ot_it_device']);
  });

  it('knows an IT device by its zone, higher when it reaches into an OT zone', async () => {
    const zones = [
      { name: 'campus', subnets: ['147.32.0.0/16'], level: 4 },
      { name: 'plant', subnets: ['3.15.227.20/32'], level: 1 },
    ];
    const config = testConfig({ networks: { local: LOCAL }, zones, conduits: [{ from: 'campus', to: 'plant' }] });
    const { found } = await run(config, [modbusFrom(HOST, dayEnd + 3600)]);
    expect(found.map((a) => a.kind)).toEqual(['ot_it_device']);
    expect(found[0].explanation).toContain('it is in zone campus, Purdue level 4, an IT zone, and reached into an OT zone');
    expect(found[0].score).toBe(itDeviceScore({ zone: true, toOtZone: true }));
    expect(itDeviceScore({ zone: true, toOtZone: true })).toBeGreaterThan(itDeviceScore({ zone: true, toOtZone: false }));
  });

  it('does not report a device in an OT zone', async () => {
    const zones = [{ name: 'cell', subnets: ['147.32.81.0/24'], level: 2 }];
    const config = testConfig({ networks: { local: LOCAL }, zones });
    const { found } = await run(config, [modbusFrom(HOST, dayEnd + 3600)]);
    expect(found).toEqual([]);
  });

  it('tells industrial history from this window in the new-connection baseline', () => {
    const flows = [{ port: 502, transport: 'tcp', services: ['modbus'] }];
    const it: DeviceState = { windows: 30, fresh: 1, t: 0, ports: ['443/tcp', '53/udp'], protocols: ['ssl', 'dns'] };
    expect(industrialBefore(it, false, flows)).toBe(false);
    // 502/tcp already in the history before this window: the device spoke Modbus before.
    expect(industrialBefore({ ...it, ports: [...it.ports, '502/tcp'] }, false, flows)).toBe(true);
    // The same entry added by this very window is not history.
    expect(industrialBefore({ ...it, ports: [...it.ports, '502/tcp'], protocols: [...it.protocols, 'modbus'] }, true, flows)).toBe(false);
    // A shared port (DNP3's 20000 is Usermin's too) is no evidence.
    expect(industrialBefore({ ...it, ports: [...it.ports, '20000/tcp'] }, false, flows)).toBe(false);
    expect(itConfidence(28, 28 * 96)).toBe(1);
    expect(itConfidence(1, 100)).toBeLessThan(itConfidence(10, 100));
  });
});
