import { statSync } from 'node:fs';
import { request } from 'node:http';
import { localEsStatus, readCredentials } from '../../cli/local-es';
import { testEsClient, testEsConnection, testEsControl } from '../harness/es';

const INDEX = 'vigil-test-local-es';

function unauthenticatedStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/_cluster/health`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local Elasticsearch', () => {
  const control = testEsControl();

  it('reports itself running and healthy at the URL the tests connect to', async () => {
    const status = await localEsStatus(control.options);
    expect(status).toMatchObject({ running: true, healthy: true, url: testEsConnection().url, installed: true });
    expect(status.pid).toEqual(expect.any(Number));
    expect(['green', 'yellow']).toContain(status.clusterHealth);
  });

  it('refuses requests without credentials', async () => {
    expect(await unauthenticatedStatus(testEsConnection().url)).toBe(401);
  });

  it('keeps the password in a file only its owner can read', async () => {
    const status = await localEsStatus(control.options);
    expect(statSync(status.credentialsFile).mode & 0o777).toBe(0o600);
    const credentials = readCredentials(status.credentialsFile);
    expect(credentials).toMatchObject({ ...testEsConnection(), username: 'elastic' });
  });

  it('keeps its data and credentials across stop and start', async () => {
    const before = testEsClient();
    await before.index({ index: INDEX, id: 'kept', document: { note: 'written before the restart' }, refresh: true });
    await before.close();

    await control.stop();
    const stopped = await localEsStatus(control.options);
    expect(stopped).toMatchObject({ running: false, healthy: false, pid: null });

    await control.start();
    const after = testEsClient();
    try {
      const doc = await after.get<{ note: string }>({ index: INDEX, id: 'kept' });
      expect(doc._source).toEqual({ note: 'written before the restart' });
    } finally {
      await after.close();
    }
  });
});
