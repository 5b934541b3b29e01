import { ConfigError } from '../../common/errors';
import { DEFAULT_HTTP_PORT, ELASTICSEARCH_VERSION, localEsOptionsFromEnv, resolveLocalEsOptions, type Host } from './options';

const user = (env: NodeJS.ProcessEnv = {}): Host => ({ env, isRoot: false, userHome: '/home/ada' });
const root = (env: NodeJS.ProcessEnv = {}): Host => ({ env, isRoot: true, userHome: '/home/admin' });

describe('localEsOptionsFromEnv', () => {
  it('keeps a user instance under the XDG directories of that user', () => {
    const options = localEsOptionsFromEnv(user());
    expect(options).toMatchObject({
      home: '/home/ada/.local/share/vigil/elasticsearch',
      cacheDir: '/home/ada/.cache/vigil',
      httpPort: DEFAULT_HTTP_PORT,
      heap: '512m',
      version: ELASTICSEARCH_VERSION,
      startTimeoutMs: 180_000,
    });
  });

  it('follows XDG_DATA_HOME and XDG_CACHE_HOME', () => {
    const options = localEsOptionsFromEnv(user({ XDG_DATA_HOME: '/data', XDG_CACHE_HOME: '/cache' }));
    expect(options.home).toBe('/data/vigil/elasticsearch');
    expect(options.cacheDir).toBe('/cache/vigil');
  });

  it('keeps a root instance out of the private home directory of root', () => {
    const options = localEsOptionsFromEnv(root());
    expect(options.home).toBe('/var/lib/vigil/elasticsearch');
    expect(options.runAsUser).toBe('vigil-es');
  });

  it('takes every setting from its variable', () => {
    const options = localEsOptionsFromEnv(
      root({
        VIGIL_HOME: '/srv/es',
        VIGIL_CACHE_DIR: '/srv/cache',
        VIGIL_ES_PORT: '9333',
        VIGIL_ES_HEAP: '2g',
        VIGIL_ES_USER: 'elasticsearch',
        VIGIL_ES_START_TIMEOUT_SECONDS: '30',
      }),
    );
    expect(options).toMatchObject({
      home: '/srv/es',
      cacheDir: '/srv/cache',
      httpPort: 9333,
      heap: '2g',
      runAsUser: 'elasticsearch',
      startTimeoutMs: 30_000,
    });
  });

  it.each([
    ['VIGIL_ES_PORT', 'ninety'],
    ['VIGIL_ES_PORT', '70000'],
    ['VIGIL_ES_HEAP', '512'],
    ['VIGIL_ES_HEAP', '-1g'],
    ['VIGIL_ES_START_TIMEOUT_SECONDS', '1.5'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    const attempt = () => localEsOptionsFromEnv(user({ [name]: value }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(name);
  });
});

describe('resolveLocalEsOptions', () => {
  it('lays given options over the environment and ignores undefined ones', () => {
    const options = resolveLocalEsOptions({ httpPort: 9250, home: undefined }, user({ VIGIL_HOME: '/srv/es', VIGIL_ES_PORT: '9333' }));
    expect(options.httpPort).toBe(9250);
    expect(options.home).toBe('/srv/es');
  });

  it('validates the given options too', () => {
    expect(() => resolveLocalEsOptions({ heap: 'lots' }, user())).toThrow(ConfigError);
  });
});
