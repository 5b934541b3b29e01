import { rmSync } from 'node:fs';
import { LocalElasticsearchError } from '../../common/errors';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions, type LocalEsOptions } from './options';
import { runningPid } from './process';

/**
 * Deletes every index, template and user of a stopped instance, keeping the distribution, config and credentials:
 * the next start is a fresh cluster that accepts the same password (it comes from the keystore).
 */
export function wipeLocalEsData(overrides: Partial<LocalEsOptions> = {}): void {
  const layout = localEsLayout(resolveLocalEsOptions(overrides));
  if (runningPid(layout) !== null) {
    throw new LocalElasticsearchError(`The local Elasticsearch in ${layout.home} is running; stop it before deleting its data.`, undefined, {
      home: layout.home,
    });
  }
  rmSync(layout.dataDir, { recursive: true, force: true });
}
