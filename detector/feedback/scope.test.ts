import { conduitAllows, MaintenanceCalendar, ZoneMap } from './scope';

const zones = new ZoneMap([
  { name: 'control', subnets: ['10.1.5.0/24'], level: 1 },
  { name: 'enterprise', subnets: ['10.0.0.0/8'], level: 4 },
]);

describe('zones, conduits and maintenance windows', () => {
  it('puts an address in the first zone that contains it', () => {
    expect(zones.zoneOf('10.1.5.20')).toBe('control');
    expect(zones.zoneOf('10.2.0.1')).toBe('enterprise');
    expect(zones.zoneOf('192.168.1.1')).toBeUndefined();
    expect(zones.level('control')).toBe(1);
  });

  it('allows a flow only through a conduit that names its zones, port and protocol', () => {
    const conduits = [{ from: 'enterprise', to: 'control', ports: [502], protocols: ['modbus'] }];
    expect(conduitAllows(conduits, 'enterprise', 'control', 502, 'modbus')).toBe(true);
    expect(conduitAllows(conduits, 'enterprise', 'control', 22, 'ssh')).toBe(false);
    expect(conduitAllows(conduits, 'control', 'enterprise', 502, 'modbus')).toBe(false);
    expect(conduitAllows(conduits, 'control', 'control', 22, 'ssh')).toBe(true);
    expect(conduitAllows([{ from: '*', to: 'control' }], 'enterprise', 'control', 22, undefined)).toBe(true);
  });

  it('covers a device by network or zone, a model, and a time range; learning is its setting', () => {
    const calendar = new MaintenanceCalendar(
      [
        { id: 'plc-firmware', reference: 'CHG-4711', start: '2026-11-24T20:00:00Z', end: '2026-11-24T22:00:00Z', devices: [], zones: ['control'], models: ['ot'], learn: false },
        { id: 'backup-move', reference: 'CHG-4712', start: '2026-11-24T20:00:00Z', end: '2026-11-25T02:00:00Z', devices: ['10.2.0.0/16'], zones: [], models: [], learn: true },
      ],
      zones,
    );
    const t = Date.parse('2026-11-24T21:00:00Z');
    expect(calendar.covering('ot', ['10.1.5.20'], t)?.id).toBe('plc-firmware');
    expect(calendar.covering('volume', ['10.1.5.20'], t)).toBeUndefined();
    expect(calendar.covering('ot', ['10.1.5.20'], Date.parse('2026-11-24T22:00:00Z'))).toBeUndefined();
    expect(calendar.covering('volume', ['10.3.0.1', '10.2.9.9'], t)?.id).toBe('backup-move');
    expect(calendar.mayLearn('ot', ['10.1.5.20'], t)).toBe(false);
    expect(calendar.mayLearn('volume', ['10.2.9.9'], t)).toBe(true);
  });
});
