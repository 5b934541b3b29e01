/**
 * Retry decisions are pure functions of what Elasticsearch answered, so they are unit-tested with real responses.
 * Transient trouble (429, 5xx, connection loss) is retried without limit, with capped exponential backoff: giving up
 * would lose data, and the reader stops reading meanwhile, so memory stays bounded. Permanent rejections of one
 * document go to the dead-letter index; permanent rejections of a whole request stop the worker with a clear error,
 * because they mean a configuration problem (credentials, privileges, request size) that every document would hit.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export type ItemDecision =
  | { action: 'done'; outcome: 'created' | 'duplicate' }
  | { action: 'retry'; reason: string }
  | { action: 'dead-letter'; reason: string };

export type RequestDecision = { action: 'retry'; reason: string } | { action: 'fail'; reason: string };

export interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string | null; caused_by?: { type?: string; reason?: string | null } };
}

/** One item of a `create` bulk request. 409 means the same id is already indexed: a replay, which is success. */
export function decideItem(item: BulkItemResult): ItemDecision {
  const { status } = item;
  if (status >= 200 && status < 300) return { action: 'done', outcome: 'created' };
  if (status === 409) return { action: 'done', outcome: 'duplicate' };
  const reason = describeError(status, item.error);
  if (status === 429 || status >= 500) return { action: 'retry', reason };
  return { action: 'dead-letter', reason };
}

/** Errors of the Elasticsearch client that mean the request got no answer: the node may be back later. */
const NO_ANSWER = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

/**
 * A whole bulk request that failed: an HTTP error status, or no answer at all (a connection error, reported by the
 * client with status 0 or none, as when the node stops in the middle of a request). Anything else is a bug, and
 * retrying it would hang the worker instead of saying so.
 */
export function decideRequest(status: number | undefined, message: string, errorName = 'ConnectionError'): RequestDecision {
  if (!status) {
    return NO_ANSWER.has(errorName)
      ? { action: 'retry', reason: `no answer from Elasticsearch: ${message}` }
      : { action: 'fail', reason: `the bulk request failed (${errorName}): ${message}` };
  }
  if (status === 429 || status >= 500) return { action: 'retry', reason: `Elasticsearch answered ${status}: ${message}` };
  if (status === 401) return { action: 'fail', reason: `Elasticsearch refused the credentials (401): ${message}` };
  if (status === 403) return { action: 'fail', reason: `the ingest user lacks a privilege (403): ${message}; run \`vigil setup\`` };
  if (status === 413) return { action: 'fail', reason: `bulk request too large (413): lower ingest.bulk.maxBytes` };
  return { action: 'fail', reason: `Elasticsearch rejected the bulk request (${status}): ${message}` };
}

/** Exponential backoff with jitter in [delay/2, delay], capped. `attempt` starts at 0. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export function describeError(status: number, error: BulkItemResult['error']): string {
  if (!error) return `status ${status}`;
  let text = `${error.type ?? 'error'}: ${error.reason ?? 'no reason given'}`;
  if (error.caused_by) text += ` (caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason ?? 'no reason given'})`;
  return `${text} [status ${status}]`;
}
