import type { Command } from 'commander';
import { formatLocalEsStatus, localEsStatus, startLocalEs, stopLocalEs } from '../local-es';

/** `vigil es start|stop|status`: the local single-node Elasticsearch for first use, demos and tests. */
export function registerEs(program: Command): void {
  const es = program
    .command('es')
    .description('Manage the local single-node Elasticsearch used when none is configured (VIGIL_HOME, VIGIL_ES_PORT, VIGIL_ES_HEAP).');
  es.command('start')
    .description('Download (once), set up and start it on 127.0.0.1 with security on; waits until it is healthy.')
    .option('--json', 'print where it is as one JSON line')
    .action(async (flags: { json?: boolean }) => {
      const info = await startLocalEs({}, (message) => !flags.json && process.stderr.write(`${message}\n`));
      if (flags.json) {
        const { password: _password, ...shown } = info;
        process.stdout.write(JSON.stringify(shown) + '\n');
      } else {
        process.stdout.write(
          `Elasticsearch ${info.version} ${info.alreadyRunning ? 'was already running' : 'is running'} at ${info.url} (pid ${info.pid}).\n` +
            `Credentials: ${info.credentialsFile}\n`,
        );
      }
    });
  es.command('stop')
    .description('Stop it, keeping its data.')
    .action(async () => {
      const result = await stopLocalEs();
      process.stdout.write(
        result.wasRunning ? `Stopped Elasticsearch (pid ${result.pid})${result.killed ? ' after it ignored SIGTERM' : ''}.\n` : 'Elasticsearch was not running.\n',
      );
    });
  es.command('status')
    .description('Tell where it is and whether it is healthy.')
    .option('--json', 'print the status as one JSON line (URL, credentials file, pid, health)')
    .action(async (flags: { json?: boolean }) => {
      const status = await localEsStatus();
      process.stdout.write(flags.json ? JSON.stringify(status) + '\n' : formatLocalEsStatus(status) + '\n');
      if (!status.healthy) process.exitCode = 3;
    });
}
