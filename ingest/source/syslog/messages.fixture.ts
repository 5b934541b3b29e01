/**
 * Test support for the syslog receiver: real mail log messages from the shared corpus, replayed with numbered
 * variations for volume, and readers of the spool a test can play the consumer with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { grokCases } from '../../../bench/mail-replay';
import { fail2banCases } from '../../../test/support/fail2ban';
import { decodeSpoolLine, type SpoolRecord } from './record';
import { SEGMENT_NAME } from './spool';

/** Postfix lines as syslog wrote them (`Feb 21 09:21:54 xxx postfix/smtpd[14398]: NOQUEUE: reject: ...`). */
export const POSTFIX_LINES = fail2banCases('postfix').map((c) => c.line);
/** Exim's own log lines (`2013-01-04 17:03:46 login authenticator failed for ...`): no syslog header. */
export const EXIM_LINES = fail2banCases('exim').map((c) => c.line);

/** Postfix messages without their syslog header, with the daemon the test file is named after. */
export const POSTFIX_MESSAGES: Array<{ daemon: string; data: string }> = grokCases()
  .filter((c) => !c.data.includes('\n'))
  .map(({ daemon, data }) => ({ daemon, data }));

/**
 * The n-th of an endless series of distinct real messages, as mail servers send them to a remote syslog: in turn a
 * postfix line behind an RFC 3164 PRI with its pid replaced by n, a postfix message behind an RFC 3164 header with
 * pid n, and an Exim line in an RFC 5424 message with PROCID n.
 */
export function realMessage(n: number): string {
  switch (n % 3) {
    case 0: {
      const line = POSTFIX_LINES[Math.floor(n / 3) % POSTFIX_LINES.length];
      return `<22>${line.replace(/\[\d+\]:/, `[${n}]:`)}`;
    }
    case 1: {
      const m = POSTFIX_MESSAGES[Math.floor(n / 3) % POSTFIX_MESSAGES.length];
      return `<22>Nov 24 10:00:00 mx1 postfix/${m.daemon}[${n}]: ${m.data}`;
    }
    default: {
      const line = EXIM_LINES[Math.floor(n / 3) % EXIM_LINES.length];
      return `<22>1 2026-11-24T10:00:00.000Z mx1 exim ${n} - - ${line}`;
    }
  }
}

export function realMessages(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => realMessage(from + i));
}

/** Non-transparent framing: each message ends with LF. */
export function lineFramed(messages: readonly string[]): Buffer {
  return Buffer.from(messages.map((m) => `${m}\n`).join(''));
}

/** RFC 6587 octet counting: `<length> <message>`. */
export function octetCounted(message: string): Buffer {
  const bytes = Buffer.from(message);
  return Buffer.concat([Buffer.from(`${bytes.length} `), bytes]);
}

/** The segment files of a spool directory, in name (receive) order. */
export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => SEGMENT_NAME.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/** Every record in the spool, segment by segment. */
export function readSpool(dir: string): SpoolRecord[] {
  return segmentFiles(dir).flatMap((file) => decodeAll(readFileSync(file, 'utf8')));
}

function decodeAll(text: string): SpoolRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const record = decodeSpoolLine(line);
      if (!record) throw new Error(`not a spool record: ${line}`);
      return record;
    });
}

/**
 * Plays the mail worker: reads the complete lines the segments hold so far, in order, and commits what it read, as
 * `committedBytes` answers for the receiver.
 */
export class SpoolConsumer {
  /** Read so far, per segment: segments are written one after the other, but the end of one can reach the disk after the start of the next. */
  private readonly read = new Map<string, SpoolRecord[]>();
  private readonly offsets = new Map<string, number>();
  count = 0;

  constructor(private readonly dir: string) {}

  readonly committedBytes = (file: string): number | undefined => this.offsets.get(file);

  /** What was read, in spool order: segment by segment in name order. */
  get records(): SpoolRecord[] {
    return [...this.read.keys()].sort().flatMap((file) => this.read.get(file)!);
  }

  /** Reads what is new; returns how many records that was. */
  poll(): number {
    const before = this.count;
    for (const file of segmentFiles(this.dir)) {
      const from = this.offsets.get(file) ?? 0;
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch {
        // Deleted by the receiver after it was committed.
        continue;
      }
      const end = content.lastIndexOf(0x0a) + 1;
      if (end <= from) {
        this.offsets.set(file, from);
        continue;
      }
      const records = decodeAll(content.subarray(from, end).toString('utf8'));
      if (!this.read.has(file)) this.read.set(file, []);
      this.read.get(file)!.push(...records);
      this.count += records.length;
      this.offsets.set(file, end);
    }
    return this.count - before;
  }
}
