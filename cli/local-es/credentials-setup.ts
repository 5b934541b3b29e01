import { existsSync } from 'node:fs';
import type { RunAs } from './command';
import { generatePassword, readCredentials, SUPERUSER, writeCredentials, type LocalEsCredentials } from './credentials';
import { storeBootstrapPassword } from './keystore';
import type { LocalEsLayout } from './layout';

/**
 * The superuser's credentials for this instance, made on first start. A restart reuses them. A lost credentials
 * file is replaced by a new password: the bootstrap password is the superuser's password as long as nobody set
 * another one through the API, so overwriting it in the keystore is enough.
 */
export async function ensureCredentials(
  layout: LocalEsLayout,
  url: string,
  env: NodeJS.ProcessEnv,
  runAs: RunAs | null,
  onProgress: (message: string) => void,
): Promise<LocalEsCredentials> {
  if (existsSync(layout.credentialsFile)) {
    const existing = readCredentials(layout.credentialsFile);
    if (!existsSync(layout.keystoreFile)) await storeBootstrapPassword(layout, existing.password, env, runAs);
    if (existing.url === url) return existing;
    const moved = { ...existing, url };
    writeCredentials(layout.credentialsFile, moved);
    return moved;
  }
  onProgress(`Generating the password of the ${SUPERUSER} user into ${layout.credentialsFile}.`);
  const created: LocalEsCredentials = { url, username: SUPERUSER, password: generatePassword() };
  // Keystore first: if writing the file then fails, the next start simply generates and stores another password.
  await storeBootstrapPassword(layout, created.password, env, runAs);
  writeCredentials(layout.credentialsFile, created);
  return created;
}
