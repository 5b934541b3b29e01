import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { INGEST_USER } from '../../common/es/client';
import { runSetup } from '../../common/es/setup';
import { fileRealmSecurity } from '../../cli/local-es/file-realm';
import { testEsConnection, testEsControl } from '../harness/es';

const INGEST_PASSWORD = 'test-ingest-password-4f7c1d';

/**
 * Runs `vigil setup`'s work on the test cluster, then returns the environment under which the real `vigil` command
 * ingests as the least-privilege ingest user, with its own state directory and an optional configuration file.
 */
export async function ingestEnvironment(admin: Client, config: Record<string, unknown> = {}): Promise<{ env: Record<string, string>; stateDir: string; work: string }> {
  await runSetup(admin, { replicas: 0, security: fileRealmSecurity(admin, testEsControl().options), ingestUserPassword: INGEST_PASSWORD });
  const work = mkdtempSync(join(tmpdir(), 'vigil-it-'));
  const stateDir = join(work, 'state');
  const configFile = join(work, 'vigil.json');
  writeFileSync(configFile, JSON.stringify({ ingest: { metrics: { listen: null }, ...config } }));
  const { url } = testEsConnection();
  return {
    work,
    stateDir,
    env: {
      VIGIL_ES_URL: url,
      VIGIL_ES_USERNAME: INGEST_USER,
      VIGIL_ES_PASSWORD: INGEST_PASSWORD,
      VIGIL_STATE_DIR: stateDir,
      VIGIL_CONFIG: configFile,
    },
  };
}
