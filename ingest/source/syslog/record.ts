/**
 * One received message as the spool keeps it: a JSON object per line, so any byte sequence in a message (LF inside
 * an octet-counted message, tabs, quotes) survives as one line that the file source reads back. Messages are decoded
 * as UTF-8 before they are stored: bytes that are not valid UTF-8 become U+FFFD replacement characters (syslog
 * senders write UTF-8 or ASCII; RFC 5424 requires UTF-8 where it says anything).
 */
export interface SpoolRecord {
  /** When the receiver read the message, epoch ms: the reference for a syslog date without a year. */
  t: number;
  /** The sender's IP address (IPv4-mapped IPv6 addresses written as IPv4). */
  peer: string;
  /** The message as received, framing removed: `<22>Feb 21 09:21:54 mx1 postfix/smtpd[14398]: ...`. */
  msg: string;
}

/** The spool line of a message, newline included. */
export function encodeSpoolRecord(t: number, peer: string, msg: Buffer): string {
  return `{"t":${t},"peer":${JSON.stringify(peer)},"msg":${JSON.stringify(msg.toString('utf8'))}}\n`;
}

/** A spool line (without its newline) back as the record, or undefined when it is not one (a line cut by a crash). */
export function decodeSpoolLine(text: string): SpoolRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { t, peer, msg } = value as Record<string, unknown>;
  if (typeof t !== 'number' || !Number.isFinite(t) || typeof peer !== 'string' || typeof msg !== 'string') return undefined;
  return { t, peer, msg };
}

/** `::ffff:192.0.2.1` is how a dual-stack socket shows an IPv4 sender. */
export function peerAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
