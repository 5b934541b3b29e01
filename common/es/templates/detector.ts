/**
 * Index templates of what the detector writes: baselines, anomalies, incidents, evaluations and its own state.
 *
 * - Baselines keep a model's memory of an entity in `state`, which is stored but not indexed (`enabled: false`):
 *   it is read back by id, never searched, and its shape is the model's business. What a person or a dashboard
 *   filters on (model, entity, first and last seen, status) is mapped. The detector reads them by id, which is
 *   real-time, so the index is refreshed for searches every 30 s: a pass writes baselines in bulk, and a refresh
 *   each second would cost those writes about a quarter of their speed.
 * - Anomalies are evidence: `dynamic: strict`, written with `create` under a deterministic id, never updated. Their
 *   figures are mapped so that dashboards can sort and chart them.
 * - Incidents are rewritten as their anomalies join them, many kilobytes each (addresses, observations). A pass keeps
 *   those it wrote in hand and refreshes the index itself at its checkpoints and at its end (`IncidentsInHand`), so
 *   the index is refreshed on its own only every 30 s: a refresh each second made a segment of rewritten incidents
 *   each second, and merges to match.
 * - Evaluations are append-only and chained by hash (`hash`, `prev_hash`, `sequence`).
 */
import { ANOMALIES_ALIAS, ANOMALIES_PATTERN, BASELINES_INDEX, DETECTOR_STATE_INDEX, EVALUATIONS_INDEX, INCIDENTS_INDEX } from '../names';

export const DETECTOR_TEMPLATE_VERSION = 2;

const KEYWORD = { type: 'keyword', ignore_above: 1024 };
const DATE = { type: 'date' };
const TEXT_WITH_KEYWORD = { type: 'text', norms: false, fields: { keyword: { type: 'keyword', ignore_above: 1024 } } };

function settings(replicas: number, refresh = '1s') {
  return { number_of_shards: 1, number_of_replicas: replicas, refresh_interval: refresh };
}

function template(name: string, patterns: string[], mappings: Record<string, unknown>, replicas: number, extra: Record<string, unknown> = {}, refresh?: string) {
  return {
    name,
    body: {
      index_patterns: patterns,
      priority: 200,
      _meta: { managed_by: 'vigil', version: DETECTOR_TEMPLATE_VERSION },
      template: { settings: settings(replicas, refresh), mappings, ...extra },
    },
  };
}

const entity = {
  properties: {
    type: KEYWORD,
    id: KEYWORD,
  },
};

export function baselinesTemplate(options: { replicas: number }) {
  return template(
    BASELINES_INDEX,
    [BASELINES_INDEX],
    {
      dynamic: 'strict',
      properties: {
        model: KEYWORD,
        kind: KEYWORD,
        entity,
        key: KEYWORD,
        partition: { type: 'integer' },
        status: KEYWORD,
        first_seen: DATE,
        last_seen: DATE,
        updated: DATE,
        window: DATE,
        observations: { type: 'double' },
        state: { type: 'object', enabled: false },
      },
    },
    options.replicas,
    {},
    '30s',
  );
}

export const ANOMALY_PROPERTIES = {
  '@timestamp': DATE,
  event: {
    properties: {
      kind: KEYWORD,
      category: KEYWORD,
      created: DATE,
      dataset: KEYWORD,
      severity: { type: 'long' },
    },
  },
  message: { type: 'text', norms: false },
  rule: { properties: { name: KEYWORD, id: KEYWORD } },
  threat: {
    properties: {
      framework: KEYWORD,
      technique: { properties: { id: KEYWORD, name: KEYWORD } },
    },
  },
  related: { properties: { ip: { type: 'ip' }, hosts: KEYWORD, user: KEYWORD } },
  source: { properties: { ip: { type: 'ip' }, port: { type: 'long' } } },
  destination: { properties: { ip: { type: 'ip' }, port: { type: 'long' }, domain: KEYWORD } },
  network: { properties: { protocol: KEYWORD, transport: KEYWORD, direction: KEYWORD } },
  email: { properties: { from: { properties: { address: KEYWORD } }, to: { properties: { address: KEYWORD } }, subject: KEYWORD } },
  observer: { properties: { name: KEYWORD } },
  vigil: {
    properties: {
      anomaly: {
        properties: {
          id: KEYWORD,
          model: KEYWORD,
          kind: KEYWORD,
          domain: KEYWORD,
          score: { type: 'float' },
          status: KEYWORD,
          entity,
          peer: entity,
          window: { properties: { start: DATE, end: DATE } },
          explanation: TEXT_WITH_KEYWORD,
          figures: {
            properties: {
              observed: { type: 'double' },
              expected: { type: 'double' },
              spread: { type: 'double' },
              history_windows: { type: 'long' },
              history_days: { type: 'double' },
              first_seen: DATE,
              peers: { type: 'long' },
              count: { type: 'long' },
              unit: KEYWORD,
              details: { type: 'object', enabled: false },
            },
          },
          events: {
            properties: {
              index: KEYWORD,
              query: { type: 'object', enabled: false },
              ids: KEYWORD,
              count: { type: 'long' },
            },
          },
          maintenance: { properties: { id: KEYWORD, reference: KEYWORD } },
          suppression: { properties: { id: KEYWORD, expires: DATE } },
          partition: { type: 'integer' },
        },
      },
    },
  },
};

export function anomaliesTemplate(options: { replicas: number }) {
  return template(
    ANOMALIES_ALIAS,
    [ANOMALIES_PATTERN],
    { dynamic: 'strict', properties: ANOMALY_PROPERTIES },
    options.replicas,
    { aliases: { [ANOMALIES_ALIAS]: {} } },
  );
}

export function incidentsTemplate(options: { replicas: number }) {
  return template(
    INCIDENTS_INDEX,
    [INCIDENTS_INDEX],
    {
      dynamic: 'strict',
      properties: {
        '@timestamp': DATE,
        incident: {
          properties: {
            id: KEYWORD,
            status: KEYWORD,
            score: { type: 'float' },
            start: DATE,
            end: DATE,
            updated: DATE,
            title: TEXT_WITH_KEYWORD,
            summary: { type: 'text', norms: false },
            models: KEYWORD,
            domains: KEYWORD,
            entities: KEYWORD,
            anomalies: KEYWORD,
            anomaly_count: { type: 'long' },
            alert_count: { type: 'long' },
            observations: KEYWORD,
            observation_count: { type: 'long' },
            techniques: KEYWORD,
            timeline: { type: 'object', enabled: false },
          },
        },
        related: { properties: { ip: { type: 'ip' }, hosts: KEYWORD, user: KEYWORD } },
      },
    },
    options.replicas,
    {},
    '30s',
  );
}

export function evaluationsTemplate(options: { replicas: number }) {
  return template(
    EVALUATIONS_INDEX,
    [EVALUATIONS_INDEX],
    {
      dynamic: 'strict',
      properties: {
        '@timestamp': DATE,
        sequence: { type: 'long' },
        anomaly: { properties: { id: KEYWORD, model: KEYWORD, entity: KEYWORD } },
        disposition: KEYWORD,
        note: { type: 'text', norms: false },
        analyst: KEYWORD,
        action: {
          properties: {
            type: KEYWORD,
            scope: { properties: { model: KEYWORD, entity: KEYWORD, peer: KEYWORD } },
            expires: DATE,
          },
        },
        prev_hash: KEYWORD,
        hash: KEYWORD,
      },
    },
    options.replicas,
  );
}

export function detectorStateTemplate(options: { replicas: number }) {
  return template(
    DETECTOR_STATE_INDEX,
    [DETECTOR_STATE_INDEX],
    {
      dynamic: 'strict',
      properties: {
        kind: KEYWORD,
        partition: { properties: { index: { type: 'integer' }, count: { type: 'integer' } } },
        watermark: DATE,
        holder: KEYWORD,
        until: DATE,
        updated: DATE,
        passes: { type: 'long' },
        last_summary: { type: 'object', enabled: false },
      },
    },
    options.replicas,
  );
}

export function detectorTemplates(options: { replicas: number }) {
  return [baselinesTemplate(options), anomaliesTemplate(options), incidentsTemplate(options), evaluationsTemplate(options), detectorStateTemplate(options)];
}

/** Indices that are single (not dated) and created by setup, so that their first writer needs no create_index. */
export const DETECTOR_SINGLE_INDICES = [BASELINES_INDEX, INCIDENTS_INDEX, EVALUATIONS_INDEX, DETECTOR_STATE_INDEX];
