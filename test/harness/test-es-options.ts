import { join } from 'node:path';
import { ConfigError } from '../../common/errors';
import { currentHost, defaultCacheDir, resolveLocalEsOptions, type LocalEsOptions } from '../../cli/local-es';

/** Apart from the default 9200 so that the tests never reach, let alone wipe, a user's own instance. */
export const TEST_ES_PORT = 9250;

/**
 * The dedicated test instance: its own home and port (VIGIL_TEST_ES_HOME, VIGIL_TEST_ES_PORT), the rest (cache,
 * heap, user to run as) as for any local instance. The global setup publishes home and port, so test workers
 * compute the same options.
 */
export function testLocalEsOptions(env: NodeJS.ProcessEnv = process.env): LocalEsOptions {
  const host = currentHost(env);
  const home = env.VIGIL_TEST_ES_HOME || (host.isRoot ? '/var/lib/vigil/test-elasticsearch' : join(defaultCacheDir(host), 'test-es'));
  const httpPort = env.VIGIL_TEST_ES_PORT ? Number(env.VIGIL_TEST_ES_PORT) : TEST_ES_PORT;
  if (!Number.isInteger(httpPort)) {
    throw new ConfigError(`VIGIL_TEST_ES_PORT must be a port number, not "${env.VIGIL_TEST_ES_PORT}".`, { key: 'VIGIL_TEST_ES_PORT' });
  }
  return resolveLocalEsOptions({ home, httpPort }, host);
}

/** Set by the global setup when it runs the test instance itself, as opposed to one given by VIGIL_TEST_ES_URL. */
export const MANAGED_MARKER = 'VIGIL_TEST_ES_MANAGED';
