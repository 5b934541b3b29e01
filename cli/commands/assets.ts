import type { Command } from 'commander';
import { UsageError } from '../../common/errors';
import { runPasses, type ScheduledPass } from './schedule';
import { runAssetPass, type AssetPassSummary } from '../../detector/assets/pass';
import { commandContext } from '../context';

interface AssetsFlags {
  once?: boolean;
  json?: boolean;
  lag?: string;
}

export function registerAssets(program: Command): void {
  program
    .command('assets')
    .description('Keep the asset inventory current: devices, their identities, roles and zones, and the conduits between zones; one pass with --once, else on the detector schedule.')
    .option('--once', 'run one pass over what was ingested since the last one, then exit')
    .option('--json', 'print each pass summary as one JSON line')
    .option('--lag <seconds>', 'read events ingested up to this long ago (default: assets.lagSeconds); 0 right after `vigil ingest --once`')
    .action(async (flags: AssetsFlags) => assetsAction(program.opts().config, flags));
}

function parseLag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--lag: expected a whole number of seconds, not "${text}"`);
  return n;
}

export async function assetsAction(configFile: string | undefined, flags: AssetsFlags): Promise<void> {
  const ctx = commandContext(configFile);
  const lagSeconds = parseLag(flags.lag);
  const { client } = await ctx.connect('detector');
  const print = (summary: AssetPassSummary) => {
    if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else process.stdout.write(formatAssetPass(summary));
  };
  await runPasses({ client, log: ctx.log, schedule: ctx.config.detector.schedule, once: Boolean(flags.once), passes: [assetPass(() => runAssetPass({ client, config: ctx.config, log: ctx.log, lagSeconds }), print)] });
}

/** The inventory pass as the schedule runs it. */
export function assetPass(run: () => Promise<AssetPassSummary>, print: (s: AssetPassSummary) => void): ScheduledPass<AssetPassSummary> {
  return { name: 'assets', what: 'inventory pass', resumes: 'the next one reads from the last completed pass', run, print };
}

export function formatAssetPass(s: AssetPassSummary): string {
  const d = s.devices;
  return (
    `Inventory pass: ${s.events} events ingested ${s.from ? `from ${s.from} ` : ''}to ${s.to}; ${d.observed} devices seen: ` +
    `${d.created} new, ${d.updated} updated, ${d.unchanged} unchanged` +
    (s.conduits.observed ? `; ${s.conduits.observed} conduits between zones${s.conduits.violated ? `, ${s.conduits.violated} with flows the policy does not allow` : ''}` : '') +
    (s.inventory ? `\n  Inventory file: ${s.inventory.entries} entries, ${s.inventory.inventoried} matched, ${s.inventory.uninventoried} devices not in it, ${s.inventory.missing} entries never seen.` : '') +
    ` (${s.seconds.toFixed(1)} s)\n`
  );
}
