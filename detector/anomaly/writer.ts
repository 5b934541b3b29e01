import type { Client } from '@elastic/elasticsearch';

export interface WrittenAnomaly {
  id: string;
  index: string;
  document: Record<string, unknown>;
}

/** Observations of one window held for incident context at most; the rest are written but join no incident. */
export const MAX_HELD_OBSERVATIONS = 20_000;

/**
 * Writes anomalies with `create`: evidence is never overwritten, and the deterministic id makes a re-run of a
 * window a duplicate (409) instead of a second alert. Buffered per model run and flushed in one bulk request.
 */
export class AnomalyWriter {
  private buffer: WrittenAnomaly[] = [];
  readonly stats = { written: 0, duplicates: 0, alerts: 0 };
  /**
   * Alerts written since the last `takeWindow()`: what incidents are grouped from, window by window. Only alerts
   * and observations are kept, and only until their window is grouped, so memory does not grow with the anomalies
   * of a pass.
   */
  private alerts: WrittenAnomaly[] = [];
  /** Observations written since the last `takeWindow()`, at most `MAX_HELD_OBSERVATIONS`: context for open incidents. */
  private observations: WrittenAnomaly[] = [];
  private observationsDropped = 0;

  constructor(private readonly client: Client) {}

  add(anomaly: WrittenAnomaly): void {
    this.buffer.push(anomaly);
  }

  /** The alerts and observations held until their window is grouped into incidents. */
  get held(): readonly WrittenAnomaly[] {
    return [...this.alerts, ...this.observations];
  }

  /**
   * The window's alerts, its observations (context for incidents already open), and how many observations were past
   * the cap. With `order` (model ids), those of each model come together, in that order, each model's as it wrote
   * them: the same order whichever model finished first.
   */
  takeWindow(order?: readonly string[]): { alerts: WrittenAnomaly[]; observations: WrittenAnomaly[]; observationsDropped: number } {
    const out = {
      alerts: order ? byModel(this.alerts, order) : this.alerts,
      observations: order ? byModel(this.observations, order) : this.observations,
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
    for (const a of batch) operations.push({ create: { _index: a.index, _id: a.id } }, a.document);
    const response = await this.client.bulk({ operations, refresh: false });
    response.items.forEach((item, i) => {
      const result = item.create;
      if (!result) return;
      if (result.status === 409) {
        this.stats.duplicates++;
        return;
      }
      if (result.error) throw new Error(`writing anomaly ${batch[i].id} failed: ${result.error.type}: ${result.error.reason}`);
      this.stats.written++;
      const status = (batch[i].document.vigil as { anomaly: { status: string } }).anomaly.status;
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

/** Anomalies grouped by model in `order` (models not named last), each model's in their order: a stable sort. */
function byModel(anomalies: WrittenAnomaly[], order: readonly string[]): WrittenAnomaly[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  const of = (a: WrittenAnomaly) => rank.get(modelOf(a)) ?? order.length;
  return anomalies.sort((a, b) => of(a) - of(b));
}
