import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { ConfigError, ElasticsearchUnavailableError } from '../errors';
import type { VigilConfig } from '../config/schema';

/** Who is connecting: the administrator installs templates and roles; the ingest worker only writes events. */
export type EsRole = 'admin' | 'ingest' | 'detector';

export interface EsConnection {
  url: string;
  username?: string;
  password?: string;
  apiKey?: string;
  caFile?: string;
  /** Where this connection came from, for messages: "configuration" or the local instance's credentials file. */
  origin: string;
}

/** Credentials of the local instance, as `vigil es start` writes them (mode 0600). */
export interface LocalCredentials {
  url: string;
  username: string;
  password: string;
  users?: Record<string, { password: string }>;
}

/** The user `vigil setup` creates on the local instance for the ingest worker. */
export const INGEST_USER = 'vigil_ingest';
/** The user `vigil setup` creates on the local instance for the detector. */
export const DETECTOR_USER = 'vigil_detector';

/**
 * Resolves the connection: the configured URL when there is one, else the local instance's credentials file.
 * `local` is injected so that this module does not depend on the local-instance manager.
 */
export function resolveConnection(
  config: VigilConfig,
  role: EsRole,
  local: () => { credentials?: LocalCredentials; credentialsFile: string },
): EsConnection {
  const es = config.elasticsearch;
  if (es.url) {
    if (es.password && !es.username) throw new ConfigError('key "elasticsearch.password" is set but "elasticsearch.username" is not');
    return { url: es.url, username: es.username, password: es.password, apiKey: es.apiKey, caFile: es.caFile, origin: 'configuration' };
  }
  const { credentials, credentialsFile } = local();
  if (!credentials) {
    throw new ElasticsearchUnavailableError(
      'no Elasticsearch is configured (elasticsearch.url / VIGIL_ES_URL) and no local instance has been started: run `vigil es start`',
      undefined,
      { credentialsFile },
    );
  }
  const ingest = credentials.users?.[INGEST_USER];
  if (role === 'ingest' && ingest) {
    return { url: credentials.url, username: INGEST_USER, password: ingest.password, origin: credentialsFile };
  }
  const detector = credentials.users?.[DETECTOR_USER];
  if (role === 'detector' && detector) {
    return { url: credentials.url, username: DETECTOR_USER, password: detector.password, origin: credentialsFile };
  }
  return { url: credentials.url, username: credentials.username, password: credentials.password, origin: credentialsFile };
}

export function createClient(connection: EsConnection, requestTimeoutMs: number): Client {
  const options: ClientOptions = {
    node: connection.url,
    requestTimeout: requestTimeoutMs,
    // The sink retries with its own policy; the client's retries would hide failures from it.
    maxRetries: 0,
    compression: false,
  };
  if (connection.apiKey) options.auth = { apiKey: connection.apiKey };
  else if (connection.username && connection.password) options.auth = { username: connection.username, password: connection.password };
  if (connection.caFile) {
    try {
      options.tls = { ca: readFileSync(connection.caFile) };
    } catch (err) {
      throw new ConfigError(`key "elasticsearch.caFile": cannot read ${connection.caFile}: ${(err as Error).message}`, {}, err);
    }
  }
  return new Client(options);
}

/**
 * Checks that the cluster answers and the credentials work, with a message that says which failed, and names the
 * cluster by its uuid. Uses only what a least-privilege user may call (authenticate, cluster health, the cluster
 * state's version); `GET /` is not served by every distribution.
 */
export async function checkConnection(client: Client, connection: EsConnection): Promise<{ user: string; cluster: string; clusterUuid: string; status: string }> {
  try {
    const me = await client.security.authenticate();
    const health = await client.cluster.health();
    // The name is whatever the cluster was given (every local instance has the same); the uuid is this cluster's own.
    const state = (await client.cluster.state({ metric: 'version', filter_path: 'cluster_uuid' })) as { cluster_uuid?: string };
    return { user: me.username, cluster: health.cluster_name, clusterUuid: state.cluster_uuid ?? health.cluster_name, status: health.status };
  } catch (err) {
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status === 401) {
      throw new ElasticsearchUnavailableError(`Elasticsearch at ${connection.url} refused the credentials from ${connection.origin}`, err);
    }
    if (status === 403) {
      throw new ElasticsearchUnavailableError(`the user from ${connection.origin} may not read cluster health on ${connection.url}: run \`vigil setup\``, err);
    }
    throw new ElasticsearchUnavailableError(`Elasticsearch at ${connection.url} does not answer: ${(err as Error).message}`, err);
  }
}
