import { chownSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { runCommand, runCommandOrThrow, type RunAs } from './command';

/**
 * Elasticsearch refuses to run as root, so a root caller runs it as an unprivileged system user, created on first
 * use when it is the default one. Anyone else runs it as themselves (null).
 */
export async function resolveRunAs(user: string, isRoot: boolean, createIfMissing: boolean): Promise<RunAs | null> {
  if (!isRoot) return null;
  let ids = await lookupUser(user);
  if (!ids && createIfMissing) {
    await runCommandOrThrow(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user],
      `Creating the system user ${user} to run Elasticsearch failed:`,
      { missingHint: 'Create an unprivileged user by other means and name it in VIGIL_ES_USER.' },
    );
    ids = await lookupUser(user);
  }
  if (!ids) {
    throw new LocalElasticsearchError(
      `The user ${user} (VIGIL_ES_USER) does not exist. Elasticsearch refuses to run as root, so it needs an unprivileged user to run as.`,
      undefined,
      { user },
    );
  }
  if (ids.uid === 0) {
    throw new LocalElasticsearchError(`The user ${user} (VIGIL_ES_USER) is root, and Elasticsearch refuses to run as root.`, undefined, {
      user,
    });
  }
  return { user, ...ids };
}

async function lookupUser(user: string): Promise<{ uid: number; gid: number } | null> {
  const uid = await runCommand('id', ['-u', user]);
  if (uid.code !== 0) return null;
  const gid = await runCommandOrThrow('id', ['-g', user], `Looking up the group of ${user} failed:`);
  return { uid: Number(uid.output.trim()), gid: Number(gid.trim()) };
}

/** Gives a directory tree to the user, walking it only when its top does not already belong to that user. */
export async function ownTree(dir: string, runAs: RunAs | null): Promise<void> {
  if (!runAs) return;
  const stat = statSync(dir);
  if (stat.uid === runAs.uid && stat.gid === runAs.gid) return;
  await runCommandOrThrow('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir], `Giving ${dir} to ${runAs.user} failed:`);
}

export function ownFile(file: string, runAs: RunAs | null): void {
  if (runAs) chownSync(file, runAs.uid, runAs.gid);
}

/**
 * Fails early, with the directory to blame, when the user cannot reach the instance directory: otherwise
 * Elasticsearch dies with a Java stack trace about a missing file. Typical cause: an instance directory inside the
 * home directory of root, which is private (mode 700).
 */
export function assertReachable(dir: string, runAs: RunAs | null): void {
  if (!runAs) return;
  for (let current = dir; ; current = dirname(current)) {
    const stat = statSync(current);
    const searchable =
      stat.uid === runAs.uid ? (stat.mode & 0o100) !== 0 : stat.gid === runAs.gid ? (stat.mode & 0o010) !== 0 : (stat.mode & 0o001) !== 0;
    if (!searchable) {
      throw new LocalElasticsearchError(
        `The user ${runAs.user}, which runs Elasticsearch, cannot enter ${current}, so it cannot reach ${dir}. Choose an instance directory outside it with VIGIL_HOME.`,
        undefined,
        { dir, blocked: current, user: runAs.user },
      );
    }
    if (dirname(current) === current) return;
  }
}
