import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIL_EVENTS_PATTERN } from '../../common/es/names';
import type { IngestSummary } from '../../ingest/stats';
import type { SyslogReceiverStats } from '../../ingest/source/syslog/receiver';
import { closeUdp, connectTcp, sendAndClose, sendDatagrams, udpSender } from '../../ingest/source/syslog/receiver.fixture';
import { lineFramed, octetCounted, realMessages } from '../../ingest/source/syslog/messages.fixture';
import { testEsControl, useTestEsClient } from '../harness/es';
import { jsonSummary, startVigil } from '../support/cli';
import { afterRefresh, countDeadLetters, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';
import { waitFor } from '../support/wait';

/**
 * The syslog receiver under a burst while Elasticsearch is frozen (SIGSTOP): 100k real mail lines over TCP, in
 * both framings, and 100k over UDP. Once Elasticsearch resumes, every TCP line must be indexed exactly once; UDP
 * cannot push back, so a datagram may be lost, but then it is counted in the summary, never silently.
 * Each message carries its number as its pid: TCP ones are numbered below 100k, UDP ones from 100k.
 */
const PER_TRANSPORT = 100_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('syslog receiver with Elasticsearch paused', () => {
  const es = useTestEsClient();

  it('indexes every TCP line after Elasticsearch resumes and counts any UDP loss', async () => {
    await resetVigilData(es());
    const { env } = await ingestEnvironment(es(), { bulk: { retryInitialMs: 200, retryMaxMs: 2000 }, mail: { timeZone: 'UTC' } });
    const port = await freePort();
    const worker = startVigil(['ingest', 'mail', '--json', '--syslog', `tcp://127.0.0.1:${port},udp://127.0.0.1:${port}`], env);
    try {
      await waitFor(async () => {
        try {
          (await connectTcp(port)).destroy();
          return true;
        } catch {
          return false;
        }
      }, 'the syslog receiver listening');

      const control = testEsControl();
      await control.pause();
      let paused = true;
      try {
        // Half the TCP lines newline-framed on one connection, half octet-counted on another, at the same time.
        const tcpMessages = realMessages(0, PER_TRANSPORT);
        const half = PER_TRANSPORT / 2;
        const lines = connectTcp(port).then((s) => sendAndClose(s, [lineFramed(tcpMessages.slice(0, half))]));
        const counted = connectTcp(port).then((s) => sendAndClose(s, tcpMessages.slice(half).map(octetCounted)));
        const udp = await udpSender();
        let sentUdp = 0;
        const udpMessages = realMessages(PER_TRANSPORT, PER_TRANSPORT);
        for (let i = 0; i < udpMessages.length; i += 1000) {
          sentUdp += await sendDatagrams(udp, port, udpMessages.slice(i, i + 1000));
          // A sender paced like a busy mail server, not a flood: the kernel's buffer keeps up.
          await sleep(5);
        }
        await closeUdp(udp);
        await Promise.all([lines, counted]);
        expect(sentUdp).toBe(PER_TRANSPORT);
        // Elasticsearch stays frozen a little longer: the worker's requests hang, the receiver keeps buffering.
        await sleep(5000);
        expect(worker.exitCode).toBeNull();
      } finally {
        if (paused) await control.resume();
        paused = false;
      }

      const byTransport = async () => {
        const res = await afterRefresh(es(), () => es().search({
          // The first event creates the index: until then there is nothing to count.
          index: MAIL_EVENTS_PATTERN,
          allow_no_indices: true,
          size: 0,
          track_total_hits: true,
          aggs: { tcp: { filter: { range: { 'process.pid': { lt: PER_TRANSPORT } } } }, udp: { filter: { range: { 'process.pid': { gte: PER_TRANSPORT } } } } },
        }));
        const aggs = res.aggregations as Record<string, { doc_count: number }> | undefined;
        return { tcp: aggs?.tcp.doc_count ?? 0, udp: aggs?.udp.doc_count ?? 0, total: (res.hits.total as { value: number }).value };
      };
      try {
        await waitFor(async () => (await byTransport()).tcp >= PER_TRANSPORT, 'every TCP line indexed', 300_000);
      } finally {
        worker.kill('SIGTERM');
      }
      const run = await worker.output;
      expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
      const summary = jsonSummary<IngestSummary & { syslog: SyslogReceiverStats }>(run);
      const counts = await byTransport();
      expect(counts.tcp).toBe(PER_TRANSPORT);
      expect(summary.syslog.received.tcp).toBe(PER_TRANSPORT);
      // Every datagram is indexed or counted as lost, and nothing else was indexed.
      const lostUdp = summary.syslog.udpDroppedFull + summary.syslog.udpDroppedKernel;
      expect(counts.udp + lostUdp).toBe(PER_TRANSPORT);
      expect(summary.syslog.received.udp).toBe(counts.udp);
      expect(counts.total).toBe(counts.tcp + counts.udp);
      expect(await countDeadLetters(es())).toBe(0);
      process.stdout.write(`syslog burst: ${counts.tcp} TCP lines indexed, ${counts.udp} UDP indexed, ${lostUdp} UDP lost and counted\n`);
    } finally {
      // A failure above must not leave the worker running.
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    }
  }, 600_000);
});
