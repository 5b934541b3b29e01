import type { Client } from '@elastic/elasticsearch';
import { AnomalyWriter, MAX_HELD_OBSERVATIONS, type WrittenAnomaly } from './writer';

/** A bulk response that created every document of the request. */
function allCreated({ operations }: { operations: unknown[] }) {
  return { errors: false, items: operations.filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) };
}

/** A bulk endpoint that creates every document: enough to see what the writer keeps for incidents. */
const created = { bulk: async (request: { operations: unknown[] }) => allCreated(request) } as unknown as Client;

function anomaly(id: string, model: string, status: 'alert' | 'observation'): WrittenAnomaly {
  return { id, index: 'vigil-anomalies-test', document: { vigil: { anomaly: { model, status } } } };
}

/** A bulk endpoint whose responses wait until the test releases them, in any order. */
function heldBack(): { client: Client; releases: Array<() => void> } {
  const releases: Array<() => void> = [];
  const client = {
    bulk: (request: { operations: unknown[] }) =>
      new Promise((resolve) => {
        releases.push(() => resolve(allCreated(request)));
      }),
  } as unknown as Client;
  return { client, releases };
}

describe('AnomalyWriter.takeWindow', () => {
  it('returns the window as written, and with an order, grouped by model in that order', async () => {
    const plain = new AnomalyWriter(created);
    const ordered = new AnomalyWriter(created, ['new_connection', 'beacon']);
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
    const inOrder = ordered.takeWindow();
    expect(inOrder.alerts.map((a) => a.id)).toEqual(['n1', 'n2', 'b1', 'b2', 'x1']);
    expect(inOrder.observations.map((a) => a.id)).toEqual(['n0', 'b0']);
    expect(ordered.stats).toEqual({ written: 7, duplicates: 0, alerts: 5 });
    expect(ordered.takeWindow().alerts).toEqual([]);
  });

  it('keeps the order anomalies were added in when a later bulk request comes back first', async () => {
    const { client: slow, releases } = heldBack();
    const writer = new AnomalyWriter(slow, ['new_connection']);
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
    const held = writer.takeWindow();
    expect(held.alerts.map((a) => a.id)).toEqual(['n1', 'n2']);
    expect(held.observations.map((a) => a.id)).toEqual(['n0', 'n3']);
    expect(writer.stats).toEqual({ written: 4, duplicates: 0, alerts: 2 });
  });

  it('keeps the same observations past the cap whichever request came back first: the first in the models\' order', async () => {
    const perModel = MAX_HELD_OBSERVATIONS * 0.75;
    /** Two models at once: each flush carries a share of each, and the responses come back in `release` order. */
    async function window(release: (releases: Array<() => void>) => void) {
      const { client, releases } = heldBack();
      const writer = new AnomalyWriter(client, ['new_connection', 'beacon']);
      const flushes: Array<Promise<void>> = [];
      for (let part = 0; part < 4; part++) {
        for (let i = (part * perModel) / 4; i < ((part + 1) * perModel) / 4; i++) {
          writer.add(anomaly(`b${i}`, 'beacon', 'observation'));
          writer.add(anomaly(`n${i}`, 'new_connection', 'observation'));
        }
        flushes.push(writer.flush());
      }
      release(releases);
      await Promise.all(flushes);
      return writer.takeWindow();
    }
    const inTurn = await window((releases) => releases.forEach((r) => r()));
    const reversed = await window((releases) => [...releases].reverse().forEach((r) => r()));
    for (const held of [inTurn, reversed]) {
      expect(held.observations.length).toBe(MAX_HELD_OBSERVATIONS);
      expect(held.observationsDropped).toBe(2 * perModel - MAX_HELD_OBSERVATIONS);
    }
    const ids = inTurn.observations.map((a) => a.id);
    expect(reversed.observations.map((a) => a.id)).toEqual(ids);
    // Every observation of the first model, in the order added, then the first of the second.
    expect(ids.slice(0, 3)).toEqual(['n0', 'n1', 'n2']);
    expect(ids[perModel - 1]).toBe(`n${perModel - 1}`);
    expect(ids[perModel]).toBe('b0');
    expect(ids[MAX_HELD_OBSERVATIONS - 1]).toBe(`b${MAX_HELD_OBSERVATIONS - perModel - 1}`);
  });
});
