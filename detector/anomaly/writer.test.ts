import type { Client } from '@elastic/elasticsearch';
import { AnomalyWriter, type WrittenAnomaly } from './writer';

/** A bulk endpoint that creates every document: enough to see what the writer keeps for incidents. */
const created = {
  bulk: async ({ operations }: { operations: unknown[] }) => ({
    errors: false,
    items: operations.filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })),
  }),
} as unknown as Client;

function anomaly(id: string, model: string, status: 'alert' | 'observation'): WrittenAnomaly {
  return { id, index: 'vigil-anomalies-test', document: { vigil: { anomaly: { model, status } } } };
}

describe('AnomalyWriter.takeWindow', () => {
  it('returns the window as written, and with an order, grouped by model in that order', async () => {
    const plain = new AnomalyWriter(created);
    const ordered = new AnomalyWriter(created);
    // Two models run at once: their flushes interleave.
    for (const writer of [plain, ordered]) {
      writer.add(anomaly('b1', 'beacon', 'alert'));
      writer.add(anomaly('n1', 'new_connection', 'alert'));
      writer.add(anomaly('b0', 'beacon', 'observation'));
      await writer.flush();
      writer.add(anomaly('b2', 'beacon', 'alert'));
      writer.add(anomaly('n2', 'new_connection', 'alert'));
      writer.add(anomaly('n0', 'new_connection', 'observation'));
      writer.add(anomaly('x1', 'unlisted', 'alert'));
      await writer.flush();
    }
    const asWritten = plain.takeWindow();
    expect(asWritten.alerts.map((a) => a.id)).toEqual(['b1', 'n1', 'b2', 'n2', 'x1']);
    const inOrder = ordered.takeWindow(['new_connection', 'beacon']);
    expect(inOrder.alerts.map((a) => a.id)).toEqual(['n1', 'n2', 'b1', 'b2', 'x1']);
    expect(inOrder.observations.map((a) => a.id)).toEqual(['n0', 'b0']);
    expect(ordered.stats).toEqual({ written: 7, duplicates: 0, alerts: 5 });
    expect(ordered.takeWindow(['beacon']).alerts).toEqual([]);
  });

  it('keeps the order anomalies were added in when a later bulk request comes back first', async () => {
    // Each request waits until released; the second is released before the first.
    const releases: Array<() => void> = [];
    const slow = {
      bulk: ({ operations }: { operations: unknown[] }) =>
        new Promise((resolve) => {
          releases.push(() => resolve({ errors: false, items: operations.filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) }));
        }),
    } as unknown as Client;
    const writer = new AnomalyWriter(slow);
    // One model's anomalies in two requests at once: a model that ended first flushed the other's first ones.
    writer.add(anomaly('n1', 'new_connection', 'alert'));
    writer.add(anomaly('n0', 'new_connection', 'observation'));
    const first = writer.flush();
    writer.add(anomaly('n2', 'new_connection', 'alert'));
    writer.add(anomaly('n3', 'new_connection', 'observation'));
    const second = writer.flush();
    releases[1]();
    await second;
    releases[0]();
    await first;
    const held = writer.takeWindow(['new_connection']);
    expect(held.alerts.map((a) => a.id)).toEqual(['n1', 'n2']);
    expect(held.observations.map((a) => a.id)).toEqual(['n0', 'n3']);
    expect(writer.stats).toEqual({ written: 4, duplicates: 0, alerts: 2 });
  });
});
