import { Command } from 'commander';
import { VigilError } from '../common/errors';
import { registerDetect } from './commands/detect';
import { registerAssets } from './commands/assets';
import { registerEs } from './commands/es';
import { registerIngest } from './commands/ingest';
import { registerQuickstart } from './commands/quickstart';
import { registerSetup } from './commands/setup';

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('Internal network security monitoring on Zeek, Elasticsearch and Grafana.')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); default: $VIGIL_CONFIG')
    .showHelpAfterError()
    .exitOverride();
  registerEs(program);
  registerSetup(program);
  registerIngest(program);
  registerDetect(program);
  registerAssets(program);
  registerQuickstart(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // commander has already printed help or the usage error.
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = 2;
      return;
    }
    const prefix = err instanceof VigilError ? `[${err.code}] ` : '';
    process.stderr.write(`vigil: ${prefix}${(err as Error).message}\n`);
    // The stack is for bug reports, not for users: shown at debug level only.
    if (process.env.VIGIL_LOG_LEVEL === 'debug' || process.env.VIGIL_LOG_LEVEL === 'trace') process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
}
