import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LocalElasticsearchError } from '../../common/errors';
import { actingAs, authenticates, sameSet, type Change, type RoleDefinition, type SecurityBackend } from '../../common/es/security';
import { runCommandOrThrow } from './command';
import { resolveJavaHome } from './java';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions, DEFAULT_RUN_AS_USER, type LocalEsOptions } from './options';
import { ownFile, resolveRunAs } from './run-as';

/**
 * Roles and users of the local instance, in its file realm (`roles.yml`, `users`, `users_roles`). The
 * integration-test distribution cannot create the native realm's security index (it lacks the analysis module that
 * index's mapping needs), so the security API cannot store roles or users there. Elasticsearch re-reads these files
 * by itself within seconds; each change waits until the node enforces it.
 */
export function fileRealmSecurity(client: Client, overrides: Partial<LocalEsOptions> = {}): SecurityBackend {
  const options = resolveLocalEsOptions(overrides);
  const layout = localEsLayout(options);
  const rolesFile = join(layout.configDir, 'roles.yml');
  const runAs = () => resolveRunAs(options.runAsUser, process.getuid?.() === 0, options.runAsUser === DEFAULT_RUN_AS_USER);

  async function usersTool(args: string[]): Promise<void> {
    await runCommandOrThrow(join(layout.installDir, 'bin', 'elasticsearch-users'), args, `Managing the local user ${args[1]} failed:`, {
      env: { ...process.env, ES_PATH_CONF: layout.configDir, ES_JAVA_HOME: resolveJavaHome() },
      runAs: await runAs(),
    });
  }

  return {
    kind: 'file',
    async putRole(name: string, role: RoleDefinition, hash: string): Promise<Change> {
      const roles = readRoles(rolesFile);
      const current = roles[name] as { metadata?: Record<string, unknown> } | undefined;
      if (current?.metadata?.vigil_hash === hash) return 'unchanged';
      roles[name] = { ...role, metadata: { ...role.metadata, vigil_hash: hash } };
      const temp = `${rolesFile}.tmp`;
      writeFileSync(temp, `# Roles of the local instance; vigil setup writes the vigil_* ones.\n${stringifyYaml(roles)}`);
      ownFile(temp, await runAs());
      renameSync(temp, rolesFile);
      return current ? 'updated' : 'created';
    },

    async ensureUser(username: string, password: string, roles: string[]): Promise<Change> {
      const exists = fileUsers(join(layout.configDir, 'users')).has(username);
      const currentRoles = userRoles(join(layout.configDir, 'users_roles'), username);
      if (exists && sameSet(currentRoles, roles) && (await authenticates(client, username, password))) {
        await waitUntil(() => hasRolePrivileges(client, username, password), `the roles of ${username} to be loaded`);
        return 'unchanged';
      }
      if (exists) {
        await usersTool(['passwd', username, '-p', password]);
        const remove = currentRoles.filter((r) => !roles.includes(r));
        await usersTool(['roles', username, '-a', roles.join(','), ...(remove.length ? ['-r', remove.join(',')] : [])]);
      } else {
        await usersTool(['useradd', username, '-p', password, '-r', roles.join(',')]);
      }
      // Both the users file and roles.yml are re-read on a timer: wait until the user logs in with its role's privileges.
      await waitUntil(() => hasRolePrivileges(client, username, password), `the local user ${username} to be accepted with its roles`);
      return exists ? 'updated' : 'created';
    },
  };
}

/** Every Vigil role grants `monitor`; seeing it granted means roles.yml was loaded for this user. */
async function hasRolePrivileges(client: Client, username: string, password: string): Promise<boolean> {
  try {
    const res = await client.security.hasPrivileges({ cluster: ['monitor'] }, actingAs(username, password));
    return res.username === username && res.has_all_requested;
  } catch {
    return false;
  }
}

function readRoles(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

function fileUsers(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':'))));
}

/** `users_roles` lines are `role:user1,user2`. */
function userRoles(file: string, username: string): string[] {
  if (!existsSync(file)) return [];
  const roles: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(':');
    if (at > 0 && line.slice(at + 1).split(',').map((u) => u.trim()).includes(username)) roles.push(line.slice(0, at));
  }
  return roles;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new LocalElasticsearchError(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
