import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { readCredentials, writeCredentials } from './credentials';
import { addLocalUser, localCredentials } from './local-credentials';

describe('credentials of the local instance', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'vigil-local-credentials-'));
  });

  it('has none before the first start, but says where they will be', () => {
    expect(localCredentials({ home })).toEqual({ credentialsFile: join(home, 'credentials.json') });
  });

  it('records further users beside the superuser and replaces a user recorded earlier', () => {
    const file = join(home, 'credentials.json');
    writeCredentials(file, { url: 'http://127.0.0.1:9200', username: 'elastic', password: 'superuser-password' });
    addLocalUser('vigil_ingest', 'first', { home });
    addLocalUser('vigil_reader', 'reader', { home });
    addLocalUser('vigil_ingest', 'second', { home });
    expect(localCredentials({ home }).credentials).toEqual({
      url: 'http://127.0.0.1:9200',
      username: 'elastic',
      password: 'superuser-password',
      users: { vigil_ingest: { password: 'second' }, vigil_reader: { password: 'reader' } },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCredentials(file).password).toBe('superuser-password');
  });

  it('cannot record a user before the instance has been started', () => {
    expect(() => addLocalUser('vigil_ingest', 'password', { home })).toThrow(LocalElasticsearchError);
  });
});
