/**
 * Index templates of the asset inventory: one document per device (`vigil-assets`, id: its IP) and one per pair of
 * zones that traffic crossed (`vigil-conduits`). Both are rewritten by the inventory pass when what is known
 * changes, and mapped strictly so that dashboards can filter on role, zone, vendor and the like.
 *
 * The device's addresses and names are in ECS `host.*`; everything the inventory adds is under `vigil.asset.*`.
 * Lists of facts (MACs, names, protocols, identities) are plain object arrays: dashboards filter on their values;
 * which value goes with which first-seen time is read from the document, not queried.
 */
import { ASSETS_INDEX, CONDUITS_INDEX } from '../names';

export const ASSETS_TEMPLATE_VERSION = 1;

const KEYWORD = { type: 'keyword', ignore_above: 1024 };
const DATE = { type: 'date' };
const LONG = { type: 'long' };
const STORED = { type: 'keyword', index: false, doc_values: false };

const seen = { source: KEYWORD, first: DATE, last: DATE };

const protocolUse = {
  properties: { protocol: KEYWORD, transport: KEYWORD, ports: { type: 'integer' }, peers: LONG, events: LONG, first: DATE, last: DATE },
};

const operations = {
  properties: { protocol: KEYWORD, class: KEYWORD, peers: LONG, events: LONG, first: DATE, last: DATE },
};

const identityFields = {
  protocol: KEYWORD,
  vendor: KEYWORD,
  product: KEYWORD,
  model: KEYWORD,
  firmware: KEYWORD,
  serial: KEYWORD,
  deviceType: KEYWORD,
  name: KEYWORD,
};

function template(name: string, mappings: Record<string, unknown>, replicas: number) {
  return {
    name,
    body: {
      index_patterns: [name],
      priority: 200,
      _meta: { managed_by: 'vigil', version: ASSETS_TEMPLATE_VERSION },
      template: { settings: { number_of_shards: 1, number_of_replicas: replicas, refresh_interval: '1s' }, mappings },
    },
  };
}

export function assetsTemplate(options: { replicas: number }) {
  return template(
    ASSETS_INDEX,
    {
      dynamic: 'strict',
      properties: {
        '@timestamp': DATE,
        host: { properties: { ip: { type: 'ip' }, mac: KEYWORD, hostname: KEYWORD, name: KEYWORD } },
        vigil: {
          properties: {
            asset: {
              properties: {
                ip: { type: 'ip' },
                seen: { type: 'boolean' },
                first_seen: DATE,
                last_seen: DATE,
                updated: DATE,
                zone: KEYWORD,
                level: { type: 'half_float' },
                role: KEYWORD,
                role_confidence: { type: 'float' },
                roles: { properties: { role: KEYWORD, confidence: { type: 'float' }, evidence: STORED } },
                vendor: KEYWORD,
                product: KEYWORD,
                model: KEYWORD,
                firmware: KEYWORD,
                macs: { properties: { mac: KEYWORD, vendor: KEYWORD, ...seen } },
                hostnames: { properties: { name: KEYWORD, ...seen } },
                spoken: protocolUse,
                served: protocolUse,
                software: { properties: { type: KEYWORD, name: KEYWORD, version: KEYWORD, ...seen } },
                ot: { properties: { ...identityFields, ...seen } },
                operations,
                commanded: operations,
                declared: { properties: { protocol: KEYWORD, role: KEYWORD, ...seen } },
                changes: { properties: { time: DATE, field: KEYWORD, from: KEYWORD, to: KEYWORD, source: KEYWORD } },
                inventory: {
                  properties: {
                    status: KEYWORD,
                    id: KEYWORD,
                    line: { type: 'integer' },
                    differences: { properties: { field: KEYWORD, expected: KEYWORD, observed: KEYWORD } },
                  },
                },
              },
            },
          },
        },
      },
    },
    options.replicas,
  );
}

export function conduitsTemplate(options: { replicas: number }) {
  return template(
    CONDUITS_INDEX,
    {
      dynamic: 'strict',
      properties: {
        '@timestamp': DATE,
        vigil: {
          properties: {
            conduit: {
              properties: {
                from: KEYWORD,
                to: KEYWORD,
                from_level: { type: 'half_float' },
                to_level: { type: 'half_float' },
                first_seen: DATE,
                last_seen: DATE,
                events: LONG,
                bytes: LONG,
                policy: KEYWORD,
                protocols: {
                  properties: { protocol: KEYWORD, port: { type: 'integer' }, allowed: { type: 'boolean' }, events: LONG, bytes: LONG, first: DATE, last: DATE },
                },
                not_allowed: KEYWORD,
              },
            },
          },
        },
      },
    },
    options.replicas,
  );
}

export function assetTemplates(options: { replicas: number }) {
  return [assetsTemplate(options), conduitsTemplate(options)];
}

export const ASSET_SINGLE_INDICES = [ASSETS_INDEX, CONDUITS_INDEX];
