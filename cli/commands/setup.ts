import type { Command } from 'commander';
import { DETECTOR_USER, INGEST_USER } from '../../common/es/client';
import { createIngestApiKey, runSetup } from '../../common/es/setup';
import { commandContext } from '../context';
import { addLocalUser, localCredentials } from '../local-es';
import { generatePassword } from '../local-es/credentials';
import { fileRealmSecurity } from '../local-es/file-realm';
import { nativeSecurity } from '../../common/es/security';
import { UsageError } from '../../common/errors';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('Install index templates, the dead-letter index, and least-privilege roles and users. Safe to run again.')
    .option('--json', 'print the steps as one JSON line')
    .option('--ingest-api-key', 'also create an API key limited to the ingest role and print it (for clusters whose users are managed elsewhere)')
    .action((opts: { json?: boolean; ingestApiKey?: boolean }) => setupAction(program.opts().config, opts));
}

export async function setupAction(configFile: string | undefined, opts: { json?: boolean; ingestApiKey?: boolean; quiet?: boolean }): Promise<void> {
  const ctx = commandContext(configFile);
  const { client, connection } = await ctx.connect('admin');
  try {
    const local = !ctx.config.elasticsearch.url;
    // On the local instance Vigil manages the ingest user; its password is saved before the user is created, so an
    // interrupted setup never leaves a user whose password nobody knows.
    let ingestUserPassword: string | undefined;
    let detectorUserPassword: string | undefined;
    if (local) {
      const users = localCredentials().credentials?.users;
      ingestUserPassword = users?.[INGEST_USER]?.password ?? generatePassword();
      addLocalUser(INGEST_USER, ingestUserPassword);
      detectorUserPassword = users?.[DETECTOR_USER]?.password ?? generatePassword();
      addLocalUser(DETECTOR_USER, detectorUserPassword);
    }
    const security = local ? fileRealmSecurity(client) : nativeSecurity(client);
    const steps = await runSetup(client, { replicas: ctx.config.elasticsearch.replicas, security, ingestUserPassword, detectorUserPassword });
    if (opts.ingestApiKey && local) {
      throw new UsageError('--ingest-api-key needs a cluster with the native realm; the local instance has the ingest user instead');
    }
    const apiKey = opts.ingestApiKey ? await createIngestApiKey(client) : undefined;
    if (opts.quiet) return;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ url: connection.url, steps, ...(apiKey ? { ingestApiKey: apiKey } : {}) }) + '\n');
      return;
    }
    for (const s of steps) process.stdout.write(`${s.change.padEnd(9)} ${s.kind.replace('_', ' ')} ${s.name}\n`);
    if (apiKey) process.stdout.write(`ingest API key (shown once; set VIGIL_ES_API_KEY on the ingest worker): ${apiKey.encoded}\n`);
  } finally {
    await client.close();
  }
}
