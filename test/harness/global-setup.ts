import { localEsLayout, startLocalEs, stopLocalEs, wipeLocalEsData } from '../../cli/local-es';
import { MANAGED_MARKER, testLocalEsOptions } from './test-es-options';

/**
 * Gives the integration tests a real Elasticsearch: the one named by VIGIL_TEST_ES_URL (with
 * VIGIL_TEST_ES_USERNAME and VIGIL_TEST_ES_PASSWORD), else a dedicated local instance started here on an empty
 * data directory. Wiping the data of a stopped node is quicker and more thorough than deleting indices,
 * templates, roles and users one by one. Test workers inherit the variables published here.
 */
export default async function globalSetup(globalConfig?: { nonFlagArgs?: string[] }): Promise<void> {
  const env = process.env;
  if (env.VIGIL_TEST_ES_URL && !env[MANAGED_MARKER]) return;
  if (!needsElasticsearch(globalConfig?.nonFlagArgs ?? [])) return;
  const options = testLocalEsOptions();
  const began = Date.now();
  // A node left behind by an interrupted run holds that run's data.
  await stopLocalEs(options);
  wipeLocalEsData(options);
  const info = await startLocalEs(options, (message) => process.stderr.write(`${message}\n`));
  const layout = localEsLayout(options);
  env.VIGIL_TEST_ES_URL = info.url;
  env.VIGIL_TEST_ES_USERNAME = info.username;
  env.VIGIL_TEST_ES_PASSWORD = info.password;
  env.VIGIL_TEST_ES_HOME = layout.home;
  env.VIGIL_TEST_ES_PORT = String(options.httpPort);
  env.VIGIL_TEST_ES_PIDFILE = layout.pidFile;
  env[MANAGED_MARKER] = '1';
  process.stderr.write(`The test Elasticsearch ${info.version} is ready at ${info.url} after ${((Date.now() - began) / 1000).toFixed(1)} s.\n`);
}

/**
 * Unit tests need no Elasticsearch: when every path pattern given to jest points outside `test/` (such as
 * `npx jest detector/baseline`), none is started, which saves its start-up and leaves a running one alone.
 */
export function needsElasticsearch(patterns: string[]): boolean {
  return patterns.length === 0 || patterns.some((p) => /(^|\/)test(\/|$)|integration/.test(p));
}
