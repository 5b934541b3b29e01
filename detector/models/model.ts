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
}

export interface DetectionModel {
  readonly id: ModelId;
  run(ctx: ModelContext): Promise<void>;
}
