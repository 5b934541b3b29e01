import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/errors';

/** The Elasticsearch release the local instance runs; the ingest code and the index templates are tested against it. */
export const ELASTICSEARCH_VERSION = '8.19.21';

export interface LocalEsOptions {
  /** Instance directory: the unpacked distribution, config, data, logs and the credentials file. */
  home: string;
  /** Where the downloaded distribution zip is kept, so that a new instance does not download it again. */
  cacheDir: string;
  /** Elasticsearch release to download and run. */
  version: string;
  /** HTTP port on 127.0.0.1. */
  httpPort: number;
  /** JVM heap, as in -Xmx: `512m`, `2g`. */
  heap: string;
  /** Unprivileged OS user that runs Elasticsearch when this process is root, since Elasticsearch refuses to run as root. */
  runAsUser: string;
  /** Time allowed from launch to a yellow or green cluster. */
  startTimeoutMs: number;
  /** Time allowed for a graceful shutdown before the process is killed. */
  stopTimeoutMs: number;
}

export const DEFAULT_HTTP_PORT = 9200;
export const DEFAULT_HEAP = '512m';
export const DEFAULT_RUN_AS_USER = 'vigil-es';
const DEFAULT_START_TIMEOUT_MS = 180_000;
const DEFAULT_STOP_TIMEOUT_MS = 60_000;

const HEAP = /^[1-9][0-9]*[mMgG]$/;

/** Where the machine keeps things for this process: the parts of the environment that decide default paths. */
export interface Host {
  env: NodeJS.ProcessEnv;
  isRoot: boolean;
  userHome: string;
}

export function currentHost(env: NodeJS.ProcessEnv = process.env): Host {
  return { env, isRoot: process.getuid?.() === 0, userHome: homedir() };
}

/** The cache for downloads: VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil. */
export function defaultCacheDir(host: Host): string {
  if (host.env.VIGIL_CACHE_DIR) return host.env.VIGIL_CACHE_DIR;
  return join(host.env.XDG_CACHE_HOME || join(host.userHome, '.cache'), 'vigil');
}

/**
 * The instance directory. As root it must not sit under root's home directory, which is private (mode 700) and
 * would lock out the unprivileged user that runs Elasticsearch.
 */
export function defaultHome(host: Host): string {
  if (host.env.VIGIL_HOME) return host.env.VIGIL_HOME;
  if (host.isRoot) return '/var/lib/vigil/elasticsearch';
  return join(host.env.XDG_DATA_HOME || join(host.userHome, '.local', 'share'), 'vigil', 'elasticsearch');
}

/**
 * Options from the environment: VIGIL_HOME, VIGIL_CACHE_DIR, VIGIL_ES_PORT, VIGIL_ES_HEAP, VIGIL_ES_USER and
 * VIGIL_ES_START_TIMEOUT_SECONDS. A malformed value stops here with a message that names the variable.
 */
export function localEsOptionsFromEnv(host: Host = currentHost()): LocalEsOptions {
  const env = host.env;
  return validateLocalEsOptions({
    home: defaultHome(host),
    cacheDir: defaultCacheDir(host),
    version: ELASTICSEARCH_VERSION,
    httpPort: env.VIGIL_ES_PORT ? integerFromEnv('VIGIL_ES_PORT', env.VIGIL_ES_PORT) : DEFAULT_HTTP_PORT,
    heap: env.VIGIL_ES_HEAP || DEFAULT_HEAP,
    runAsUser: env.VIGIL_ES_USER || DEFAULT_RUN_AS_USER,
    startTimeoutMs: env.VIGIL_ES_START_TIMEOUT_SECONDS
      ? integerFromEnv('VIGIL_ES_START_TIMEOUT_SECONDS', env.VIGIL_ES_START_TIMEOUT_SECONDS) * 1000
      : DEFAULT_START_TIMEOUT_MS,
    stopTimeoutMs: DEFAULT_STOP_TIMEOUT_MS,
  });
}

/** The environment's options with the given ones laid over them; `undefined` fields keep the environment's value. */
export function resolveLocalEsOptions(overrides: Partial<LocalEsOptions> = {}, host: Host = currentHost()): LocalEsOptions {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return validateLocalEsOptions({ ...localEsOptionsFromEnv(host), ...given });
}

function validateLocalEsOptions(options: LocalEsOptions): LocalEsOptions {
  if (!Number.isInteger(options.httpPort) || options.httpPort < 1 || options.httpPort > 65535) {
    throw new ConfigError(`The Elasticsearch HTTP port must be a number from 1 to 65535 (VIGIL_ES_PORT), not ${options.httpPort}.`, {
      key: 'VIGIL_ES_PORT',
    });
  }
  if (!HEAP.test(options.heap)) {
    throw new ConfigError(`The Elasticsearch heap must look like 512m or 2g (VIGIL_ES_HEAP), not "${options.heap}".`, {
      key: 'VIGIL_ES_HEAP',
    });
  }
  if (!(options.startTimeoutMs > 0)) {
    throw new ConfigError('The Elasticsearch start timeout must be positive (VIGIL_ES_START_TIMEOUT_SECONDS).', {
      key: 'VIGIL_ES_START_TIMEOUT_SECONDS',
    });
  }
  return options;
}

function integerFromEnv(name: string, value: string): number {
  if (!/^[0-9]+$/.test(value)) {
    throw new ConfigError(`The environment variable ${name} must be a whole number, not "${value}".`, { key: name });
  }
  return Number(value);
}
