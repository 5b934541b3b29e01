import * as ipaddr from 'ipaddr.js';
import { MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN } from '../../../common/es/names';
import { normaliseName, registeredDomain } from '../../features/domain';
import { windowQuery } from '../../query/composite';
import type { DetectionWindow } from '../model';

/** One document per message, rebuilt by the ingest worker from its log lines (see `common/es/templates/mail.ts`). */
export const MESSAGES_INDEX = MAIL_MESSAGES_PATTERN;
/** One document per mail log line: milter and policy verdicts live here, one verdict per document. */
export const MAIL_EVENTS_INDEX = MAIL_EVENTS_PATTERN;

/**
 * The window's messages that have a sender. The null sender `<>` (written as the empty string) is the MTA itself:
 * bounces and delivery notices, which no person wrote and which answer whatever arrived before.
 */
export function messagesQuery(window: DetectionWindow, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
  return windowQuery(
    window.start,
    window.end,
    { exists: { field: 'email.from.address' } },
    { bool: { must_not: [{ term: { 'email.from.address': '' } }] } },
    ...filters,
  );
}

/** The query behind an anomaly: the window's messages of these senders (and recipients, subjects, network). */
export function messagesLink(window: DetectionWindow, terms: Record<string, string | string[]>, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
  return windowQuery(
    window.start,
    window.end,
    ...Object.entries(terms)
      .filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== ''))
      .map(([field, value]) => (Array.isArray(value) ? { terms: { [field]: value } } : { term: { [field]: value } })),
    ...filters,
  );
}

export interface Address {
  /** Lower case: mailbox names are case-insensitive in practice, and one sender must have one key. */
  address: string;
  /** The domain as written after the last `@`, canonical form (lower case, ASCII). */
  domain: string;
  /**
   * The registered domain (eTLD+1) the domain belongs to: `mail.example.co.uk` and `example.co.uk` are one sender
   * organisation. A domain without one (a single label, an address literal) stands for itself.
   */
  organisation: string;
}

/** An envelope address cut at its domain; undefined without one (`root`, the null sender). */
export function parseAddress(raw: string | null | undefined): Address | undefined {
  if (raw === null || raw === undefined) return undefined;
  const address = raw.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const written = address.slice(at + 1);
  const domain = written.startsWith('[') ? written : (normaliseName(written) ?? written);
  return { address, domain, organisation: registeredDomain(domain) ?? domain };
}

/** A domain as a milter or policy service names it (`example.com`, `mail.example.com`), and its organisation. */
export function parseDomain(raw: string | null | undefined): { domain: string; organisation: string } | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const domain = normaliseName(raw) ?? raw.trim().toLowerCase();
  return { domain, organisation: registeredDomain(domain) ?? domain };
}

/**
 * The client network a campaign is clustered on: the /24 of an IPv4 client, the /64 of an IPv6 one (what one
 * site or one customer of a provider gets), `local` for mail submitted on the host itself (no client address).
 */
export function clientNetwork(ip: string | null | undefined): string {
  if (ip === null || ip === undefined || ip === '') return 'local';
  if (!ipaddr.isValid(ip)) return ip;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${ipaddr.fromByteArray([...parts.flatMap((p) => [p >> 8, p & 0xff]), ...new Array(8).fill(0)]).toString()}/64`;
}

/** The filter that selects a client network's messages (`local`: those without a client address). */
export function networkFilter(network: string): Record<string, unknown> {
  if (network === 'local') return { bool: { must_not: [{ exists: { field: 'source.ip' } }] } };
  return { term: { 'source.ip': network } };
}
