import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderElasticsearchYml, renderHeapOptions, writeNodeConfig } from './config';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions, type Host } from './options';

const host: Host = { env: {}, isRoot: false, userHome: '/home/ada' };

describe('node configuration', () => {
  it('binds to loopback only, turns security on and points data and logs into the home', () => {
    const options = resolveLocalEsOptions({ home: '/srv/vigil es', httpPort: 9250 }, host);
    const settings = parse(renderElasticsearchYml(options, localEsLayout(options)));
    expect(settings).toMatchObject({
      'network.host': '127.0.0.1',
      'http.port': 9250,
      'discovery.type': 'single-node',
      'xpack.security.enabled': true,
      'xpack.security.http.ssl.enabled': false,
      'path.data': '/srv/vigil es/data',
      'path.logs': '/srv/vigil es/logs',
      'cluster.routing.allocation.disk.threshold_enabled': false,
    });
  });

  it('fixes the heap at the configured size', () => {
    expect(renderHeapOptions('1g').split('\n')).toEqual(['-Xms1g', '-Xmx1g', '']);
  });

  it('refreshes the files the distribution owns and seeds, but keeps, those a user may edit', () => {
    const home = mkdtempSync(join(tmpdir(), 'vigil-es-config-'));
    const options = resolveLocalEsOptions({ home, heap: '768m' }, host);
    const layout = localEsLayout(options);
    const shipped = join(layout.installDir, 'config');
    mkdirSync(shipped, { recursive: true });
    mkdirSync(layout.configDir);
    for (const name of ['jvm.options', 'log4j2.properties', 'roles.yml', 'elasticsearch.yml', 'elasticsearch-plugins.example.yml']) {
      writeFileSync(join(shipped, name), `shipped ${name}\n`);
    }
    writeFileSync(join(layout.configDir, 'roles.yml'), 'edited by the user\n');
    writeFileSync(join(layout.configDir, 'jvm.options'), 'left from an older release\n');

    writeNodeConfig(options, layout, null);

    const read = (name: string) => readFileSync(join(layout.configDir, name), 'utf8');
    expect(read('roles.yml')).toBe('edited by the user\n');
    expect(read('jvm.options')).toBe('shipped jvm.options\n');
    expect(read('log4j2.properties')).toBe('shipped log4j2.properties\n');
    expect(parse(read('elasticsearch.yml'))['path.data']).toBe(layout.dataDir);
    expect(read('jvm.options.d/vigil-heap.options')).toContain('-Xmx768m');
    expect(() => read('elasticsearch-plugins.example.yml')).toThrow();
  });
});
