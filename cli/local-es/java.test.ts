import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { resolveJavaHome } from './java';

function fakeJdk(root: string): string {
  const home = join(root, 'jdk-17');
  mkdirSync(join(home, 'bin'), { recursive: true });
  writeFileSync(join(home, 'bin', 'java'), '#!/bin/sh\n');
  chmodSync(join(home, 'bin', 'java'), 0o755);
  return home;
}

describe('resolveJavaHome', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-java-'));
  const jdk = fakeJdk(root);

  it('follows the java on PATH through its links to the installation it belongs to', () => {
    const bin = join(root, 'bin');
    const alternatives = join(root, 'alternatives');
    mkdirSync(bin);
    mkdirSync(alternatives);
    symlinkSync(join(jdk, 'bin', 'java'), join(alternatives, 'java'));
    symlinkSync(join(alternatives, 'java'), join(bin, 'java'));
    expect(resolveJavaHome({ PATH: `${join(root, 'empty')}:${bin}` })).toBe(jdk);
  });

  it('prefers ES_JAVA_HOME, then JAVA_HOME, over PATH', () => {
    const other = fakeJdk(join(root, 'other'));
    expect(resolveJavaHome({ JAVA_HOME: other, PATH: join(root, 'bin') })).toBe(other);
    expect(resolveJavaHome({ ES_JAVA_HOME: jdk, JAVA_HOME: other })).toBe(jdk);
  });

  it('names the variable that points at no Java', () => {
    expect(() => resolveJavaHome({ JAVA_HOME: join(root, 'nowhere') })).toThrow('JAVA_HOME');
  });

  it('says that Java is needed when there is none', () => {
    expect(() => resolveJavaHome({ PATH: join(root, 'empty') })).toThrow(LocalElasticsearchError);
  });
});
