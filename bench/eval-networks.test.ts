import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import { LABELED_CORPUS } from '../test/support/corpus';
import { readLabelsConfig } from '../detector/eval/truth';
import { readZeekFile } from '../ingest/parse/zeek/read-file';
import { defaultLocalNetworks } from '../common/config/schema';
import { localNetworksFor, SCENARIO_NETWORKS, zeekMarkedLocal } from './eval-networks';

const DATASETS = join(LABELED_CORPUS, 'stratosphere-security-datasets');

function inside(ip: string, networks: string[]): boolean {
  const addr = ipaddr.parse(ip);
  return networks.some((n) => {
    const [net, bits] = ipaddr.parseCIDR(n);
    return net.kind() === addr.kind() && addr.match(net, bits);
  });
}

describe('local networks of the labeled scenarios', () => {
  const scenarios = Object.entries(SCENARIO_NETWORKS);

  it.each(scenarios)('%s: the README sentences are quoted verbatim', (scenario, entry) => {
    const readme = readFileSync(join(DATASETS, scenario, 'README.md'), 'utf8');
    expect(entry.readme.length).toBeGreaterThan(0);
    for (const sentence of entry.readme) expect(readme).toContain(sentence);
  });

  it.each(scenarios)('%s: labels.config names the device as the target of External-Attack-to-Device', (scenario, entry) => {
    const config = readLabelsConfig(join(DATASETS, scenario, 'labels.config'));
    expect(config.get('Malicious|External-Attack-to-Device')).toEqual([entry.labelsConfig.replace(/^-\s*/, '')]);
    expect(entry.labelsConfig).toBe(`- dstIP=${entry.device}`);
  });

  it.each(scenarios)('%s: the device is outside the defaults, inside the added network, and Zeek called it local', (scenario, entry) => {
    expect(inside(entry.device, defaultLocalNetworks())).toBe(false);
    expect(inside(entry.device, [entry.network])).toBe(true);
    expect(localNetworksFor(scenario)).toEqual([...defaultLocalNetworks(), entry.network]);
    const conn = readZeekFile(join(DATASETS, scenario, 'data', 'conn.log.labeled'));
    const fromDevice = conn.filter((r) => r.fields['id.orig_h'] === entry.device);
    expect(fromDevice.length).toBeGreaterThan(0);
    // Zeek's Site::local_nets, as the sensor was configured: every connection the device opens is local_orig.
    expect(fromDevice.every((r) => r.fields.local_orig === true)).toBe(true);
  });

  it('every scenario whose labels attack a device has an entry, and no other scenario does', () => {
    const attacked = readdirSync(DATASETS)
      .filter((name) => existsSync(join(DATASETS, name, 'labels.config')))
      .filter((name) => readLabelsConfig(join(DATASETS, name, 'labels.config')).has('Malicious|External-Attack-to-Device'))
      .sort();
    expect(Object.keys(SCENARIO_NETWORKS).sort()).toEqual(attacked);
    expect(localNetworksFor('001-zeek-scenario-malicious')).toEqual(defaultLocalNetworks());
  });

  it.each(scenarios)('%s: what its sensor marked local, read from conn.log alone, covers the device and stays inside the network', (scenario, entry) => {
    const conn = join(DATASETS, scenario, 'data', 'conn.log.labeled');
    const inferred = zeekMarkedLocal([conn], defaultLocalNetworks());
    expect(inferred.length).toBeGreaterThan(0);
    expect(inside(entry.device, inferred)).toBe(true);
    for (const network of inferred) expect([network, inside(ipaddr.parseCIDR(network)[0].toString(), [entry.network])]).toEqual([network, true]);
    // Every local address of the log is covered, and no address Zeek called remote that is outside the defaults.
    for (const r of readZeekFile(conn)) {
      for (const [address, marked] of [
        [r.fields['id.orig_h'], r.fields.local_orig],
        [r.fields['id.resp_h'], r.fields.local_resp],
      ] as Array<[string, unknown]>) {
        if (marked === true) expect(inside(address, [...defaultLocalNetworks(), ...inferred])).toBe(true);
      }
    }
    // A scenario the table does not know gets the same networks from its files.
    expect(localNetworksFor(`unknown-${scenario}`, [conn])).toEqual([...defaultLocalNetworks(), ...inferred]);
  });

  it('adds nothing for captures whose sensor marked only private addresses local, or nothing at all', () => {
    for (const scenario of ['001-zeek-scenario-malicious', '003-zeek-scenario-malicious', '005-zeek-scenario-malicious']) {
      const conn = join(DATASETS, scenario, 'conn.log');
      expect(readZeekFile(conn).length).toBeGreaterThan(0);
      expect([scenario, zeekMarkedLocal([conn], defaultLocalNetworks())]).toEqual([scenario, []]);
      expect(localNetworksFor(scenario, [conn])).toEqual(defaultLocalNetworks());
    }
    // The port-scanning capture's conn.log has no local_orig column.
    const scan = join(DATASETS, '002-zeek-scenario-port-scanning', 'conn.log');
    expect(zeekMarkedLocal([scan], defaultLocalNetworks())).toEqual([]);
  });
});
