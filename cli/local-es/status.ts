import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCredentials } from './credentials';
import { probeCluster, type ClusterHealth } from './health';
import { localEsLayout, localEsUrl } from './layout';
import { resolveLocalEsOptions, type LocalEsOptions } from './options';
import { runningPid } from './process';

export interface LocalEsStatus {
  running: boolean;
  /** Running and answering with a yellow or green cluster. */
  healthy: boolean;
  url: string;
  credentialsFile: string;
  home: string;
  pid: number | null;
  /** Reported by the node when it answers, else the release this instance is set up for. */
  version: string;
  /** The distribution is unpacked in the home directory. */
  installed: boolean;
  clusterHealth: ClusterHealth | null;
  /** Why a running node is not healthy, as a sentence. */
  problem: string | null;
}

export async function localEsStatus(overrides: Partial<LocalEsOptions> = {}): Promise<LocalEsStatus> {
  const options = resolveLocalEsOptions(overrides);
  const layout = localEsLayout(options);
  const pid = runningPid(layout);
  const status: LocalEsStatus = {
    running: pid !== null,
    healthy: false,
    url: localEsUrl(options),
    credentialsFile: layout.credentialsFile,
    home: layout.home,
    pid,
    version: options.version,
    installed: existsSync(join(layout.installDir, 'bin', 'elasticsearch')),
    clusterHealth: null,
    problem: null,
  };
  if (pid === null) return status;
  let credentials;
  try {
    credentials = readCredentials(layout.credentialsFile);
  } catch (err) {
    status.problem = (err as Error).message;
    return status;
  }
  const probe = await probeCluster(status.url, credentials);
  status.healthy = probe.healthy;
  status.clusterHealth = probe.health;
  status.version = probe.version ?? status.version;
  status.problem = probe.problem;
  return status;
}

/** The status as a few lines for a terminal. */
export function formatLocalEsStatus(status: LocalEsStatus): string {
  const lines: string[] = [];
  if (!status.running) {
    lines.push(
      status.installed
        ? `The local Elasticsearch ${status.version} is not running.`
        : `The local Elasticsearch is not set up yet; \`vigil es start\` downloads and starts it.`,
    );
  } else if (status.healthy) {
    lines.push(`The local Elasticsearch ${status.version} is running and healthy (cluster ${status.clusterHealth}).`);
  } else {
    lines.push(`The local Elasticsearch is running but not healthy. ${status.problem ?? ''}`.trimEnd());
  }
  lines.push(`  URL:          ${status.url}`);
  if (status.pid !== null) lines.push(`  Process:      ${status.pid}`);
  lines.push(`  Home:         ${status.home}`);
  lines.push(`  Credentials:  ${status.credentialsFile}`);
  return lines.join('\n');
}
