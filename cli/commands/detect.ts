import type { Command } from 'commander';
import { UsageError } from '../../common/errors';
import { lateText, outsideLocalText, runPass, type PassSummary } from '../../detector/pass';
import { runAssetPass } from '../../detector/assets/pass';
import { assetPass, formatAssetPass } from './assets';
import { runPasses, type ScheduledPass } from './schedule';
import { allModels } from '../../detector/models';
import { parsePartition } from '../../detector/partition';
import { DISPOSITIONS, writeEvaluation, verifyEvaluationChain, type Disposition } from '../../detector/feedback/evaluations';
import { commandContext } from '../context';
import { userInfo } from 'node:os';

interface DetectFlags {
  once?: boolean;
  json?: boolean;
  partition?: string;
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('Learn baselines and write anomalies and incidents: one pass with --once, else a pass on the configured schedule.')
    .option('--once', 'run one pass over the windows completed since the last one, then exit')
    .option('--json', 'print each pass summary as one JSON line')
    .option('--partition <i/n>', 'take share i of n of the entities (several detector processes)')
    .action(async (flags: DetectFlags) => detectAction(program.opts().config, flags));

  program
    .command('evaluate')
    .description('Record a triage decision on an anomaly (append-only, hash-chained); --verify checks the chain.')
    .argument('[anomaly-id]', 'the anomaly (vigil.anomaly.id)')
    .option('--disposition <d>', `one of ${DISPOSITIONS.join(', ')}`)
    .option('--note <text>', 'what was found')
    .option('--analyst <name>', 'who decided (default: this user)')
    .option('--accept', 'benign: accept this activity as the new normal for the entity')
    .option('--suppress', 'do not alert on this scope until --expires (anomalies are still recorded)')
    .option('--expires <time>', 'ISO 8601 end of the suppression, or a duration such as 7d or 12h')
    .option('--scope <scope>', 'suppression scope: "entity" (the anomaly\'s entity, any peer) or "pair" (entity and peer, the default)')
    .option('--verify', 'check the evaluation chain instead')
    .option('--json', 'print the record as one JSON line')
    .action(async (anomalyId: string | undefined, flags: EvaluateFlags) => evaluateAction(program.opts().config, anomalyId, flags));
}

export async function detectAction(configFile: string | undefined, flags: DetectFlags): Promise<void> {
  const ctx = commandContext(configFile);
  const partition = flags.partition ? parsePartition(flags.partition) : undefined;
  const { client } = await ctx.connect('detector');
  const print = (summary: PassSummary) => {
    if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else process.stdout.write(formatPass(summary));
  };
  const detection: ScheduledPass<PassSummary> = {
    name: 'detect',
    what: 'detection pass',
    resumes: 'the next one resumes from the last completed window',
    run: () => runPass({ client, config: ctx.config, models: allModels(), log: ctx.log, sensor: ctx.sensor, partition }),
    print,
  };
  // On the schedule the inventory runs first, so that each detection pass meets current roles and zones.
  const inventory = assetPass(
    () => runAssetPass({ client, config: ctx.config, log: ctx.log }),
    (assets) => process.stdout.write(flags.json ? JSON.stringify({ assets }) + '\n' : formatAssetPass(assets)),
  );
  const passes = !flags.once && ctx.config.assets.enabled ? [inventory, detection] : [detection];
  await runPasses({ client, log: ctx.log, schedule: ctx.config.detector.schedule, once: Boolean(flags.once), passes });
}

function formatPass(s: PassSummary): string {
  const models = Object.entries(s.byModel)
    .filter(([, m]) => m.anomalies > 0)
    .map(([id, m]) => `${id} ${m.anomalies} (${m.alerts} alerts)`)
    .join(', ');
  return (
    `Detection pass (partition ${s.partition}): ${s.windows} window${s.windows === 1 ? '' : 's'}` +
    (s.from ? ` from ${s.from} to ${s.to}` : '') +
    `, ${s.events} events, ${s.entities} entities, ${s.anomalies} anomalies (${s.alerts} alerts${s.duplicates ? `, ${s.duplicates} already written` : ''}), ` +
    `${s.incidents.created} new and ${s.incidents.updated} updated incidents in ${s.seconds} s.` +
    (models ? `\n  ${models}` : '') +
    (s.pending ? '\n  More windows are waiting: the next pass continues.' : '') +
    (s.outsideLocal ? `\n  ${outsideLocalText(s.outsideLocal)}` : '') +
    (s.late ? `\n  ${lateText(s.late)}` : '') +
    '\n'
  );
}

interface EvaluateFlags {
  disposition?: string;
  note?: string;
  analyst?: string;
  accept?: boolean;
  suppress?: boolean;
  expires?: string;
  scope?: string;
  verify?: boolean;
  json?: boolean;
}

export async function evaluateAction(configFile: string | undefined, anomalyId: string | undefined, flags: EvaluateFlags): Promise<void> {
  const ctx = commandContext(configFile);
  if (!flags.verify) {
    if (!anomalyId) throw new UsageError('evaluate: give the anomaly id');
    if (!flags.disposition || !(DISPOSITIONS as readonly string[]).includes(flags.disposition)) {
      throw new UsageError(`evaluate: --disposition must be one of ${DISPOSITIONS.join(', ')}`);
    }
    if (!flags.note) throw new UsageError('evaluate: --note is required: say what was found');
    if (flags.accept && flags.suppress) throw new UsageError('evaluate: --accept and --suppress exclude each other');
    if (flags.accept && flags.disposition !== 'benign' && flags.disposition !== 'abnormal_not_suspicious') {
      throw new UsageError('evaluate: only benign activity can be accepted as normal');
    }
    if (flags.scope && flags.scope !== 'entity' && flags.scope !== 'pair') throw new UsageError('evaluate: --scope must be entity or pair');
  }
  const { client } = await ctx.connect('admin');
  try {
    if (flags.verify) {
      const result = await verifyEvaluationChain(client);
      if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
      else if (result.broken) process.stdout.write(`The evaluation chain is broken at record ${result.broken.sequence}: ${result.broken.reason}.\n`);
      else process.stdout.write(`The evaluation chain is intact: ${result.records} records.\n`);
      if (result.broken) process.exitCode = 3;
      return;
    }
    const expires = flags.expires ? parseExpiry(flags.expires) : undefined;
    const record = await writeEvaluation(client, {
      anomalyId: anomalyId!,
      disposition: flags.disposition as Disposition,
      note: flags.note!,
      analyst: flags.analyst ?? userInfo().username,
      action: flags.accept
        ? { type: 'accept' }
        : flags.suppress
          ? { type: 'suppress', expires, scope: flags.scope === 'entity' ? { peer: undefined } : undefined }
          : { type: 'none' },
    });
    if (flags.json) process.stdout.write(JSON.stringify(record) + '\n');
    else process.stdout.write(`Evaluation ${record.sequence} recorded: ${record.disposition} on ${record.anomaly.id} (${record.anomaly.model}, ${record.anomaly.entity}).\n`);
  } finally {
    await client.close();
  }
}

/** An ISO 8601 time, or a duration from now: 30m, 12h, 7d. */
export function parseExpiry(text: string, now = Date.now()): number {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (m) return now + Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--expires: expected an ISO 8601 time or a duration such as 7d, not "${text}"`);
  return t;
}
