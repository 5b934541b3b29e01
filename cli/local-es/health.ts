import { getJson, type BasicAuth } from './http';
import { sleep } from './process';

export type ClusterHealth = 'green' | 'yellow' | 'red';

export interface ClusterProbe {
  /** Yellow or green: a single node never places replicas, so yellow is as good as it gets for replicated indices. */
  healthy: boolean;
  health: ClusterHealth | null;
  version: string | null;
  /** Why the cluster is not healthy, as a sentence. */
  problem: string | null;
  /** Elasticsearch answered 401: it runs but the credentials are wrong. */
  unauthorized: boolean;
}

/**
 * Asks for a yellow-or-better cluster, waiting at most `waitSeconds` for it, then for the node's version. The
 * version comes from the nodes info API because this distribution lacks the module that serves `GET /`.
 */
export async function probeCluster(url: string, auth: BasicAuth, waitSeconds = 1, requestTimeoutMs = 5000): Promise<ClusterProbe> {
  const result: ClusterProbe = { healthy: false, health: null, version: null, problem: null, unauthorized: false };
  try {
    const health = await getJson(`${url}/_cluster/health?wait_for_status=yellow&timeout=${waitSeconds}s`, auth, requestTimeoutMs + waitSeconds * 1000);
    if (health.status === 401) {
      result.unauthorized = true;
      result.problem = `Elasticsearch at ${url} rejected the credentials of the user ${auth.username}.`;
      return result;
    }
    const status = (health.body as { status?: unknown } | null)?.status;
    if (status === 'green' || status === 'yellow' || status === 'red') result.health = status;
    // 408 means the wait ran out before the cluster reached yellow.
    if (health.status !== 200 || result.health === 'red' || result.health === null) {
      result.problem = `The cluster at ${url} is not ready (HTTP ${health.status}, ${describeBody(health.body)}).`;
      return result;
    }
    const nodes = await getJson(`${url}/_nodes/_local?filter_path=nodes.*.version`, auth, requestTimeoutMs);
    result.version = versionOf(nodes.body);
    result.healthy = true;
  } catch (err) {
    result.problem = `Elasticsearch at ${url} does not answer: ${(err as Error).message}.`;
  }
  return result;
}

export type WaitOutcome =
  | { kind: 'healthy'; probe: ClusterProbe }
  | { kind: 'died'; probe: ClusterProbe | null }
  | { kind: 'unauthorized'; probe: ClusterProbe }
  | { kind: 'timeout'; probe: ClusterProbe | null };

/** A starting node may briefly refuse a password while its security index comes up; past this, the password is wrong. */
const UNAUTHORIZED_GRACE_MS = 15_000;

/** Polls until the cluster is yellow or green, the process dies, the credentials keep failing, or time runs out. */
export async function waitForHealthy(url: string, auth: BasicAuth, deadline: number, isAlive: () => boolean): Promise<WaitOutcome> {
  let last: ClusterProbe | null = null;
  let unauthorizedSince: number | null = null;
  while (Date.now() < deadline) {
    if (!isAlive()) return { kind: 'died', probe: last };
    last = await probeCluster(url, auth, 1, Math.max(1000, Math.min(5000, deadline - Date.now())));
    if (last.healthy) return { kind: 'healthy', probe: last };
    if (last.unauthorized) {
      unauthorizedSince ??= Date.now();
      if (Date.now() - unauthorizedSince > UNAUTHORIZED_GRACE_MS) return { kind: 'unauthorized', probe: last };
    } else {
      unauthorizedSince = null;
    }
    await sleep(250);
  }
  return { kind: 'timeout', probe: last };
}

function versionOf(body: unknown): string | null {
  const nodes = (body as { nodes?: Record<string, { version?: unknown }> } | null)?.nodes;
  const version = nodes ? Object.values(nodes)[0]?.version : undefined;
  return typeof version === 'string' ? version : null;
}

function describeBody(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
