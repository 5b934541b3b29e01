import { dirname, join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { runSetup } from '../common/es/setup';
import { fileRealmSecurity } from '../cli/local-es/file-realm';
import { currentHost, startLocalEs, stopLocalEs } from '../cli/local-es';
import { defaultHome } from '../cli/local-es/options';
import { benchZeekIngest } from './zeek-ingest';
import { benchMailIngest } from './mail-ingest';

/**
 * `npm run bench`: starts a dedicated local Elasticsearch (its own home and port, so a user's instance is never
 * touched), runs each benchmark and prints its figures with the ratio to the reference measured in the same run.
 * `--lines N` sets the replayed volume (default 1,000,000); `--only zeek|mail` runs one benchmark; `--keep` leaves
 * the instance running.
 */
const SETTLE_MS = 30_000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const linesArg = args.indexOf('--lines');
  const minLines = linesArg >= 0 ? Number(args[linesArg + 1]) : 1_000_000;
  if (!Number.isInteger(minLines) || minLines <= 0) throw new Error('--lines takes a positive whole number');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const onlyArg = args.indexOf('--only');
  const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;
  if (only !== undefined && only !== 'zeek' && only !== 'mail') throw new Error('--only takes zeek or mail');

  // Beside the default instance (somewhere the unprivileged Elasticsearch user can reach), never in it.
  const esOptions = { home: join(dirname(defaultHome(currentHost())), 'bench-elasticsearch'), httpPort: 9260, heap: '1g' };
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
    if (only !== 'mail') {
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
    if (only !== 'zeek') {
      const mail = await benchMailIngest(target, minLines, say);
      say('');
      say('Mail ingest                                   measured   reference / target');
      say(`  mail lines parsed/s                     ${String(mail.parseLinesPerSecond).padStart(10)}`);
      say(`  plain _bulk of their documents, docs/s  ${String(mail.plainBulkDocsPerSecond).padStart(10)}`);
      say(`  parse / Elasticsearch indexing          ${String(mail.parseOverBulk).padStart(10)}   >= 10   ${verdict(mail.parseOverBulk >= 10)}`);
      say(`  messages reconstructed/s (parse incl.)  ${String(mail.messagesPerSecond).padStart(10)}`);
      say(`  end to end, lines/s                     ${String(mail.endToEndLinesPerSecond).padStart(10)}`);
      say(`  worker peak RSS, MB (${mail.messagesOpenAtOnce} open messages) ${String(mail.peakRssMb).padStart(6)}   < 300   ${verdict(mail.peakRssMb < 300)}`);
      say(JSON.stringify({ mailIngest: mail }));
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
