import type { Client } from '@elastic/elasticsearch';

export interface WrittenAnomaly {
  id: string;
  index: string;
  document: Record<string, unknown>;
}

/** Observations of one window held for incident context at most; the rest are written but join no incident. */
export const MAX_HELD_OBSERVATIONS = 20_000;

/** An anomaly and its place in the order anomalies were added to the writer. */
interface Sequenced {
  anomaly: WrittenAnomaly;
  seq: number;
}

/**
 * Writes anomalies with `create`: evidence is never overwritten, and the deterministic id makes a re-run of a
 * window a duplicate (409) instead of a second alert. Buffered per model run and flushed in one bulk request.
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
  /** Observations written since the last `takeWindow()`, at most `MAX_HELD_OBSERVATIONS`: context for open incidents. */
  private observations: Sequenced[] = [];
  private observationsDropped = 0;

  constructor(private readonly client: Client) {}

  add(anomaly: WrittenAnomaly): void {
    this.buffer.push({ anomaly, seq: this.added++ });
  }

  /** The alerts and observations held until their window is grouped into incidents. */
  get held(): readonly WrittenAnomaly[] {
    return [...this.alerts, ...this.observations].map((h) => h.anomaly);
  }

  /**
   * The window's alerts, its observations (context for incidents already open), and how many observations were past
   * the cap, in the order they were added, whichever bulk request came back first: models that run at once flush
   * the shared buffer at their own ends, so one model's anomalies can travel in two requests at the same time. With
   * `order` (model ids), those of each model come together, in that order: the same order whichever model finished
   * first.
   */
  takeWindow(order?: readonly string[]): { alerts: WrittenAnomaly[]; observations: WrittenAnomaly[]; observationsDropped: number } {
    const out = {
      alerts: inOrder(this.alerts, order),
      observations: inOrder(this.observations, order),
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
        if (this.observations.length < MAX_HELD_OBSERVATIONS) this.observations.push(batch[i]);
        else this.observationsDropped++;
        return;
      }
      if (status !== 'alert') return;
      this.stats.alerts++;
      this.alerts.push(batch[i]);
    });
  }
}

function modelOf(a: WrittenAnomaly): string {
  return (a.document.vigil as { anomaly: { model: string } }).anomaly.model;
}

/** Anomalies in the order they were added; with `order`, grouped by model in that order (models not named last). */
function inOrder(held: Sequenced[], order: readonly string[] | undefined): WrittenAnomaly[] {
  const rank = new Map((order ?? []).map((id, i) => [id, i]));
  const of = (h: Sequenced) => rank.get(modelOf(h.anomaly)) ?? rank.size;
  return held.sort((a, b) => of(a) - of(b) || a.seq - b.seq).map((h) => h.anomaly);
}
