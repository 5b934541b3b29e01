import { ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { windowQuery } from '../query/composite';
import type { DetectionWindow } from './model';

/** Connections of a window: Zeek `conn` events, the one log with every flow the sensor saw. */
export const CONN_INDEX = ZEEK_EVENTS_PATTERN;

export function connQuery(window: DetectionWindow, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
  return windowQuery(window.start, window.end, { term: { 'event.dataset': 'zeek.conn' } }, ...filters);
}

/** The query that finds the raw events behind an anomaly, kept in the anomaly so that a person can open them. */
export function eventsLink(window: DetectionWindow, dataset: string, terms: Record<string, string | number | Array<string | number>>): Record<string, unknown> {
  return windowQuery(
    window.start,
    window.end,
    { term: { 'event.dataset': dataset } },
    ...Object.entries(terms).map(([field, value]) => (Array.isArray(value) ? { terms: { [field]: value } } : { term: { [field]: value } })),
  );
}

export function str(v: string | number | null | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

/**
 * Multicast and broadcast destinations (neighbour discovery, mDNS, LLMNR, SSDP) and ICMP: a device's own network
 * stack talking to everyone, periodic by design and never one peer. The models that judge peers leave them out.
 */
export const NOT_TO_EVERYONE: Record<string, unknown> = {
  bool: {
    must_not: [
      { terms: { 'destination.ip': ['224.0.0.0/4', 'ff00::/8', '255.255.255.255/32'] } },
      { terms: { 'network.transport': ['icmp', 'ipv6-icmp', 'icmp6'] } },
    ],
  },
};

/**
 * Connections the originator really opened: its SYN (TCP) or data (UDP) came first, and it is not a reply from a
 * service port to an ephemeral one (Zeek takes some replies, to internet scans for one, for new connections).
 */
export const OPENED_BY_ORIGINATOR: ReadonlyArray<Record<string, unknown>> = [
  { bool: { should: [{ prefix: { 'zeek.conn.history': 'S' } }, { prefix: { 'zeek.conn.history': 'D' } }], minimum_should_match: 1 } },
  { bool: { must_not: [{ bool: { filter: [{ range: { 'source.port': { lt: 1024 } } }, { range: { 'destination.port': { gte: 1024 } } }] } }] } },
];
