/** How one Zeek log path becomes ECS: constants known from the path, plus a function for what the record says. */
import type { EcsDocument, NormalizeContext } from './context';
import type { ZeekFields } from './values';

export type Transport = 'tcp' | 'udp';

export interface LogMapper {
  /** ECS `event.kind`; `event` when not given. */
  kind?: 'event' | 'alert' | 'metric' | 'enrichment';
  /** ECS `event.category` (allowed values only). */
  category?: readonly string[];
  /** ECS `event.type` (allowed values only). */
  type?: readonly string[];
  /** ECS `network.protocol` when the log is about one application protocol. */
  protocol?: string;
  /**
   * The transport when the log has no `proto` field and its protocol runs over one transport only; it completes
   * the flow tuple for `network.community_id`. Left out where the protocol runs over several (Kerberos, DNP3, SIP).
   */
  transport?: Transport | ((f: ZeekFields) => Transport | undefined);
  /** ECS `event.action`: the field that names what was done (an FTP command, a Modbus function, ...). */
  action?: string;
  /** Sets the ECS fields the record's own content gives. Runs after source, destination and network are set. */
  map?(f: ZeekFields, doc: EcsDocument, ctx: NormalizeContext): void;
}

/** Shared, frozen ECS value arrays: every document of a path points at the same array, none is copied. */
export function values(...items: string[]): readonly string[] {
  return Object.freeze(items);
}

/** The object at `key` of an ECS document or object, created empty when absent. */
export function part(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  let child = parent[key] as Record<string, unknown> | undefined;
  if (child === undefined) parent[key] = child = {};
  return child;
}

/** ECS `event.outcome` from a Zeek success flag. */
export function setOutcome(doc: EcsDocument, success: boolean | undefined): void {
  if (success !== undefined) doc.event.outcome = success ? 'success' : 'failure';
}

/** True when the object has a property: ECS objects are only added to a document when they hold something. */
export function hasAny(object: Record<string, unknown>): boolean {
  for (const _ in object) return true;
  return false;
}
