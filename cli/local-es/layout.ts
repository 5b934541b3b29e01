import { join } from 'node:path';
import type { LocalEsOptions } from './options';

/**
 * Where everything of one instance lives. The distribution is unpacked beside, not into, the config and data so
 * that a newer release can be unpacked without touching the data, and so that the distribution can stay owned by
 * the invoking user while only config, data, logs and run belong to the user that runs Elasticsearch.
 */
export interface LocalEsLayout {
  home: string;
  installDir: string;
  configDir: string;
  dataDir: string;
  logsDir: string;
  runDir: string;
  pidFile: string;
  keystoreFile: string;
  credentialsFile: string;
  /** The node's own log; its name follows `cluster.name`. */
  serverLog: string;
  /** What the launcher prints before the node detaches, including why it could not start. */
  launcherLog: string;
}

export const CLUSTER_NAME = 'vigil';

export function localEsLayout(options: Pick<LocalEsOptions, 'home' | 'version'>): LocalEsLayout {
  const home = options.home;
  const configDir = join(home, 'config');
  const logsDir = join(home, 'logs');
  const runDir = join(home, 'run');
  return {
    home,
    installDir: join(home, `elasticsearch-${options.version}`),
    configDir,
    dataDir: join(home, 'data'),
    logsDir,
    runDir,
    pidFile: join(runDir, 'elasticsearch.pid'),
    keystoreFile: join(configDir, 'elasticsearch.keystore'),
    credentialsFile: join(home, 'credentials.json'),
    serverLog: join(logsDir, `${CLUSTER_NAME}.log`),
    launcherLog: join(logsDir, 'launcher.log'),
  };
}

/** The instance only listens on the loopback interface. */
export function localEsUrl(options: Pick<LocalEsOptions, 'httpPort'>): string {
  return `http://127.0.0.1:${options.httpPort}`;
}
