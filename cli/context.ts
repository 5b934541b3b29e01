import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { loadConfig } from '../common/config/load';
import type { VigilConfig } from '../common/config/schema';
import { checkConnection, createClient, resolveConnection, type EsConnection, type EsRole } from '../common/es/client';
import { createLogger, type Logger } from '../common/log';
import { localCredentials } from './local-es';

/** What every command starts from: validated configuration, a logger, and on demand an Elasticsearch client. */
export interface CommandContext {
  config: VigilConfig;
  log: Logger;
  sensor: string;
  connect(role: EsRole): Promise<{ client: Client; connection: EsConnection; user: string; cluster: string; clusterUuid: string }>;
}

export function commandContext(configFile: string | undefined): CommandContext {
  const config = loadConfig({ file: configFile });
  const log = createLogger(config.log.level);
  return {
    config,
    log,
    sensor: config.sensor ?? hostname(),
    async connect(role) {
      const connection = resolveConnection(config, role, localCredentials);
      const client = createClient(connection, config.elasticsearch.requestTimeoutMs);
      const { user, cluster, clusterUuid } = await checkConnection(client, connection);
      return { client, connection, user, cluster, clusterUuid };
    },
  };
}

/** Checkpoints and other worker state: VIGIL_STATE_DIR / ingest.stateDir, else a per-user or system state folder. */
export function stateDir(config: VigilConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (config.ingest.stateDir) return config.ingest.stateDir;
  if (process.getuid?.() === 0) return '/var/lib/vigil/state';
  return join(env.XDG_STATE_HOME || join(env.HOME || '.', '.local', 'state'), 'vigil');
}
