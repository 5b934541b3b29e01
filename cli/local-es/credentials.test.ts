import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { generatePassword, readCredentials, writeCredentials, type LocalEsCredentials } from './credentials';

describe('credentials file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-credentials-'));
  });

  const sample: LocalEsCredentials = {
    url: 'http://127.0.0.1:9200',
    username: 'elastic',
    password: 'first-password',
    users: { vigil_ingest: { password: 'second-password' } },
  };

  it('reads back what was written', () => {
    const file = join(dir, 'credentials.json');
    writeCredentials(file, sample);
    expect(readCredentials(file)).toEqual(sample);
  });

  it('is readable by its owner only, whatever the umask, and leaves no temporary file behind', () => {
    const file = join(dir, 'credentials.json');
    const previous = process.umask(0);
    try {
      writeCredentials(file, sample);
    } finally {
      process.umask(previous);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['credentials.json']);
  });

  it('replaces an existing file with the new content', () => {
    const file = join(dir, 'credentials.json');
    writeCredentials(file, sample);
    writeCredentials(file, { ...sample, url: 'http://127.0.0.1:9250' });
    expect(readCredentials(file).url).toBe('http://127.0.0.1:9250');
  });

  it('names the malformed key', () => {
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify({ ...sample, users: { vigil_ingest: {} } }));
    expect(() => readCredentials(file)).toThrow(LocalElasticsearchError);
    expect(() => readCredentials(file)).toThrow('users.vigil_ingest.password');
  });

  it('reports a file that is not JSON or does not exist as a LocalElasticsearchError', () => {
    const file = join(dir, 'credentials.json');
    expect(() => readCredentials(file)).toThrow(LocalElasticsearchError);
    writeFileSync(file, 'url: http://127.0.0.1:9200');
    expect(() => readCredentials(file)).toThrow('not valid JSON');
  });

  it('refuses to write credentials without a password', () => {
    expect(() => writeCredentials(join(dir, 'credentials.json'), { ...sample, password: '' })).toThrow(LocalElasticsearchError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('generatePassword', () => {
  it('makes long, distinct passwords of URL-safe characters', () => {
    const passwords = new Set(Array.from({ length: 50 }, generatePassword));
    expect(passwords.size).toBe(50);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});
