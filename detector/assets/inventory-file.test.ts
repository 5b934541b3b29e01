import { join } from 'node:path';
import { ZEEK_CORPUS } from '../../test/support/corpus';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { ecsMac } from '../../ingest/normalize/zeek/values';
import { ConfigError } from '../../common/errors';
import { compareInventory, parseInventory, type ObservedAsset } from './inventory-file';
import type { InventoryEntry } from './types';

/**
 * The inventory file is the user's own text, so the tests write it; every device fact in it (addresses, MACs,
 * names, vendors, products, firmware, serials) comes from a real log of the corpus.
 */
const BTEST = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
const [cip] = readZeekFile(join(ZEEK_CORPUS, 'icsnpp/icsnpp-enip/tests/baseline/analyzer.basic/cip_identity.log'));
const [s7] = readZeekFile(join(ZEEK_CORPUS, 'icsnpp/icsnpp-s7comm/tests/baseline/analyzer.s7ident/s7comm_known_devices.log'));
/** A client that asked for 128.2.6.189 from 128.2.6.97, was refused, then got it: `btest.is.cool`. */
const [dhcpAll] = readZeekFile(join(BTEST, 'scripts.base.protocols.dhcp.dhcp-all-msg-types/dhcp.log'));
const [dhcpAck] = readZeekFile(join(BTEST, 'scripts.base.protocols.dhcp.dhcp-ack-msg-types/dhcp.log'));
const [dhcpDiscover] = readZeekFile(join(BTEST, 'scripts.base.protocols.dhcp.dhcp-discover-msg-types/dhcp.log'));
/** An IPv6 link-local address as Zeek writes it. */
const [v6conn] = readZeekFile(join(BTEST, 'core.tcp.rxmit-history/conn-2.log')).filter((r) => String(r.fields['id.orig_h']).startsWith('fe80:'));

const f = (record: { fields: Record<string, unknown> }, name: string): string => {
  const value = record.fields[name];
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`no ${name} in the record`);
  return String(value);
};

const ENIP = {
  ip: f(cip, 'socket_address'),
  vendor: f(cip, 'vendor_name'),
  product: f(cip, 'product_name'),
  firmware: f(cip, 'revision'),
  serial: f(cip, 'serial_number'),
  /** CIP's product code, which the asset pass keeps as the model. */
  code: f(cip, 'product_code'),
};
const S7 = { ip: f(s7, 'id.resp_h'), model: f(s7, 'module_name'), serial: f(s7, 'module_serial'), name: f(s7, 'automation_system_name') };
const HOST = { ip: f(dhcpAll, 'assigned_addr'), earlier: f(dhcpAll, 'client_addr'), mac: f(dhcpAll, 'mac'), name: f(dhcpAll, 'host_name') };
const ACKED = { ip: f(dhcpAck, 'assigned_addr'), mac: f(dhcpAck, 'mac') };
const DISCOVER = { mac: f(dhcpDiscover, 'mac'), name: f(dhcpDiscover, 'host_name') };
const V6 = f(v6conn, 'id.orig_h');

/** A CSV field as a spreadsheet writes it: quoted when it holds the delimiter, a quote or a line break. */
function cell(value: string, sep: string): string {
  return value.includes(sep) || value.includes('"') || value.includes('\n') ? `"${value.replace(/"/g, '""')}"` : value;
}
function csv(rows: readonly (readonly string[])[], sep = ',', eol = '\r\n'): string {
  return rows.map((r) => r.map((v) => cell(v, sep)).join(sep)).join(eol) + eol;
}

/** Observed assets as the asset documents hold them, from the same logs. */
const observedEnip: ObservedAsset = {
  ip: ENIP.ip,
  macs: [],
  hostnames: [],
  ot: [{ vendor: ENIP.vendor, product: ENIP.product, model: ENIP.code, firmware: ENIP.firmware, serial: ENIP.serial }],
};
const observedS7: ObservedAsset = { ip: S7.ip, macs: [], hostnames: [], ot: [{ model: S7.model, serial: S7.serial }] };
const observedHost: ObservedAsset = { ip: HOST.ip, macs: [{ mac: ecsMac(HOST.mac)! }], hostnames: [{ name: HOST.name }], ot: [] };
const observedAcked: ObservedAsset = { ip: ACKED.ip, macs: [{ mac: ecsMac(ACKED.mac)! }], hostnames: [], ot: [] };
/** The client that asked the ENIP device for its identity: seen, never listed. */
const observedClient: ObservedAsset = { ip: f(cip, 'id.orig_h'), macs: [], hostnames: [], ot: [] };

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseInventory: CSV', () => {
  it('reads a spreadsheet export by its column names, with a BOM, CRLF line ends and a column it does not know', () => {
    const text =
      '\uFEFF' +
      csv([
        [
          ...['Asset Tag', 'IP Address', 'MAC Address', 'Host Name', 'Manufacturer', 'Description', 'Catalog Number'],
          ...['Firmware Version', 'Serial Number', 'Function', 'Area', 'Location'],
        ],
        [
          ...['A-17', ENIP.ip, '', '', ENIP.vendor, 'ControlLogix EtherNet/IP bridge', ENIP.product],
          ...[ENIP.firmware, ENIP.serial, 'adapter', 'Cell 1', 'rack 2, slot 1'],
        ],
        ['A-18', HOST.ip, HOST.mac, HOST.name, '', '', '', '', '', 'workstation', 'Office', ''],
      ]);
    expect(parseInventory(text, 'assets.csv')).toEqual<InventoryEntry[]>([
      {
        line: 2,
        id: 'A-17',
        ip: ENIP.ip,
        vendor: ENIP.vendor,
        product: 'ControlLogix EtherNet/IP bridge',
        model: ENIP.product,
        firmware: ENIP.firmware,
        serial: ENIP.serial,
        role: 'adapter',
        zone: 'Cell 1',
      },
      { line: 3, id: 'A-18', ip: HOST.ip, mac: ecsMac(HOST.mac), name: HOST.name, role: 'workstation', zone: 'Office' },
    ]);
  });

  it('reads semicolon-separated files with quoted delimiters, "" escapes and a line break inside a field', () => {
    const description = `Rockwell "ENBT" bridge; rack 1\nspare in store`;
    const text = csv(
      [
        ['ip', 'type', 'description', 'fw'],
        [ENIP.ip, 'adapter', description, ENIP.firmware],
        [S7.ip, 'PLC', S7.model, ''],
      ],
      ';',
      '\n',
    );
    const entries = parseInventory(text, 'plant.csv');
    expect(entries.map((e) => [e.line, e.ip, e.role, e.product, e.firmware])).toEqual([
      [2, ENIP.ip, 'adapter', description, ENIP.firmware],
      // The quoted line break makes the S7 row start on line 4.
      [4, S7.ip, 'PLC', S7.model, undefined],
    ]);
  });

  it('normalises padded IPv4, expanded upper-case IPv6 and the MAC spellings exports use', () => {
    const padded = ENIP.ip
      .split('.')
      .map((o) => o.padStart(3, '0'))
      .join('.');
    const expanded = ipv6Expanded(V6).toUpperCase();
    const dotted = HOST.mac.replace(/:/g, '').replace(/(.{4})(?=.)/g, '$1.');
    const bare = DISCOVER.mac.replace(/:/g, '').toUpperCase();
    const text = csv([
      ['IPv4', 'MAC'],
      [padded, dotted],
      [expanded, ''],
      ['', bare],
      ['', ACKED.mac.replace(/:/g, '-')],
    ]);
    expect(parseInventory(text, 'a.csv').map((e) => [e.ip, e.mac])).toEqual([
      [ENIP.ip, ecsMac(HOST.mac)],
      [V6, undefined],
      [undefined, ecsMac(DISCOVER.mac)],
      [undefined, ecsMac(ACKED.mac)],
    ]);
  });

  it('reads an IP column called "Address" and skips blank rows', () => {
    const text = `Address,Name\n\n${S7.ip},${S7.name}\n,\n`;
    expect(parseInventory(text, 'x.csv')).toEqual([{ line: 3, ip: S7.ip, name: S7.name }]);
  });

  it('names the file, the line and the column of an IP or MAC that does not parse', () => {
    const badIp = csv([
      ['Name', 'IP Address'],
      [S7.name, S7.ip],
      [HOST.name, `${HOST.ip}0`],
    ]);
    const e1 = thrown(() => parseInventory(badIp, 'assets.csv'));
    expect(e1.message).toBe(`assets.csv line 3, column "IP Address": "${HOST.ip}0" is not an IP address`);
    expect(e1.code).toBe('VIGIL_CONFIG_INVALID');
    expect(e1.meta).toEqual({ file: 'assets.csv', line: 3, column: 'IP Address' });

    const shortMac = HOST.mac.split(':').slice(0, 5).join(':');
    const e2 = thrown(() => parseInventory(csv([['ip', 'Mac Address'], [HOST.ip, shortMac]]), 'assets.csv'));
    expect(e2.message).toBe(`assets.csv line 2, column "Mac Address": "${shortMac}" is not a MAC address`);
  });

  it('refuses a row with neither IP nor MAC, an IP listed twice, a file without an address column, an open quote', () => {
    const noAddress = csv([['ip', 'mac', 'name'], [S7.ip, '', S7.name], ['', '', DISCOVER.name]]);
    expect(thrown(() => parseInventory(noAddress, 'a.csv')).message).toBe('a.csv line 3: the asset has neither an IP nor a MAC address');
    const twice = csv([['ip', 'name'], [S7.ip, S7.name], [ENIP.ip, ''], [S7.ip, 'again']]);
    expect(thrown(() => parseInventory(twice, 'a.csv')).message).toBe(`a.csv line 4: ${S7.ip} is listed already (line 2)`);
    const noColumn = csv([['name', 'vendor'], [S7.name, '']]);
    expect(thrown(() => parseInventory(noColumn, 'a.csv')).message).toMatch(/^a\.csv: no column names an IP or MAC address/);
    expect(thrown(() => parseInventory(`ip,name\n${S7.ip},"${S7.name}\n`, 'a.csv')).message).toBe('a.csv line 2: a quoted field is not closed');
    expect(thrown(() => parseInventory('', 'a.csv')).message).toMatch(/^a\.csv is empty/);
  });
});

describe('parseInventory: JSON', () => {
  it('reads an array of objects and an {assets: [...]} document alike, numbers as text, element numbers as lines', () => {
    const assets = [
      { IP: ENIP.ip, vendor: ENIP.vendor, 'Part Number': ENIP.product, fw: ENIP.firmware, serial_number: ENIP.serial, id: 17 },
      { 'MAC Address': HOST.mac, hostname: HOST.name, notes: { any: 'thing' } },
    ];
    const expected: InventoryEntry[] = [
      { line: 1, ip: ENIP.ip, vendor: ENIP.vendor, model: ENIP.product, firmware: ENIP.firmware, serial: ENIP.serial, id: '17' },
      { line: 2, mac: ecsMac(HOST.mac), name: HOST.name },
    ];
    expect(parseInventory(JSON.stringify(assets), 'inventory.json')).toEqual(expected);
    expect(parseInventory('\uFEFF' + JSON.stringify({ assets }, null, 2), 'export.txt')).toEqual(expected);
  });

  it('names the element and the key of a bad value', () => {
    const text = JSON.stringify([{ ip: S7.ip }, { ip: HOST.mac }]);
    expect(thrown(() => parseInventory(text, 'i.json')).message).toBe(`i.json element 2, field "ip": "${HOST.mac}" is not an IP address`);
    const listed = JSON.stringify([{ ip: [S7.ip] }]);
    expect(thrown(() => parseInventory(listed, 'i.json')).message).toBe('i.json element 1, field "ip": must be a string or a number');
    expect(thrown(() => parseInventory(JSON.stringify({ devices: [] }), 'i.json')).message).toMatch(/expected an array of assets/);
    expect(thrown(() => parseInventory('[{"ip": ', 'i.json')).message).toMatch(/^i\.json is not valid JSON/);
  });
});

describe('compareInventory', () => {
  const file = csv([
    ['IP Address', 'MAC Address', 'Hostname', 'Vendor', 'Model', 'Firmware', 'Serial Number'],
    // The list says firmware 4.2: the device reports 4.3. The vendor is written shorter, the serial as on the label,
    // the catalogue number as the model (the device reports it as its product, and its product code as model).
    [ENIP.ip, '', '', 'Rockwell Automation', ENIP.product, '4.2', ENIP.serial.replace(/^0x/, '').toUpperCase()],
    // Model in other case, the serial with a doubled space: both agree.
    [S7.ip, '', S7.name, '', S7.model.toLowerCase(), '', S7.serial.replace(' ', '  ')],
    // The workstation at the address it had before DHCP moved it.
    [HOST.earlier, HOST.mac.replace(/:/g, '-'), HOST.name.split('.')[0].toUpperCase(), '', '', '', ''],
    // The right address with another device's MAC.
    [ACKED.ip, DISCOVER.mac, '', '', '', '', ''],
    // Listed, never seen.
    ['', DISCOVER.mac, DISCOVER.name, '', '', '', ''],
  ]);
  const entries = parseInventory(file, 'assets.csv');
  const observed = [observedEnip, observedS7, observedHost, observedAcked, observedClient];
  const { byIp, missing } = compareInventory(entries, observed);

  it('matches by IP and reports only what both sides state and disagree on', () => {
    expect(byIp.get(ENIP.ip)).toEqual({
      status: 'inventoried',
      entry: entries[0],
      differences: [{ field: 'firmware', expected: '4.2', observed: ENIP.firmware }],
    });
    // The list names the S7 device, the network gave it no host name: nothing to compare.
    expect(byIp.get(S7.ip)).toEqual({ status: 'inventoried', entry: entries[1], differences: [] });
  });

  it('matches by MAC when the IP differs, and says so', () => {
    expect(byIp.get(HOST.ip)).toEqual({
      status: 'inventoried',
      entry: entries[2],
      differences: [{ field: 'ip', expected: HOST.earlier, observed: HOST.ip }],
    });
  });

  it('reports a listed MAC the address was not seen with', () => {
    expect(byIp.get(ACKED.ip)).toEqual({
      status: 'inventoried',
      entry: entries[3],
      differences: [{ field: 'mac', expected: ecsMac(DISCOVER.mac), observed: ecsMac(ACKED.mac) }],
    });
  });

  it('marks assets the list lacks as uninventoried and entries nothing matched as missing', () => {
    expect(byIp.get(observedClient.ip)).toEqual({ status: 'uninventoried', differences: [] });
    expect(byIp.size).toBe(observed.length);
    expect(missing).toEqual([{ status: 'missing', entry: entries[4], differences: [] }]);
  });

  it('reports vendor, product, serial and host name that disagree', () => {
    const list = csv([
      ['ip', 'hostname', 'manufacturer', 'product', 'serial'],
      [ENIP.ip, '', 'Siemens', '1756-EN2T/A', '00524D8F'],
      [HOST.ip, DISCOVER.name, '', '', ''],
    ]);
    const result = compareInventory(parseInventory(list, 'b.csv'), [observedEnip, observedHost]).byIp;
    expect(result.get(ENIP.ip)!.differences).toEqual([
      { field: 'vendor', expected: 'Siemens', observed: ENIP.vendor },
      { field: 'product', expected: '1756-EN2T/A', observed: ENIP.product },
      { field: 'serial', expected: '00524D8F', observed: ENIP.serial },
    ]);
    expect(result.get(HOST.ip)!.differences).toEqual([{ field: 'name', expected: DISCOVER.name, observed: HOST.name }]);
  });

  it('finds nothing missing and nothing different when the list is what the network shows', () => {
    const list = JSON.stringify({
      assets: [
        { ip: ENIP.ip, vendor: ENIP.vendor, product: ENIP.product, firmware: ENIP.firmware, serial: ENIP.serial },
        { ip: S7.ip, model: S7.model, serial: S7.serial },
        { ip: HOST.ip, mac: HOST.mac, name: HOST.name },
      ],
    });
    const result = compareInventory(parseInventory(list, 'c.json'), [observedEnip, observedS7, observedHost]);
    expect([...result.byIp.values()].map((c) => [c.status, c.differences])).toEqual([
      ['inventoried', []],
      ['inventoried', []],
      ['inventoried', []],
    ]);
    expect(result.missing).toEqual([]);
  });
});

/** The eight groups of an IPv6 address, each four hex digits. */
function ipv6Expanded(address: string): string {
  const [head, tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}
