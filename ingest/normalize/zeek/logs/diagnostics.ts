/**
 * Zeek's reports about itself: performance counters (ECS `event.kind: metric`), its reporter messages, analyzer
 * failures, configuration and the scripts it loaded. They describe the sensor, not the network: no category.
 */
import type { EcsDocument } from '../context';
import type { LogMapper } from '../mapper';
import { str, type ZeekFields } from '../values';
import { NETWORK, PROTOCOL } from './categories';

/** `Reporter::WARNING` -> `warning`, the ECS `log.level` form. */
function mapReporter(f: ZeekFields, doc: EcsDocument): void {
  const level = str(f.level);
  if (level !== undefined) {
    const sep = level.lastIndexOf(':');
    doc.log = { level: level.slice(sep + 1).toLowerCase() };
  }
  const message = str(f.message);
  if (message !== undefined) doc.message = message;
}

function mapFailure(f: ZeekFields, doc: EcsDocument): void {
  const reason = str(f.failure_reason);
  if (reason !== undefined) doc.error = { message: reason };
}

const metric: LogMapper = { kind: 'metric' };

export const diagnosticsMappers: Record<string, LogMapper> = {
  stats: metric,
  capture_loss: metric,
  weird_stats: metric,
  telemetry: metric,
  telemetry_histogram: metric,
  reporter: { map: mapReporter },
  loaded_scripts: {},
  packet_filter: {},
  config: {},
  print: {},
  analyzer: { category: NETWORK, type: PROTOCOL, action: 'cause', map: mapFailure },
  analyzer_debug: { category: NETWORK, type: PROTOCOL, action: 'cause', map: mapFailure },
  dpd: { category: NETWORK, type: PROTOCOL, map: mapFailure },
  unknown_protocols: { category: NETWORK, type: PROTOCOL },
};

/**
 * Zeek's logs about the sensor itself (the ones above without a category, and the cluster's own logs, which
 * Vigil files without a mapper of their own). Their times say when Zeek ran, not what the network did: reading
 * a capture, Zeek stamps `packet_filter` with the day it was read, and `loaded_scripts` has no time at all and is
 * filed under its file's opening. The detector does not step its windows by them.
 */
export const SENSOR_LOGS: readonly string[] = [
  ...Object.entries(diagnosticsMappers)
    .filter(([, m]) => m.category === undefined)
    .map(([path]) => path),
  'broker',
  'cluster',
  'supervisor',
  'prof',
  'stderr',
  'stdout',
];
