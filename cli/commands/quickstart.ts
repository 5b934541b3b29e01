import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ANOMALIES_ALIAS, ZEEK_EVENTS_ALIAS, DEAD_LETTER_INDEX } from '../../common/es/names';
import { lateText, outsideLocalText, runPass } from '../../detector/pass';
import { runAssetPass } from '../../detector/assets/pass';
import { formatAssetPass } from './assets';
import { allModels } from '../../detector/models';
import { loadConfig } from '../../common/config/load';
import { startLocalEs } from '../local-es';
import { commandContext } from '../context';
import { UsageError } from '../../common/errors';
import { formatSummary, ingestZeek, zeekLogNames } from './ingest';
import { setupAction } from './setup';
import { defaultLocalNetworks } from '../../common/config/schema';
import { zeekLocalNetworks } from '../../detector/site-networks';

/** The sample shipped with Vigil: real Zeek logs, with their license and attribution beside them. */
export const SAMPLE_ZEEK_DIR = resolve(__dirname, '..', '..', '..', 'samples', 'zeek');

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('First run: start a local Elasticsearch unless one is configured, set it up, ingest Zeek logs once, run one inventory and one detection pass, and summarise.')
    .argument('[zeek-dir]', 'Zeek log directory (its subdirectories included) or files to ingest; default: the sample logs shipped with Vigil')
    .option('--json', 'print the ingest and detection summaries as one JSON line')
    .action(async (dir: string | undefined, flags: { json?: boolean }) => {
      const configFile: string | undefined = program.opts().config;
      // A first run prints its own story; the worker's JSON logs would drown it unless asked for.
      process.env.VIGIL_LOG_LEVEL ??= 'warn';
      const out = (text: string) => !flags.json && process.stdout.write(text);
      if (!loadConfig({ file: configFile }).elasticsearch.url) {
        out('Starting the local Elasticsearch (the first start downloads it)...\n');
        const info = await startLocalEs();
        out(`Elasticsearch ${info.version ?? ''} is running at ${info.url}; credentials in ${info.credentialsFile}\n`);
      }
      out('Installing index templates, roles and users...\n');
      await setupAction(configFile, { json: false, quiet: Boolean(flags.json) });
      const paths = [dir ?? SAMPLE_ZEEK_DIR];
      out(`Ingesting ${paths[0]} ...\n`);
      // A first run reads the folder it is given whole: an archive of dated folders, a capture with its logs in data/.
      const summary = await ingestZeek(configFile, paths, { once: true, recursive: true, progress: !flags.json });
      const searched = { paths, logs: zeekLogNames(true) };
      if (summary.filesFound === 0) throw new UsageError(formatSummary(summary, searched).trimEnd());
      out(formatSummary(summary, searched));
      const ctx = commandContext(configFile);
      const { client, connection } = await ctx.connect('admin');
      await client.indices.refresh({ index: [ZEEK_EVENTS_ALIAS, DEAD_LETTER_INDEX], ignore_unavailable: true });
      // A pattern of life is learned for local devices only. A site on public addresses that kept the private defaults
      // would get none: this first run takes the networks its Zeek called local, and says so.
      let config = ctx.config;
      let localAdded: string[] = [];
      if (sameNetworks(config.networks.local, defaultLocalNetworks())) {
        localAdded = await zeekLocalNetworks(client, config.networks.local);
        if (localAdded.length > 0) {
          config = { ...config, networks: { ...config.networks, local: [...config.networks.local, ...localAdded] } };
          out(localAddedText(localAdded));
        }
      }
      out('Building the asset inventory (one inventory pass)...\n');
      const assets = await runAssetPass({ client, config, log: ctx.log, lagSeconds: 0 });
      out(formatAssetPass(assets));
      out('Learning baselines and looking for anomalies (one detection pass)...\n');
      const detection = await runPass({ client, config, models: allModels(), log: ctx.log, sensor: ctx.sensor });
      if (flags.json) {
        process.stdout.write(JSON.stringify({ ...summary, localNetworksAdded: localAdded, assets, detection }) + '\n');
        await client.close();
        return;
      }
      out(
        `Detection: ${detection.windows} windows, ${detection.anomalies} anomalies (${detection.alerts} alerts), ` +
          `${detection.incidents.created} incidents in ${detection.seconds} s.\n` +
          (detection.outsideLocal ? `  ${outsideLocalText(detection.outsideLocal)}\n` : '') +
          (detection.late ? `  ${lateText(detection.late)}\n  ${olderLogsText(Boolean(ctx.config.elasticsearch.url), dir)}\n` : ''),
      );
      // The strongest anomalies of this pass's windows: not those of an earlier run on other logs.
      if (detection.from !== undefined && detection.to !== undefined) {
        await client.indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
        const top = await client.search<{ vigil: { anomaly: { score: number; explanation: string } } }>({
          index: ANOMALIES_ALIAS,
          size: 5,
          query: { range: { 'vigil.anomaly.window.start': { gte: detection.from, lt: detection.to } } },
          // Ties by id, so that the same data lists the same five.
          sort: [{ 'vigil.anomaly.score': 'desc' }, { 'vigil.anomaly.id': 'asc' }],
          ignore_unavailable: true,
        });
        for (const h of top.hits.hits) out(`  ${h._source!.vigil.anomaly.score.toFixed(0).padStart(3)}  ${h._source!.vigil.anomaly.explanation}\n`);
      }
      const events = await client.count({ index: ZEEK_EVENTS_ALIAS, ignore_unavailable: true });
      const dead = await client.count({ index: DEAD_LETTER_INDEX, ignore_unavailable: true });
      out(
        `\nElasticsearch at ${connection.url} now holds ${events.count} Zeek events (alias ${ZEEK_EVENTS_ALIAS}) ` +
          `and ${dead.count} dead letters (${DEAD_LETTER_INDEX}).\n` +
          `Follow a live sensor with: npx vigil ingest zeek /opt/zeek/logs/current, and detect on a schedule with: npx vigil detect\n`,
      );
      await client.close();
    });
}

/**
 * What to do about logs older than the detector's watermark: the detector judges each window once, going forward,
 * so a capture older than one read before is not judged in the same Elasticsearch.
 */
export function olderLogsText(configured: boolean, dir: string | undefined): string {
  const again = `npx vigil quickstart ${dir ?? ''}`.trimEnd();
  return (
    'The detector moves forward in time and judges each window once, so logs older than what it has passed are not judged here. ' +
    (configured
      ? 'To look at an older capture on its own, point elasticsearch.url at another cluster and run quickstart again.'
      : `To look at an older capture on its own, give it a local Elasticsearch of its own: VIGIL_HOME=<new folder> VIGIL_ES_PORT=<free port> ${again}`)
  );
}

function sameNetworks(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Networks named at most in the text (the JSON summary has them all). */
const NETWORKS_NAMED = 10;

function localAddedText(networks: readonly string[]): string {
  const named = networks.length > NETWORKS_NAMED ? `${networks.slice(0, NETWORKS_NAMED).join(', ')} and ${networks.length - NETWORKS_NAMED} more` : networks.join(', ');
  return (
    `Zeek called addresses local that the default networks.local does not cover: this run also takes ${named} as local ` +
    '(from local_orig and local_resp in conn.log). Set networks.local in the configuration to keep them.\n'
  );
}
