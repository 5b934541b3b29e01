import type { Client } from '@elastic/elasticsearch';
import type { ModelId } from '../../common/config/detector-schema';
import type { VigilConfig } from '../../common/config/schema';
import type { Logger } from '../../common/log';
import type { AnomalyDraft } from '../anomaly/anomaly';
import type { BaselineStore } from '../baseline/store';
import type { Feedback } from '../feedback/evaluations';
import type { MaintenanceCalendar, ZoneMap } from '../feedback/scope';
import type { Partition } from '../partition';

/** One detection window, [start, end) in epoch milliseconds of event time. */
export interface DetectionWindow {
  start: number;
  end: number;
}

/**
 * What a model gets for one window. A model reads events only through composite aggregations (`compositePages`),
 * keeps what it learns in `baselines`, and reports deviations with `emit`; the pass decides their status
 * (alert, observation, expected in maintenance, suppressed) and writes them.
 */
export interface ModelContext {
  client: Client;
  window: DetectionWindow;
  config: VigilConfig;
  baselines: BaselineStore;
  partition: Partition;
  feedback: Feedback;
  maintenance: MaintenanceCalendar;
  zones: ZoneMap;
  isLocal(ip: string): boolean;
  log: Logger;
  /** Reports a deviation; written when the model's run ends (or at the next flush). */
  emit(anomaly: AnomalyDraft): void;
  /** Adds to the pass summary: entities whose baselines the model updated (the pass counts the window's events itself). */
  count(events: number, entities: number): void;
  /** Half-life of baselines in milliseconds. */
  halfLifeMs: number;
  /**
   * Events of the window by dataset (`event.dataset`), counted once by the pass, so that a model skips the sweeps
   * of logs the window does not hold. Undefined when not known: then every sweep runs.
   */
  datasets?: ReadonlyMap<string, number>;
}

/**
 * Whether the window holds events of any of these datasets (`zeek.conn`; a name ending in `*` is a prefix:
 * `mail.*`). True when the window's datasets are not known.
 */
export function hasEvents(ctx: Pick<ModelContext, 'datasets'>, ...datasets: string[]): boolean {
  const counted = ctx.datasets;
  if (counted === undefined) return true;
  for (const d of datasets) {
    if (d.endsWith('*')) {
      const prefix = d.slice(0, -1);
      for (const [name, n] of counted) if (n > 0 && name.startsWith(prefix)) return true;
    } else if ((counted.get(d) ?? 0) > 0) return true;
  }
  return false;
}

export interface DetectionModel {
  readonly id: ModelId;
  /**
   * Models whose baselines this one reads. In a window it runs after them, so that it sees what they learned from
   * that window whatever the concurrency. Models not named run in any order, and at once.
   */
  readonly reads?: readonly ModelId[];
  run(ctx: ModelContext): Promise<void>;
}
