import type { Client } from '@elastic/elasticsearch';
import { ConfigError } from '../errors';

/** What `vigil setup` changed: created, updated, or found as wanted. */
export type Change = 'created' | 'updated' | 'unchanged';

export interface RoleDefinition {
  cluster: string[];
  indices: Array<{ names: string[]; privileges: string[] }>;
  metadata: Record<string, string>;
}

/**
 * Where roles and users live. A full cluster keeps them in its native realm (the security API); the local
 * integration-test distribution cannot create the native realm's index, so there they live in the file realm.
 */
export interface SecurityBackend {
  readonly kind: 'native' | 'file';
  putRole(name: string, role: RoleDefinition, hash: string): Promise<Change>;
  ensureUser(username: string, password: string, roles: string[]): Promise<Change>;
}

/** Roles and users through the security API; each role carries the hash of its definition in its metadata. */
export function nativeSecurity(client: Client): SecurityBackend {
  return {
    kind: 'native',
    async putRole(name, role, hash) {
      const existing = (await client.security.getRole({ name }, { ignore: [404] })) as Record<string, { metadata?: Record<string, unknown> }>;
      const current = existing[name];
      if (current?.metadata?.vigil_hash === hash) return 'unchanged';
      try {
        await client.security.putRole({ name, ...role, metadata: { ...role.metadata, vigil_hash: hash } });
      } catch (err) {
        if (/pattern_capture/.test(String((err as Error).message))) {
          // The integration-test distribution lacks the analysis module the native realm's index needs.
          throw new ConfigError(
            'this Elasticsearch cannot store roles in its native realm (it lacks the analysis-common module); for the local instance leave elasticsearch.url unset so that setup uses its file realm',
            {},
            err,
          );
        }
        throw err;
      }
      return current ? 'updated' : 'created';
    },
    async ensureUser(username, password, roles) {
      const existing = (await client.security.getUser({ username }, { ignore: [404] })) as Record<string, { roles?: string[] }>;
      const current = existing[username];
      if (current && sameSet(current.roles ?? [], roles) && (await authenticates(client, username, password))) return 'unchanged';
      await client.security.putUser({ username, password, roles, metadata: { managed_by: 'vigil' } });
      return current ? 'updated' : 'created';
    },
  };
}

/** Request options that act as another user on the same connection (a child client keeps the parent's auth). */
export function actingAs(username: string, password: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } };
}

export async function authenticates(client: Client, username: string, password: string): Promise<boolean> {
  try {
    const me = await client.security.authenticate(undefined, actingAs(username, password));
    return me.username === username;
  } catch {
    return false;
  }
}

export function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
