import { existsSync } from 'node:fs';
import { readCredentials, writeCredentials, type LocalEsCredentials } from './credentials';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions, type LocalEsOptions } from './options';

/** The local instance's credentials, or none when it has never been started. */
export function localCredentials(overrides: Partial<LocalEsOptions> = {}): { credentials?: LocalEsCredentials; credentialsFile: string } {
  const credentialsFile = localEsLayout(resolveLocalEsOptions(overrides)).credentialsFile;
  if (!existsSync(credentialsFile)) return { credentialsFile };
  return { credentials: readCredentials(credentialsFile), credentialsFile };
}

/**
 * Records the password of a further user of the local instance (for example the least-privilege ingest user),
 * replacing an earlier one of the same name. The instance must have been started once, so that the file exists.
 */
export function addLocalUser(username: string, password: string, overrides: Partial<LocalEsOptions> = {}): void {
  const credentialsFile = localEsLayout(resolveLocalEsOptions(overrides)).credentialsFile;
  const credentials = readCredentials(credentialsFile);
  writeCredentials(credentialsFile, { ...credentials, users: { ...credentials.users, [username]: { password } } });
}
