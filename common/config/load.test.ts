import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { loadConfig } from './load';

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default when there is no file', () => {
    const config = loadConfig({ env: {} });
    expect(config.ingest.bulk.maxDocs).toBe(5000);
    expect(config.elasticsearch.url).toBeUndefined();
    expect(config.networks.local).toContain('10.0.0.0/8');
    expect(config.ingest.metrics.listen).toBe('127.0.0.1:9464');
  });

  it('reads YAML and JSON files and lets the environment win', () => {
    const yaml = tempFile('vigil.yaml', 'sensor: plant-1\nnetworks:\n  local: [10.1.0.0/16]\ningest:\n  bulk:\n    concurrency: 4\n');
    const config = loadConfig({ file: yaml, env: { VIGIL_ES_URL: 'http://127.0.0.1:9201' } });
    expect(config.sensor).toBe('plant-1');
    expect(config.networks.local).toEqual(['10.1.0.0/16']);
    expect(config.ingest.bulk.concurrency).toBe(4);
    expect(config.ingest.bulk.maxDocs).toBe(5000);
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9201');

    const json = tempFile('vigil.json', JSON.stringify({ elasticsearch: { url: 'http://10.0.0.5:9200', indexRollover: 'monthly' } }));
    expect(loadConfig({ file: json, env: {} }).elasticsearch.indexRollover).toBe('monthly');
  });

  it('names an unknown key, even a nested one', () => {
    const file = tempFile('vigil.yaml', 'ingest:\n  bulk:\n    maxdocs: 10\n');
    expect(messageOf(() => loadConfig({ file, env: {} }))).toMatch(/unknown key "ingest\.bulk\.maxdocs"/);
  });

  it('names a key with a wrong type and the file it came from', () => {
    const file = tempFile('vigil.yaml', 'ingest:\n  bulk:\n    concurrency: two\n');
    const message = messageOf(() => loadConfig({ file, env: {} }));
    expect(message).toMatch(/key "ingest\.bulk\.concurrency"/);
    expect(message).toContain(file);
  });

  it('names the environment variable behind a bad value', () => {
    expect(messageOf(() => loadConfig({ env: { VIGIL_ES_URL: 'not a url' } }))).toMatch(/elasticsearch\.url.*VIGIL_ES_URL/);
  });

  it('rejects a local network that is not CIDR', () => {
    const file = tempFile('vigil.json', JSON.stringify({ networks: { local: ['10.0.0.0/33'] } }));
    expect(messageOf(() => loadConfig({ file, env: {} }))).toMatch(/networks\.local\.0.*CIDR/);
  });

  it('says when the file cannot be read or parsed', () => {
    expect(messageOf(() => loadConfig({ file: '/nonexistent/vigil.yaml', env: {} }))).toMatch(/cannot read configuration file/);
    const file = tempFile('vigil.yaml', 'a: [1, 2\n');
    expect(messageOf(() => loadConfig({ file, env: {} }))).toMatch(/neither valid YAML nor JSON/);
  });
});
