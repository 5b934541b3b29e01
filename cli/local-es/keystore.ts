import { join } from 'node:path';
import { runCommandOrThrow, type RunAs } from './command';
import type { LocalEsLayout } from './layout';

/**
 * Stores `bootstrap.password` in the keystore, creating the keystore (`--force`): it is the password of the
 * `elastic` superuser for as long as the security index holds none, which is forever since Vigil never changes
 * it, and it survives a wiped data directory. The password goes through standard input, never through arguments
 * that other users could read in the process list.
 */
export async function storeBootstrapPassword(
  layout: LocalEsLayout,
  password: string,
  env: NodeJS.ProcessEnv,
  runAs: RunAs | null,
): Promise<void> {
  await runCommandOrThrow(
    join(layout.installDir, 'bin', 'elasticsearch-keystore'),
    ['add', '--force', '--silent', '--stdin', 'bootstrap.password'],
    'Storing the Elasticsearch bootstrap password failed:',
    { env, runAs, cwd: layout.home, input: password },
  );
}
