import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { compositePages, type CompositeBucket, type CompositeRequest } from '../../detector/query/composite';
import { SWEEPS as BENCH_SWEEPS } from '../../bench/detect-sweeps';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS, dataLines, readLog } from '../support/corpus';
import { detectorEnvironment } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
/** A day of connections (011) and the lookups of a capture with hundreds of names (005). */
const FILES = [join(STRATOSPHERE, '011-zeek-mixed', 'data', 'conn.log.labeled'), join(STRATOSPHERE, '005-zeek-scenario-malicious', 'dns.log')];
const TIMEOUT = 10 * 60_000;

/** Requests shaped as the models' sweeps are: what is led by which field, with which keys and sub-aggregations. */
const SWEEPS: Record<string, Pick<CompositeRequest, 'sources' | 'aggs'> & { dataset: string }> = {
  // The benchmark's copy of the new-connection model's request.
  'connections by device, peer, port, transport and protocol (new connection)': { dataset: 'zeek.conn', ...BENCH_SWEEPS.new_connection },
  'connection starts of each pair by the second (beacon)': {
    dataset: 'zeek.conn',
    sources: [
      { src: { terms: { field: 'source.ip' } } },
      { peer: { terms: { field: 'destination.ip' } } },
      { port: { terms: { field: 'destination.port' } } },
      { t: { date_histogram: { field: '@timestamp', fixed_interval: '1s' } } },
    ],
  },
  'connections by the device reached and its sources (inbound)': {
    dataset: 'zeek.conn',
    sources: [
      { device: { terms: { field: 'destination.ip' } } },
      { port: { terms: { field: 'destination.port', missing_bucket: true } } },
      { source: { terms: { field: 'source.ip' } } },
    ],
    aggs: { answered: { filter: { range: { 'destination.bytes': { gt: 0 } } } } },
  },
  'bytes by device (volume)': {
    dataset: 'zeek.conn',
    sources: [{ device: { terms: { field: 'source.ip' } } }],
    aggs: { sent: { sum: { field: 'source.bytes' } }, peers: { cardinality: { field: 'destination.ip' } } },
  },
  'lookups by name and client (DNS, led by a keyword)': {
    dataset: 'zeek.dns',
    sources: [{ name: { terms: { field: 'dns.question.name' } } }, { client: { terms: { field: 'source.ip' } } }],
    aggs: { first: { min: { field: '@timestamp' } } },
  },
  'ports by port number (led by a number)': {
    dataset: 'zeek.conn',
    sources: [{ port: { terms: { field: 'destination.port' } } }, { device: { terms: { field: 'source.ip' } } }],
  },
};

async function sweepAll(client: Client, request: CompositeRequest): Promise<{ buckets: CompositeBucket[]; pages: number }> {
  const buckets: CompositeBucket[] = [];
  let pages = 0;
  for await (const page of compositePages(client, request)) {
    pages++;
    buckets.push(...page);
  }
  return { buckets, pages };
}

/**
 * A sweep cut into ranges of its first source (see `compositePages`) against the plain sweep, on a real day of
 * connections and on real lookups, in the real Elasticsearch: the same buckets, with the same figures, in the same order,
 * whatever the type of the first source (address, keyword, number). Small pages make every sweep one of many ranges.
 */
describe('composite sweeps cut into ranges on the real Elasticsearch', () => {
  const es = useTestEsClient();

  beforeAll(async () => {
    await resetVigilData(es());
    const env = await detectorEnvironment(es());
    const summary = await env.ingest(FILES);
    expect(summary.documentsIndexed).toBeGreaterThanOrEqual(0.99 * FILES.reduce((n, f) => n + dataLines(readLog(f)), 0));
    await refresh(es());
  }, TIMEOUT);

  it.each(Object.keys(SWEEPS))('%s: the buckets of the plain sweep', async (name) => {
    const { dataset, ...shape } = SWEEPS[name];
    for (const size of [23, 101]) {
      const request: CompositeRequest = { index: ZEEK_EVENTS_PATTERN, query: { bool: { filter: [{ term: { 'event.dataset': dataset } }] } }, size, ...shape };
      const plain = await sweepAll(es(), { ...request, ranges: false });
      const ranged = await sweepAll(es(), request);
      expect(plain.pages).toBeGreaterThan(2);
      expect(ranged.buckets.length).toBe(plain.buckets.length);
      expect(ranged.buckets).toEqual(plain.buckets);
    }
  }, TIMEOUT);
});
