import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunAs } from './command';
import { CLUSTER_NAME, type LocalEsLayout } from './layout';
import type { LocalEsOptions } from './options';
import { ownFile } from './run-as';

/**
 * The node's settings. Every key must be known to this distribution: Elasticsearch refuses to start on an unknown
 * setting, which is why nothing here names a module the integration-test distribution lacks (geoip, for one).
 */
export function nodeSettings(options: LocalEsOptions, layout: LocalEsLayout): [string, string | number | boolean][] {
  return [
    ['cluster.name', CLUSTER_NAME],
    ['node.name', 'vigil-local'],
    ['path.data', layout.dataDir],
    ['path.logs', layout.logsDir],
    ['network.host', '127.0.0.1'],
    ['http.port', options.httpPort],
    // A range lets two instances (a user's and the tests') run side by side without choosing ports by hand.
    ['transport.port', '9300-9400'],
    ['discovery.type', 'single-node'],
    ['xpack.security.enabled', true],
    // Loopback only, so TLS would add certificates to manage and protect nothing.
    ['xpack.security.http.ssl.enabled', false],
    ['xpack.security.transport.ssl.enabled', false],
    ['xpack.ml.enabled', false],
    // Test and laptop disks are often nearly full; the watermarks would make every index read-only.
    ['cluster.routing.allocation.disk.threshold_enabled', false],
    // One index per day and dataset adds up on a single node over months of replayed logs.
    ['cluster.max_shards_per_node', 3000],
  ];
}

export function renderElasticsearchYml(options: LocalEsOptions, layout: LocalEsLayout): string {
  const lines = nodeSettings(options, layout).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `# Written by vigil at every start; edits here are lost.\n${lines.join('\n')}\n`;
}

export function renderHeapOptions(heap: string): string {
  // Equal minimum and maximum: the heap is claimed once at start instead of grown under load.
  return `-Xms${heap}\n-Xmx${heap}\n`;
}

/** Files the distribution owns are refreshed from it; files a user may edit (users, roles) are only seeded. */
const DISTRIBUTION_OWNED = new Set(['jvm.options', 'log4j2.properties']);

/** Writes the config directory that ES_PATH_CONF points at. */
export function writeNodeConfig(options: LocalEsOptions, layout: LocalEsLayout, runAs: RunAs | null): void {
  const shipped = join(layout.installDir, 'config');
  const optionsDir = join(layout.configDir, 'jvm.options.d');
  mkdirSync(optionsDir, { recursive: true });
  for (const name of readdirSync(shipped)) {
    if (name === 'elasticsearch.yml' || name.endsWith('.example.yml')) continue;
    const target = join(layout.configDir, name);
    if (DISTRIBUTION_OWNED.has(name) || !existsSync(target)) {
      copyFileSync(join(shipped, name), target);
      ownFile(target, runAs);
    }
  }
  const yml = join(layout.configDir, 'elasticsearch.yml');
  writeFileSync(yml, renderElasticsearchYml(options, layout));
  ownFile(yml, runAs);
  const heap = join(optionsDir, 'vigil-heap.options');
  writeFileSync(heap, renderHeapOptions(options.heap));
  ownFile(heap, runAs);
  ownFile(optionsDir, runAs);
}
