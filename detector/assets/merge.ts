/**
 * One asset document per device: what earlier passes knew, with one pass's observation folded in. The fold is
 * written so that a pass over nothing new changes nothing (the caller compares documents and writes only those that
 * differ), and so that identity changes (a new MAC for an address, new firmware, another product) are recorded
 * with both values and the time the new one was first seen.
 */
import type {
  AssetFacts,
  AssetObservation,
  HostName,
  InventoryComparison,
  MacAddress,
  OtIdentity,
  OtOperations,
  ProtocolUse,
  RoleAssessment,
  Software,
} from './types';

type Iso<T> = { [K in keyof T]: K extends 'first' | 'last' ? string : T[K] };

export interface AssetChange {
  time: string;
  field: string;
  from: string;
  to: string;
  source: string;
}

export interface AssetBody {
  /** Absent only for a device the inventory file lists by MAC alone and the network never showed. */
  ip?: string;
  /** False for a device the inventory file lists and the network never showed. */
  seen: boolean;
  first_seen?: string;
  last_seen?: string;
  updated: string;
  zone?: string;
  level?: number;
  role?: string;
  role_confidence?: number;
  roles: RoleAssessment[];
  vendor?: string;
  product?: string;
  model?: string;
  firmware?: string;
  macs: Array<Iso<MacAddress>>;
  hostnames: Array<Iso<HostName>>;
  spoken: Array<Iso<ProtocolUse>>;
  served: Array<Iso<ProtocolUse>>;
  software: Array<Iso<Software>>;
  ot: Array<Iso<OtIdentity>>;
  operations: Array<Iso<OtOperations>>;
  commanded: Array<Iso<OtOperations>>;
  declared: Array<Iso<{ protocol: string; role: string; source: string; first: number; last: number }>>;
  changes: AssetChange[];
  /** `removed`: the placeholder of a listed device that is no longer missing (dropped from the file, or found by its MAC elsewhere). */
  inventory?: { status: InventoryComparison['status'] | 'removed'; id?: string; line?: number; differences: InventoryComparison['differences'] };
}

export interface AssetDocument {
  '@timestamp': string;
  host: { ip?: string; mac?: string[]; hostname?: string; name?: string };
  vigil: { asset: AssetBody };
}

/** Caps per list: a device with thousands of names or ports is summarised, not stored whole. */
const CAP = { macs: 16, hostnames: 32, protocols: 64, software: 64, ot: 16, operations: 64, declared: 16, changes: 50, ports: 16 };

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (text: string): number => Date.parse(text);

function toIso<T extends { first: number; last: number }>(item: T): Iso<T> {
  return { ...item, first: iso(item.first), last: iso(item.last) } as Iso<T>;
}

function fromIso<T extends { first: string; last: string }>(item: T): Omit<T, 'first' | 'last'> & { first: number; last: number } {
  return { ...item, first: ms(item.first), last: ms(item.last) };
}

/** An empty asset body for an address. */
export function emptyAsset(ip: string | undefined, now: number): AssetBody {
  return {
    ...(ip !== undefined ? { ip } : {}),
    seen: false,
    updated: iso(now),
    roles: [],
    macs: [],
    hostnames: [],
    spoken: [],
    served: [],
    software: [],
    ot: [],
    operations: [],
    commanded: [],
    declared: [],
    changes: [],
  };
}

/** Folds list `add` into `into` by key; `combine` merges two items of one key; the list is kept to `cap`, newest last-seen first. */
function foldList<T extends { first: number; last: number }>(into: T[], add: readonly T[], key: (t: T) => string, combine: (a: T, b: T) => T, cap: number): T[] {
  const byKey = new Map(into.map((t) => [key(t), t]));
  for (const item of add) {
    const k = key(item);
    const hit = byKey.get(k);
    byKey.set(k, hit ? combine(hit, item) : item);
  }
  const out = [...byKey.values()];
  out.sort((a, b) => b.last - a.last || (key(a) < key(b) ? -1 : 1));
  return out.slice(0, cap);
}

const widen = <T extends { first: number; last: number }>(a: T, b: T): T => ({ ...a, ...b, first: Math.min(a.first, b.first), last: Math.max(a.last, b.last) });

function foldUse(a: ProtocolUse, b: ProtocolUse): ProtocolUse {
  const ports = [...a.ports];
  for (const p of b.ports) if (!ports.includes(p) && ports.length < CAP.ports) ports.push(p);
  return {
    ...a,
    ports: ports.sort((x, y) => x - y),
    peers: Math.max(a.peers, b.peers),
    events: a.events + b.events,
    first: Math.min(a.first, b.first),
    last: Math.max(a.last, b.last),
  };
}

function foldOps(a: OtOperations, b: OtOperations): OtOperations {
  return { ...a, peers: Math.max(a.peers, b.peers), events: a.events + b.events, first: Math.min(a.first, b.first), last: Math.max(a.last, b.last) };
}

const IDENTITY_FIELDS = ['vendor', 'product', 'model', 'firmware', 'serial'] as const;

/**
 * Changes of identity an observation brings: a MAC the address never had while it had another, and per protocol an
 * identity field (firmware, product...) whose value differs from the last one known.
 */
function identityChanges(before: AssetBody, obs: AssetObservation): AssetChange[] {
  const changes: AssetChange[] = [];
  const knownMacs = new Set(before.macs.map((m) => m.mac));
  if (knownMacs.size > 0) {
    for (const m of obs.macs) {
      if (knownMacs.has(m.mac)) continue;
      const previous = [...before.macs].sort((a, b) => ms(b.last) - ms(a.last))[0];
      changes.push({ time: iso(m.first), field: 'mac', from: previous.mac, to: m.mac, source: m.source });
    }
  }
  for (const identity of obs.ot) {
    const previous = before.ot.filter((i) => i.protocol === identity.protocol).sort((a, b) => ms(b.last) - ms(a.last))[0];
    if (!previous || ms(previous.last) > identity.first) continue;
    for (const field of IDENTITY_FIELDS) {
      const was = previous[field];
      const now = identity[field];
      if (was !== undefined && now !== undefined && was !== now) changes.push({ time: iso(identity.first), field, from: was, to: now, source: identity.source });
    }
  }
  for (const s of obs.software) {
    if (s.version === undefined) continue;
    const previous = before.software.filter((p) => p.type === s.type && p.name === s.name && p.version !== undefined).sort((a, b) => ms(b.last) - ms(a.last))[0];
    if (previous && previous.version !== s.version && ms(previous.last) <= s.first) {
      changes.push({ time: iso(s.first), field: `software:${s.name}`, from: previous.version!, to: s.version, source: s.source });
    }
  }
  return changes;
}

/** The asset body with one observation folded in (roles, zone and inventory are set by the caller afterwards). */
export function foldObservation(before: AssetBody, obs: AssetObservation, now: number): AssetBody {
  const changes = identityChanges(before, obs);
  const after: AssetBody = {
    ...before,
    seen: before.seen || obs.first !== undefined,
    updated: iso(now),
    macs: foldList(before.macs.map(fromIso), obs.macs, (m) => m.mac, widen, CAP.macs).map(toIso),
    hostnames: foldList(before.hostnames.map(fromIso), obs.hostnames, (h) => `${h.source}|${h.name}`, widen, CAP.hostnames).map(toIso),
    spoken: foldList(before.spoken.map(fromIso), obs.spoken, (u) => `${u.protocol}|${u.transport ?? ''}`, foldUse, CAP.protocols).map(toIso),
    served: foldList(before.served.map(fromIso), obs.served, (u) => `${u.protocol}|${u.transport ?? ''}`, foldUse, CAP.protocols).map(toIso),
    software: foldList(before.software.map(fromIso), obs.software, (s) => `${s.type}|${s.name}|${s.version ?? ''}`, widen, CAP.software).map(toIso),
    ot: foldList(before.ot.map(fromIso), obs.ot, identityKey, widen, CAP.ot).map(toIso),
    operations: foldList(before.operations.map(fromIso), obs.operations, (o) => `${o.protocol}|${o.class}`, foldOps, CAP.operations).map(toIso),
    commanded: foldList(before.commanded.map(fromIso), obs.commanded, (o) => `${o.protocol}|${o.class}`, foldOps, CAP.operations).map(toIso),
    declared: foldList(before.declared.map(fromIso), obs.declared, (d) => `${d.protocol}|${d.role}`, widen, CAP.declared).map(toIso),
    changes: [...before.changes, ...changes].slice(-CAP.changes),
  };
  if (obs.first !== undefined) after.first_seen = before.first_seen && ms(before.first_seen) <= obs.first ? before.first_seen : iso(obs.first);
  if (obs.last !== undefined) after.last_seen = before.last_seen && ms(before.last_seen) >= obs.last ? before.last_seen : iso(obs.last);
  return after;
}

function identityKey(i: OtIdentity): string {
  return [i.source, i.protocol, i.vendor, i.product, i.model, i.firmware, i.serial, i.name].map((v) => v ?? '').join('|');
}

/** The facts role inference reads, from an asset body. */
export function factsOf(body: AssetBody): AssetFacts {
  return {
    ip: body.ip ?? '',
    ...(body.zone !== undefined ? { zone: body.zone } : {}),
    ...(body.level !== undefined ? { level: body.level } : {}),
    macs: body.macs.map(fromIso),
    hostnames: body.hostnames.map(fromIso),
    spoken: body.spoken.map(fromIso),
    served: body.served.map(fromIso),
    software: body.software.map(fromIso),
    ot: body.ot.map(fromIso),
    operations: body.operations.map(fromIso),
    commanded: body.commanded.map(fromIso),
    declared: body.declared.map(fromIso),
  };
}

/** The summary fields dashboards filter on: the newest OT identity's vendor, product, model and firmware, else the MAC vendor. */
export function summarise(body: AssetBody, roles: readonly RoleAssessment[]): AssetBody {
  const out: AssetBody = { ...body, roles: [...roles] };
  delete out.role;
  delete out.role_confidence;
  delete out.vendor;
  delete out.product;
  delete out.model;
  delete out.firmware;
  if (roles.length > 0) {
    out.role = roles[0].role;
    out.role_confidence = roles[0].confidence;
  }
  const identity = [...body.ot].sort((a, b) => ms(b.last) - ms(a.last))[0];
  const vendor = identity?.vendor ?? [...body.macs].sort((a, b) => ms(b.last) - ms(a.last)).find((m) => m.vendor)?.vendor;
  if (vendor !== undefined) out.vendor = vendor;
  if (identity?.product !== undefined) out.product = identity.product;
  if (identity?.model !== undefined) out.model = identity.model;
  if (identity?.firmware !== undefined) out.firmware = identity.firmware;
  return out;
}

/** The whole document of an asset body: ECS `host.*` from the newest facts. */
export function assetDocument(body: AssetBody): AssetDocument {
  const newest = <T extends { last: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => ms(b.last) - ms(a.last));
  const host: AssetDocument['host'] = body.ip !== undefined ? { ip: body.ip } : {};
  if (body.macs.length) host.mac = newest(body.macs).map((m) => m.mac);
  const name = newest(body.hostnames)[0]?.name;
  if (name !== undefined) {
    host.hostname = name.split('.')[0];
    host.name = name;
  }
  return { '@timestamp': body.updated, host, vigil: { asset: body } };
}

/** JSON with object keys sorted, so that two documents built in different orders compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether two bodies say the same thing, the time of writing aside. */
export function sameAsset(a: AssetBody, b: AssetBody): boolean {
  return canonical({ ...a, updated: '' }) === canonical({ ...b, updated: '' });
}
