import { stopLocalEs } from '../../cli/local-es';
import { MANAGED_MARKER, testLocalEsOptions } from './test-es-options';

/** Stops the test instance if the global setup started it; an instance given by VIGIL_TEST_ES_URL is left alone. */
export default async function globalTeardown(): Promise<void> {
  if (!process.env[MANAGED_MARKER]) return;
  await stopLocalEs(testLocalEsOptions());
}
