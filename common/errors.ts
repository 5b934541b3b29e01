/**
 * One base class, subclasses with a stable `code`, the cause kept, secrets redacted.
 * Codes are part of the interface: users grep logs and dead letters for them.
 */
export type ErrorCode =
  | 'VIGIL_CONFIG_INVALID'
  | 'VIGIL_CONFIG_UNREADABLE'
  | 'VIGIL_ES_UNAVAILABLE'
  | 'VIGIL_ES_REJECTED'
  | 'VIGIL_LOCAL_ES'
  | 'VIGIL_PARSE'
  | 'VIGIL_SOURCE'
  | 'VIGIL_CHECKPOINT'
  | 'VIGIL_USAGE'
  | 'VIGIL_PASS_RUNNING';

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; meta?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.meta = redact(options.meta ?? {});
  }
}

export class ConfigError extends VigilError {
  constructor(message: string, meta: Record<string, unknown> = {}, cause?: unknown) {
    super('VIGIL_CONFIG_INVALID', message, { meta, cause });
  }
}

export class ElasticsearchUnavailableError extends VigilError {
  constructor(message: string, cause?: unknown, meta: Record<string, unknown> = {}) {
    super('VIGIL_ES_UNAVAILABLE', message, { cause, meta });
  }
}

export class LocalElasticsearchError extends VigilError {
  constructor(message: string, cause?: unknown, meta: Record<string, unknown> = {}) {
    super('VIGIL_LOCAL_ES', message, { cause, meta });
  }
}

export class SourceError extends VigilError {
  constructor(message: string, cause?: unknown, meta: Record<string, unknown> = {}) {
    super('VIGIL_SOURCE', message, { cause, meta });
  }
}

export class UsageError extends VigilError {
  constructor(message: string) {
    super('VIGIL_USAGE', message);
  }
}

/** Another detection pass of the same partition holds the lease. */
export class PassRunningError extends VigilError {
  constructor(message: string, meta: Record<string, unknown> = {}) {
    super('VIGIL_PASS_RUNNING', message, { meta });
  }
}

const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization|credential/i;

/** Replaces the value of every key that looks like a secret, at any depth. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redact(v)) as unknown as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v);
    }
    return out as T;
  }
  return value;
}
