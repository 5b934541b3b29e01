/**
 * A single-node Elasticsearch on 127.0.0.1 with security on, for trying Vigil out and for the integration tests:
 * `vigil es start|stop|status` and the jest global setup both use this API.
 */
export { readCredentials, writeCredentials, SUPERUSER, type LocalEsCredentials } from './credentials';
export { fetchElasticsearchZip, mavenCoordinates } from './distribution';
export { addLocalUser, localCredentials } from './local-credentials';
export { localEsLayout, localEsUrl, type LocalEsLayout } from './layout';
export {
  ELASTICSEARCH_VERSION,
  DEFAULT_HTTP_PORT,
  defaultCacheDir,
  currentHost,
  localEsOptionsFromEnv,
  resolveLocalEsOptions,
  type Host,
  type LocalEsOptions,
} from './options';
export { pauseLocalEs, resumeLocalEs } from './pause';
export { startLocalEs, type LocalEsInfo } from './start';
export { formatLocalEsStatus, localEsStatus, type LocalEsStatus } from './status';
export { stopLocalEs, type LocalEsStopResult } from './stop';
export { wipeLocalEsData } from './wipe';
