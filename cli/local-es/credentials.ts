import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { LocalElasticsearchError } from '../../common/errors';

const credentialsSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1),
  password: z.string().min(1),
  users: z.record(z.string().min(1), z.strictObject({ password: z.string().min(1) })).optional(),
});

/**
 * How to reach the local instance: the superuser, plus any further users created on it later (for example a
 * least-privilege ingest user), keyed by user name.
 */
export type LocalEsCredentials = z.infer<typeof credentialsSchema>;

export const SUPERUSER = 'elastic';

export function readCredentials(file: string): LocalEsCredentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalElasticsearchError(`The credentials file ${file} cannot be read: ${(err as Error).message}`, err, { file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LocalElasticsearchError(`The credentials file ${file} is not valid JSON.`, err, { file });
  }
  return validCredentials(parsed, `The credentials file ${file} is malformed`, file);
}

/**
 * Writes the file readable by its owner only. It is written beside its final name and renamed, so a crash never
 * leaves half a file and a reader never sees a password in a file with wider permissions.
 */
export function writeCredentials(file: string, credentials: LocalEsCredentials): void {
  const valid = validCredentials(credentials, `The credentials for ${file} are malformed`, file);
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
    // The mode given at creation is narrowed by the umask but never widened; chmod states it exactly.
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (err) {
    throw new LocalElasticsearchError(`The credentials file ${file} cannot be written: ${(err as Error).message}`, err, { file });
  }
}

function validCredentials(value: unknown, problem: string, file: string): LocalEsCredentials {
  const result = credentialsSchema.safeParse(value);
  if (result.success) return result.data;
  const keys = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
  throw new LocalElasticsearchError(`${problem} at ${keys.join(', ')}.`, result.error, { file });
}

/** 192 random bits, in characters that need no quoting in a URL, a shell or a YAML file. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
