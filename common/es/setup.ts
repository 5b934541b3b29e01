import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import {
  ANOMALIES_PATTERN,
  ASSETS_INDEX,
  BASELINES_INDEX,
  CONDUITS_INDEX,
  DEAD_LETTER_INDEX,
  DETECTOR_STATE_INDEX,
  EVALUATIONS_INDEX,
  INCIDENTS_INDEX,
  INDEX_PREFIX,
  MAIL_EVENTS_PATTERN,
  MAIL_MESSAGES_PATTERN,
  ZEEK_EVENTS_PATTERN,
} from './names';
import { DETECTOR_SINGLE_INDICES, detectorTemplates } from './templates/detector';
import { mailEventsTemplate, mailMessagesTemplate } from './templates/mail';
import { deadLetterTemplate } from './templates/dead-letter';
import { ASSET_SINGLE_INDICES, assetTemplates } from './templates/assets';
import { zeekEventsTemplate } from './templates/zeek';
import { DETECTOR_USER, INGEST_USER } from './client';
import type { Change, RoleDefinition, SecurityBackend } from './security';

/**
 * Everything the data needs before the first write: index templates, the dead-letter index, and least-privilege
 * roles. Each object carries a hash of its desired definition in its metadata, so a second run compares hashes and
 * changes nothing (Elasticsearch normalises what it stores, which makes comparing bodies unreliable).
 */

export interface SetupStep {
  kind: 'index_template' | 'index' | 'role' | 'user';
  name: string;
  change: Change;
}

export const INGEST_ROLE = 'vigil_ingest';
export const READER_ROLE = 'vigil_reader';
export const DETECTOR_ROLE = 'vigil_detector';
export const ANALYST_ROLE = 'vigil_analyst';
type VigilRole = typeof INGEST_ROLE | typeof READER_ROLE | typeof DETECTOR_ROLE | typeof ANALYST_ROLE;

/**
 * The ingest worker may only add events: `create_doc` cannot overwrite an existing id, so a compromised or buggy
 * worker cannot alter evidence already indexed (CIP-015 R3); replays get 409, which the sink counts as duplicates.
 * Mail message documents are the exception: they are summaries rebuilt from events as lines arrive, so the worker
 * rewrites them (`index`) and reads back the open ones after a restart (`read`, and `maintenance` to refresh first);
 * it still cannot delete them, and the lines they summarise stay create-only.
 *
 * The detector reads events and evaluations, adds anomalies with `create_doc` only (evidence, CIP-015 R3), and
 * rewrites what is its own working memory: baselines, incidents and its progress. Analysts (the Grafana app, `vigil
 * evaluate`) add evaluations and cannot change one already written. Nobody but an administrator deletes.
 */
export function roleDefinitions(): Record<VigilRole, RoleDefinition> {
  return {
    [INGEST_ROLE]: {
      cluster: ['monitor'],
      indices: [
        { names: [ZEEK_EVENTS_PATTERN, MAIL_EVENTS_PATTERN, DEAD_LETTER_INDEX], privileges: ['create_doc', 'create_index', 'view_index_metadata'] },
        { names: [MAIL_MESSAGES_PATTERN], privileges: ['index', 'read', 'maintenance', 'create_index', 'view_index_metadata'] },
        // The asset inventory's roles, written on Zeek events (`vigil.source.role`, `vigil.destination.role`).
        { names: [ASSETS_INDEX], privileges: ['read'] },
      ],
      metadata: { managed_by: 'vigil', description: 'Ingest worker: adds events and dead letters, never changes or deletes them; keeps mail message summaries current.' },
    },
    [READER_ROLE]: {
      cluster: ['monitor'],
      indices: [{ names: [`${INDEX_PREFIX}-*`], privileges: ['read', 'view_index_metadata'] }],
      metadata: { managed_by: 'vigil', description: 'Dashboards and the Grafana data source: read only.' },
    },
    [DETECTOR_ROLE]: {
      cluster: ['monitor'],
      indices: [
        { names: [MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN, EVALUATIONS_INDEX], privileges: ['read', 'view_index_metadata'] },
        // Refresh (in `maintenance`): an inventory pass told to read up to now makes the latest events visible first.
        { names: [ZEEK_EVENTS_PATTERN], privileges: ['read', 'maintenance', 'view_index_metadata'] },
        { names: [ANOMALIES_PATTERN], privileges: ['create_doc', 'create_index', 'read', 'view_index_metadata'] },
        { names: [BASELINES_INDEX, INCIDENTS_INDEX, DETECTOR_STATE_INDEX, ASSETS_INDEX, CONDUITS_INDEX], privileges: ['index', 'read', 'maintenance', 'view_index_metadata'] },
      ],
      metadata: { managed_by: 'vigil', description: 'Detector: reads events, adds anomalies (never changes them), keeps its baselines, incidents, progress and the asset inventory.' },
    },
    [ANALYST_ROLE]: {
      cluster: ['monitor'],
      indices: [
        { names: [`${INDEX_PREFIX}-*`], privileges: ['read', 'view_index_metadata'] },
        { names: [EVALUATIONS_INDEX], privileges: ['create_doc'] },
      ],
      metadata: { managed_by: 'vigil', description: 'Triage: reads everything, adds evaluations, never changes or deletes one.' },
    },
  };
}

export interface SetupOptions {
  replicas: number;
  /** Where roles and users are kept: the native realm of a full cluster, or the local instance's file realm. */
  security: SecurityBackend;
  /** Create (or keep) the ingest user with this password; undefined: no user is managed. */
  ingestUserPassword?: string;
  /** The same for the detector user. */
  detectorUserPassword?: string;
}

export async function runSetup(client: Client, options: SetupOptions): Promise<SetupStep[]> {
  const steps: SetupStep[] = [];
  const templates = [
    zeekEventsTemplate({ replicas: options.replicas }),
    mailEventsTemplate({ replicas: options.replicas }),
    mailMessagesTemplate({ replicas: options.replicas }),
    deadLetterTemplate({ replicas: options.replicas }),
    ...detectorTemplates({ replicas: options.replicas }),
    ...assetTemplates({ replicas: options.replicas }),
  ];
  const changed = new Map<string, IndexTemplateBody['template']>();
  for (const template of templates) {
    const step = await putIndexTemplate(client, template.name, template.body as Record<string, unknown>);
    steps.push(step);
    if (step.change !== 'unchanged') {
      const body = template.body as IndexTemplateBody;
      for (const pattern of body.index_patterns) changed.set(pattern, body.template);
    }
  }
  // A single index made by an earlier version gets the fields its template gained (mappings only grow) and its
  // refresh interval.
  for (const index of [DEAD_LETTER_INDEX, ...DETECTOR_SINGLE_INDICES, ...ASSET_SINGLE_INDICES]) steps.push(await ensureIndex(client, index, changed.get(index)));
  for (const [name, role] of Object.entries(roleDefinitions()) as Array<[string, RoleDefinition]>) {
    steps.push({ kind: 'role', name, change: await options.security.putRole(name, role, definitionHash(role)) });
  }
  if (options.ingestUserPassword) {
    steps.push({ kind: 'user', name: INGEST_USER, change: await options.security.ensureUser(INGEST_USER, options.ingestUserPassword, [INGEST_ROLE]) });
  }
  if (options.detectorUserPassword) {
    steps.push({ kind: 'user', name: DETECTOR_USER, change: await options.security.ensureUser(DETECTOR_USER, options.detectorUserPassword, [DETECTOR_ROLE]) });
  }
  return steps;
}

/** An API key limited to the ingest role, for clusters where users are managed elsewhere. Not idempotent by nature. */
export async function createIngestApiKey(client: Client): Promise<{ id: string; encoded: string }> {
  const { cluster, indices } = roleDefinitions()[INGEST_ROLE];
  const key = await client.security.createApiKey({
    name: `${INGEST_ROLE}-${new Date().toISOString()}`,
    role_descriptors: { [INGEST_ROLE]: { cluster, indices } },
    metadata: { managed_by: 'vigil' },
  });
  return { id: key.id, encoded: key.encoded };
}

function definitionHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
}

async function putIndexTemplate(client: Client, name: string, body: Record<string, unknown>): Promise<SetupStep> {
  const hash = definitionHash(body);
  const existing = await client.indices.getIndexTemplate({ name }, { ignore: [404] });
  const current = existing.index_templates?.[0]?.index_template?._meta as Record<string, unknown> | undefined;
  if (current?.vigil_hash === hash) return { kind: 'index_template', name, change: 'unchanged' };
  const meta = { ...((body._meta as Record<string, unknown>) ?? {}), vigil_hash: hash };
  await client.indices.putIndexTemplate({ name, ...body, _meta: meta } as Parameters<Client['indices']['putIndexTemplate']>[0]);
  return { kind: 'index_template', name, change: current ? 'updated' : 'created' };
}

interface IndexTemplateBody {
  index_patterns: string[];
  template: { mappings: Record<string, unknown>; settings?: { refresh_interval?: string } };
}

async function ensureIndex(client: Client, index: string, changed?: IndexTemplateBody['template']): Promise<SetupStep> {
  if (await client.indices.exists({ index })) {
    if (changed === undefined) return { kind: 'index', name: index, change: 'unchanged' };
    await client.indices.putMapping({ index, ...changed.mappings } as Parameters<Client['indices']['putMapping']>[0]);
    const refresh = changed.settings?.refresh_interval;
    if (refresh !== undefined) await client.indices.putSettings({ index, settings: { refresh_interval: refresh } });
    return { kind: 'index', name: index, change: 'updated' };
  }
  try {
    await client.indices.create({ index });
  } catch (err) {
    // Another process created it between the check and the create: that is the state we want.
    if ((err as { body?: { error?: { type?: string } } }).body?.error?.type !== 'resource_already_exists_exception') throw err;
    return { kind: 'index', name: index, change: 'unchanged' };
  }
  return { kind: 'index', name: index, change: 'created' };
}
