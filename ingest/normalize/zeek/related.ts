/**
 * ECS `related.*`: every IP address, host name and user name an event mentions, deduplicated, so that one search
 * on `related.ip` finds an address whatever role it played.
 */
import type { EcsDocument } from './context';
import { isIp } from './values';

interface Related {
  ip?: string[];
  hosts?: string[];
  user?: string[];
}

function related(doc: EcsDocument): Related {
  return (doc.related ??= {}) as Related;
}

function add(list: string[] | undefined, value: string): string[] {
  if (list === undefined) return [value];
  if (!list.includes(value)) list.push(value);
  return list;
}

/** Adds an address; text that is not an IP address is left out (it would reject the document). */
export function relateIp(doc: EcsDocument, value: string | undefined): void {
  if (value === undefined || !isIp(value)) return;
  const r = related(doc);
  r.ip = add(r.ip, value);
}

/** Adds addresses already known to be valid (the event's source and destination). */
export function relateValidIp(doc: EcsDocument, value: string): void {
  const r = related(doc);
  r.ip = add(r.ip, value);
}

export function relateHost(doc: EcsDocument, value: string | undefined): void {
  if (value === undefined || value.length === 0) return;
  const r = related(doc);
  r.hosts = add(r.hosts, value);
}

export function relateUser(doc: EcsDocument, value: string | undefined): void {
  if (value === undefined || value.length === 0) return;
  const r = related(doc);
  r.user = add(r.user, value);
}
