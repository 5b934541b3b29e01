import { isIP } from 'node:net';
import { UsageError } from '../../../common/errors';

export type SyslogTransport = 'udp' | 'tcp';

/** Where the receiver listens: one socket per entry. */
export interface ListenAddress {
  transport: SyslogTransport;
  /** An IP address (`0.0.0.0` and `::` for every interface); IPv6 without brackets. */
  host: string;
  /** 0 asks the system for a free port (the receiver reports the one it got). */
  port: number;
}

const ENTRY = /^(udp|tcp):\/\/(?:\[([^\]]*)\]|([^:/[\]]*)):(\d{1,5})$/;

/**
 * Parses `udp://127.0.0.1:5514,tcp://[::1]:5514`. Hosts are IP addresses rather than names: a name can resolve to
 * several addresses of either family, and which one a socket binds to should not depend on the resolver.
 */
export function parseListenList(list: string): ListenAddress[] {
  const entries = list.split(',').map((e) => e.trim());
  const out: ListenAddress[] = [];
  entries.forEach((entry, i) => {
    const where = `"${entry}" (entry ${i + 1} of ${entries.length} in "${list}")`;
    const m = ENTRY.exec(entry);
    if (!m) throw new UsageError(`The syslog listen address ${where} is not of the form udp://host:port or tcp://host:port.`);
    const host = m[2] ?? m[3];
    const address: ListenAddress = { transport: m[1] as SyslogTransport, host, port: Number(m[4]) };
    const problem = checkListenAddress(address);
    if (problem) throw new UsageError(`The syslog listen address ${where} ${problem}.`);
    if (m[2] !== undefined && isIP(host) !== 6) throw new UsageError(`The syslog listen address ${where} has brackets around a host that is not an IPv6 address.`);
    out.push(address);
  });
  checkDistinct(out);
  return out;
}

/** Why an address cannot be listened on, or undefined when it can. */
export function checkListenAddress(address: ListenAddress): string | undefined {
  if (address.transport !== 'udp' && address.transport !== 'tcp') return `has the transport "${String(address.transport)}"; it must be udp or tcp`;
  if (isIP(address.host) === 0) return `has the host "${address.host}", which is not an IP address (0.0.0.0 or :: listen on every interface)`;
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 65535) return `has the port ${address.port}, which is not between 0 and 65535`;
  return undefined;
}

/** Throws when two entries name the same socket: the second bind would fail with a less helpful message. */
export function checkDistinct(addresses: readonly ListenAddress[]): void {
  const seen = new Set<string>();
  for (const a of addresses) {
    if (a.port === 0) continue;
    const id = formatListenAddress(a);
    if (seen.has(id)) throw new UsageError(`The syslog listen address ${id} is given twice.`);
    seen.add(id);
  }
}

export function formatListenAddress(address: ListenAddress): string {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `${address.transport}://${host}:${address.port}`;
}
