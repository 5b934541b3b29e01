import { dirname, join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { runSetup } from '../common/es/setup';
import { validateConfig } from '../common/config/load';
import { fileRealmSecurity } from '../cli/local-es/file-realm';
import { currentHost, startLocalEs, stopLocalEs } from '../cli/local-es';
import { defaultHome } from '../cli/local-es/options';
import { benchZeekIngest } from './zeek-ingest';
import { benchMailIngest } from './mail-ingest';
import { benchDetect, type DetectSizeResult } from './detect';

/**
 * `npm run bench`: starts a dedicated local Elasticsearch (its own home and port, so a user's instance is never
 * touched), runs each benchmark and prints its figures with the ratio to the reference measured in the same run.
 * `--lines N` sets the replayed volume of the ingest benchmarks (default 1,000,000); `--only zeek|mail|detect|assets` runs
 * one benchmark; `--keep` leaves the instance running. VIGIL_BENCH_ES_PORT and VIGIL_BENCH_ES_HOME move the instance
 * (two benchmarks on one machine); VIGIL_BENCH_DETECT_SMALL / VIGIL_BENCH_DETECT_LARGE set the detection volumes.
 */
const SETTLE_MS = 30_000;
/** Models a detection pass runs at once: the default, as the benchmark's pass runs with the default configuration. */
const DETECT_CONCURRENCY = validateConfig({}, 'the benchmark').detector.concurrency;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const linesArg = args.indexOf('--lines');
  const minLines = linesArg >= 0 ? Number(args[linesArg + 1]) : 1_000_000;
  if (!Number.isInteger(minLines) || minLines <= 0) throw new Error('--lines takes a positive whole number');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
  if (only !== undefined && !['zeek', 'mail', 'detect', 'assets'].includes(only)) throw new Error('--only takes zeek, mail, detect or assets');
  const run = (part: string) => only === undefined || only === part;
  const port = process.env.VIGIL_BENCH_ES_PORT ? Number(process.env.VIGIL_BENCH_ES_PORT) : 9260;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('VIGIL_BENCH_ES_PORT takes a port number');

  // Beside the default instance (somewhere the unprivileged Elasticsearch user can reach), never in it.
  const home = process.env.VIGIL_BENCH_ES_HOME || join(dirname(defaultHome(currentHost())), 'bench-elasticsearch');
  const esOptions = { home, httpPort: port, heap: '1g' };
  say(`starting the benchmark Elasticsearch in ${esOptions.home}`);
  const es = await startLocalEs(esOptions, (m) => say(`  ${m}`));
  const client = new Client({ node: es.url, auth: { username: es.username, password: es.password }, requestTimeout: 120_000 });
  try {
    await runSetup(client, { replicas: 0, security: fileRealmSecurity(client, esOptions) });
    // A node just started keeps a core busy for a while (compiling, allocating its caches); the CPU-only figures
    // measured first would share the machine with it.
    say(`letting the new node settle for ${SETTLE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
    const target = { client, url: es.url, username: es.username, password: es.password };
    if (run('zeek')) {
      const zeek = await benchZeekIngest(target, minLines, say);
      say('');
      say('Zeek ingest                                   measured   reference / target');
      say(`  parse and normalize, lines/s            ${String(zeek.parseLinesPerSecond).padStart(10)}`);
      say(`  end to end, docs/s                      ${String(zeek.endToEndDocsPerSecond).padStart(10)}`);
      say(`  plain _bulk of the same documents, docs/s ${String(zeek.plainBulkDocsPerSecond).padStart(8)}`);
      say(`  end to end / plain bulk                 ${String(zeek.endToEndOverPlainBulk).padStart(10)}   >= 0.8  ${verdict(zeek.endToEndOverPlainBulk >= 0.8)}`);
      say(`  parse / end to end                      ${String(zeek.parseOverEndToEnd).padStart(10)}   >= 10   ${verdict(zeek.parseOverEndToEnd >= 10)}`);
      say(`  parse, normalize and serialize, lines/s ${String(zeek.serializeLinesPerSecond).padStart(10)}`);
      say(`  ... / end to end                        ${String(zeek.serializeOverEndToEnd).padStart(10)}   (whole CPU cost of a line in the worker)`);
      say(`  worker peak RSS, MB (${zeek.lines} lines)    ${String(zeek.peakRssMb).padStart(8)}   < 300   ${verdict(zeek.peakRssMb < 300)}`);
      say(`  worker peak RSS, MB (a quarter of them) ${String(zeek.peakRssMbSmallInput).padStart(10)}   < 300   ${verdict(zeek.peakRssMbSmallInput < 300)}`);
      say(JSON.stringify({ zeekIngest: zeek }));
    }
    if (run('mail')) {
      const mail = await benchMailIngest(target, minLines, say);
      say('');
      say('Mail ingest                                   measured   reference / target');
      say(`  mail lines parsed/s                     ${String(mail.parseLinesPerSecond).padStart(10)}`);
      say(`  plain _bulk of their documents, docs/s  ${String(mail.plainBulkDocsPerSecond).padStart(10)}`);
      say(`  parse / Elasticsearch indexing          ${String(mail.parseOverBulk).padStart(10)}   >= 10   ${verdict(mail.parseOverBulk >= 10)}`);
      say(`  every daemon of the corpus, lines/s     ${String(mail.corpusParseLinesPerSecond).padStart(10)}`);
      say(`  the same / Elasticsearch indexing       ${String(mail.corpusParseOverBulk).padStart(10)}`);
      say(`  messages reconstructed/s (parse incl.)  ${String(mail.messagesPerSecond).padStart(10)}`);
      say(`  end to end, lines/s                     ${String(mail.endToEndLinesPerSecond).padStart(10)}`);
      say(`  worker peak RSS, MB (${mail.messagesOpenAtOnce} open messages) ${String(mail.peakRssMb).padStart(6)}   < 300   ${verdict(mail.peakRssMb < 300)}`);
      say(JSON.stringify({ mailIngest: mail }));
    }
    if (run('detect') || run('assets')) {
      const setup = async () => {
        await runSetup(client, { replicas: 0, security: fileRealmSecurity(client, esOptions) });
      };
      const parts = { detect: run('detect'), assets: run('assets') };
      const detect = await benchDetect(target, setup, say, undefined, parts);
      const [small, large] = detect.sizes;
      const column = (f: (s: DetectSizeResult) => number | string | undefined) =>
        detect.sizes.map((s) => String(f(s) ?? 'failed').padStart(12)).join('');
      const within = (f: (s: DetectSizeResult) => number | undefined, ok: (v: number) => boolean) =>
        detect.sizes.every((s) => f(s) !== undefined && ok(f(s)!));
      if (parts.assets) {
        say('');
        say(`Inventory pass (conn events over one day)    ${detect.sizes.map((s) => `${s.events / 1e6}M events`.padStart(12)).join('')}   target`);
        say(`  devices                                 ${column((s) => s.assets?.summary?.devices.observed)}`);
        say(`  sweep by device with last seen, s       ${column((s) => s.assets?.lastSeenSweepSeconds)}   (reads every event)`);
        say(`  sweep by device, keys only, s           ${column((s) => s.assets?.deviceSweepSeconds)}   (answered from the term index)`);
        say(`  detection floor (per-window sweep), s   ${column((s) => s.floorSeconds)}`);
        say(`  inventory pass, s                       ${column((s) => s.assets?.passSeconds)}`);
        // The target is set on the largest volume (10M events by default): at 1M, the pass's fixed costs (starting,
        // writing every device of a first pass) outweigh a sweep that takes half a second.
        const largest = detect.sizes[detect.sizes.length - 1];
        const atLargest = (f: (s: DetectSizeResult) => number | undefined, ok: (v: number) => boolean) => largest !== undefined && f(largest) !== undefined && ok(f(largest)!);
        const at = largest ? `at ${largest.events / 1e6}M: ` : '';
        say(`  pass / sweep with last seen             ${column((s) => s.assets?.passOverLastSeenSweep)}   < 2     ${at}${verdict(atLargest((s) => s.assets?.passOverLastSeenSweep, (v) => v < 2))}`);
        say(`  pass / detection floor                  ${column((s) => s.assets?.passOverFloor)}   < 2     ${at}${verdict(atLargest((s) => s.assets?.passOverFloor, (v) => v < 2))}`);
        say(`  pass / keys-only sweep                  ${column((s) => s.assets?.passOverDeviceSweep)}`);
        say(`  pass peak RSS, MB                       ${column((s) => s.assets?.peakRssMb)}   < 300   ${verdict(within((s) => s.assets?.peakRssMb, (v) => v < 300))}`);
      }
      if (!parts.detect) {
        say(JSON.stringify({ detect }));
        return;
      }
      say('');
      say(`Detection pass (conn events over one day)    ${detect.sizes.map((s) => `${s.events / 1e6}M events`.padStart(12)).join('')}   target`);
      say(`  indexing, docs/s                        ${column((s) => s.loadDocsPerSecond)}`);
      say(`  devices                                 ${column((s) => s.devices)}`);
      say(`  external destinations                   ${column((s) => s.externalPeers)}`);
      say(`  windows / floor buckets                 ${column((s) => `${s.windows}/${s.buckets}`)}`);
      say(`  floor: one composite sweep, s           ${column((s) => s.floorSeconds)}`);
      say(`  pass, s                                 ${column((s) => s.passSeconds)}`);
      say(`  pass / floor                            ${column((s) => s.passOverFloor)}   <= 3    ${verdict(within((s) => s.passOverFloor, (v) => v <= 3))}`);
      say(`  pass peak RSS, MB                       ${column((s) => s.peakRssMb)}   < 500   ${verdict(within((s) => s.peakRssMb, (v) => v < 500))}`);
      if (small && large) {
        const independent = detect.rssLargeOverSmall !== undefined && detect.rssLargeOverSmall <= 1.2;
        say(`  pass peak RSS ${large.events / 1e6}M / ${small.events / 1e6}M                ${String(detect.rssLargeOverSmall ?? 'failed').padStart(10)}   <= 1.2  ${verdict(independent)}`);
      }
      if (detect.sizes.some((s) => s.uncapped)) {
        const heap = detect.sizes.find((s) => s.uncapped)!.uncapped!.heapMb;
        say(`  where the pass ran out of memory, again with a ${heap} MB heap:`);
        say(`    pass, s                               ${column((s) => s.uncapped?.passSeconds ?? '-')}`);
        say(`    pass / floor                          ${column((s) => s.uncapped?.passOverFloor ?? '-')}`);
        say(`    pass peak RSS, MB                     ${column((s) => s.uncapped?.peakRssMb ?? '-')}`);
        if (detect.rssUncappedLargeOverSmall !== undefined) say(`    pass peak RSS ${large.events / 1e6}M / ${small.events / 1e6}M              ${String(detect.rssUncappedLargeOverSmall).padStart(10)}`);
      }
      // Models run at once (detector.concurrency): their times overlap and add up to more than the pass.
      say(`  per model (the pass that finished, ${DETECT_CONCURRENCY} at once), s / floor:`);
      for (const id of new Set(detect.sizes.flatMap((s) => Object.keys(s.pass?.byModel ?? {})))) {
        say(`    ${id.padEnd(36)}${column((s) => (s.pass?.byModel[id] ? Math.round((s.pass.byModel[id].seconds / s.floorSeconds) * 100) / 100 : undefined))}`);
      }
      say(`  new-connection's own sweep / floor      ${column((s) => Math.round((s.newConnectionSweepSeconds / s.floorSeconds) * 100) / 100)}`);
      say(`  one sweep for every conn model / floor  ${column((s) => Math.round((s.sharedSweepSeconds / s.floorSeconds) * 100) / 100)}`);
      say(`  floor with 10,000-bucket pages / floor  ${column((s) => Math.round((s.floorLargePagesSeconds / s.floorSeconds) * 100) / 100)}`);
      say(`  floor paged plainly / floor             ${column((s) => Math.round((s.floorPlainSeconds / s.floorSeconds) * 100) / 100)}`);
      say(`  pass / floor paged plainly              ${column((s) => s.passOverPlainFloor)}`);
      say(`  sweep process peak RSS, MB              ${column((s) => s.floorRssMb)}`);
      say(JSON.stringify({ detect }));
    }
  } finally {
    await client.close();
    if (!args.includes('--keep')) await stopLocalEs(esOptions);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
