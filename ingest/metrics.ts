import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of the ingest worker, so users can watch the feed itself in Grafana: events in, indexed,
 * dead-lettered per log type, lag, and bulk latency. Counters are incremented once per batch, not per event.
 */
export class IngestMetrics {
  readonly registry = new Registry();
  readonly linesIn = new Counter({ name: 'vigil_ingest_lines_total', help: 'Lines read from log files.', labelNames: ['log_type'], registers: [this.registry] });
  readonly indexed = new Counter({ name: 'vigil_ingest_documents_indexed_total', help: 'Documents Elasticsearch created.', labelNames: ['log_type'], registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'vigil_ingest_documents_duplicate_total', help: 'Documents already present (replays).', labelNames: ['log_type'], registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'vigil_ingest_dead_lettered_total', help: 'Lines that failed to parse and documents Elasticsearch rejected, sent to the dead-letter index.', labelNames: ['log_type'], registers: [this.registry] });
  readonly retries = new Counter({ name: 'vigil_ingest_bulk_retries_total', help: 'Bulk requests or documents sent again after a transient failure.', registers: [this.registry] });
  readonly bulkLatency = new Histogram({
    name: 'vigil_ingest_bulk_latency_seconds',
    help: 'Time from sending a bulk request to every document in it being settled, retries included.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly lagBytes = new Gauge({ name: 'vigil_ingest_lag_bytes', help: 'Bytes written to followed files and not yet committed.', registers: [this.registry] });
  readonly lagSeconds = new Gauge({ name: 'vigil_ingest_lag_seconds', help: 'How long the oldest unread data has been waiting; 0 when caught up.', registers: [this.registry] });
  readonly files = new Gauge({ name: 'vigil_ingest_files', help: 'Files known to the source.', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vigil_ingest_' });
  }

  /** Serves `/metrics` on host:port; resolves when listening. */
  async listen(address: string): Promise<Server> {
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(at + 1));
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found: try /metrics\n');
        return;
      }
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
