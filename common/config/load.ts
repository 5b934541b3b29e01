import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { configSchema, type VigilConfig } from './schema';

/** Environment variables and the configuration key each one sets. Env wins over the file. */
export const ENV_KEYS: Record<string, string[]> = {
  VIGIL_ES_URL: ['elasticsearch', 'url'],
  VIGIL_ES_USERNAME: ['elasticsearch', 'username'],
  VIGIL_ES_PASSWORD: ['elasticsearch', 'password'],
  VIGIL_ES_API_KEY: ['elasticsearch', 'apiKey'],
  VIGIL_ES_CA_FILE: ['elasticsearch', 'caFile'],
  VIGIL_STATE_DIR: ['ingest', 'stateDir'],
  VIGIL_LOG_LEVEL: ['log', 'level'],
  VIGIL_SENSOR: ['sensor'],
};

export interface LoadOptions {
  /** Path of a JSON or YAML file; default: VIGIL_CONFIG, else no file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/** Reads the file, overlays the environment, validates. Throws a ConfigError naming every bad key. */
export function loadConfig(options: LoadOptions = {}): VigilConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.VIGIL_CONFIG;
  const raw = file ? readConfigFile(file) : {};
  const origins = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, value);
    origins.set(path.join('.'), `environment variable ${name}`);
  }
  return validateConfig(raw, file ?? 'defaults', origins);
}

export function validateConfig(raw: unknown, origin: string, envOrigins = new Map<string, string>()): VigilConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeIssue(issue, origin, envOrigins));
  throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
}

function describeIssue(issue: z.core.$ZodIssue, origin: string, envOrigins: Map<string, string>): string {
  if (issue.code === 'unrecognized_keys') {
    const base = issue.path.map(String);
    const keys = issue.keys.map((k) => [...base, k].join('.'));
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} in ${origin}`;
  }
  const key = issue.path.map(String).join('.') || '(root)';
  const from = envOrigins.get(key) ?? origin;
  return `key "${key}" (${from}): ${issue.message}`;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`, { file }, err);
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both formats.
    parsed = text.trim() === '' ? {} : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is neither valid YAML nor JSON: ${(err as Error).message}`, { file }, err);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`configuration file ${file} must hold a mapping of keys at its top level`, { file });
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
