import type { Client } from '@elastic/elasticsearch';

export interface WrittenAnomaly {
  id: string;
  index: string;
  document: Record<string, unknown>;
}

/** Observations of one window held for incident context at most; the rest are written but join no incident. */
export const MAX_HELD_OBSERVATIONS = 20_000;
/** Observations past the cap are let in up to this many, then the last in order are given up in one go. */
const OBSERVATION_SLACK = MAX_HELD_OBSERVATIONS / 4;

/** An anomaly and its place in the order anomalies were added to the writer. */
interface Sequenced {
  anomaly: WrittenAnomaly;
  seq: number;
}

/**
 * Writes anomalies with `create`: evidence is never overwritten, and the deterministic id makes a re-run of a
 * window a duplicate (409) instead of a second alert. Buffered per model run and flushed in one bulk request.
 *
 * What it hands to incident grouping does not depend on timing. Models that run at once flush the shared buffer at
 * their own ends, so one model's anomalies can travel in two bulk requests at the same time, and the later can come
 * back first. The writer keeps the order anomalies were added in, each model's together in the models' `order`
 * (model ids; models not named come last): the order a pass running one model at a time gives.
 */
export class AnomalyWriter {
  private buffer: Sequenced[] = [];
  private added = 0;
  readonly stats = { written: 0, duplicates: 0, alerts: 0 };
  /**
   * Alerts written since the last `takeWindow()`: what incidents are grouped from, window by window. Only alerts
   * and observations are kept, and only until their window is grouped, so memory does not grow with the anomalies
   * of a pass.
   */
  private alerts: Sequenced[] = [];
  /**
   * Observations written since the last `takeWindow()`: context for open incidents. Past `MAX_HELD_OBSERVATIONS`,
   * the last in order are given up, so the same ones are kept whichever request came back first.
   */
  private observations: Sequenced[] = [];
  private observationsDropped = 0;
  private readonly rank: Map<string, number>;

  constructor(private readonly client: Client, order: readonly string[] = []) {
    this.rank = new Map(order.map((id, i) => [id, i]));
  }

  add(anomaly: WrittenAnomaly): void {
    this.buffer.push({ anomaly, seq: this.added++ });
  }

  /** The alerts and observations held until their window is grouped into incidents. */
  get held(): readonly WrittenAnomaly[] {
    return [...this.alerts, ...this.observations].map((h) => h.anomaly);
  }

  /** The window's alerts, its observations (context for incidents already open), and how many observations were past the cap, in order. */
  takeWindow(): { alerts: WrittenAnomaly[]; observations: WrittenAnomaly[]; observationsDropped: number } {
    this.capObservations(MAX_HELD_OBSERVATIONS);
    const out = {
      alerts: this.inOrder(this.alerts),
      observations: this.inOrder(this.observations),
      observationsDropped: this.observationsDropped,
    };
    this.alerts = [];
    this.observations = [];
    this.observationsDropped = 0;
    return out;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const operations: unknown[] = [];
    for (const { anomaly: a } of batch) operations.push({ create: { _index: a.index, _id: a.id } }, a.document);
    const response = await this.client.bulk({ operations, refresh: false });
    response.items.forEach((item, i) => {
      const result = item.create;
      if (!result) return;
      if (result.status === 409) {
        this.stats.duplicates++;
        return;
      }
      if (result.error) throw new Error(`writing anomaly ${batch[i].anomaly.id} failed: ${result.error.type}: ${result.error.reason}`);
      this.stats.written++;
      const status = (batch[i].anomaly.document.vigil as { anomaly: { status: string } }).anomaly.status;
      if (status === 'observation') {
        this.observations.push(batch[i]);
        return;
      }
      if (status !== 'alert') return;
      this.stats.alerts++;
      this.alerts.push(batch[i]);
    });
    this.capObservations(MAX_HELD_OBSERVATIONS + OBSERVATION_SLACK);
  }

  /** Sorts the held observations into order and gives up those past the cap, when there are more than `over`. */
  private capObservations(over: number): void {
    if (this.observations.length <= over) return;
    this.sort(this.observations);
    this.observationsDropped += this.observations.length - MAX_HELD_OBSERVATIONS;
    this.observations.length = MAX_HELD_OBSERVATIONS;
  }

  private sort(held: Sequenced[]): Sequenced[] {
    const of = (h: Sequenced) => this.rank.get(modelOf(h.anomaly)) ?? this.rank.size;
    return held.sort((a, b) => of(a) - of(b) || a.seq - b.seq);
  }

  private inOrder(held: Sequenced[]): WrittenAnomaly[] {
    return this.sort(held).map((h) => h.anomaly);
  }
}

function modelOf(a: WrittenAnomaly): string {
  return (a.document.vigil as { anomaly: { model: string } }).anomaly.model;
}
