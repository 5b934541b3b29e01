/** What a framer met besides well-formed messages; every message it had to cut or could not delimit is counted. */
export interface FramingCounters {
  /** Messages longer than the limit: their first `maxMessageBytes` bytes are kept, the rest discarded. */
  oversized: number;
  /** Bytes discarded from oversized messages. */
  oversizedBytesDiscarded: number;
  /** Octet-counted frames of length 0, and frames cut short by the end of the connection (what arrived is kept). */
  framingErrors: number;
}

export function newFramingCounters(): FramingCounters {
  return { oversized: 0, oversizedBytesDiscarded: 0, framingErrors: 0 };
}

const LF = 0x0a;
const SPACE = 0x20;
const ZERO = 0x30;
const NINE = 0x39;
/** Longer digit runs are not a length (no message is 1 GB): the frame is taken as a line that starts with digits. */
const MAX_LENGTH_DIGITS = 9;

type Mode = 'start' | 'digits' | 'line' | 'counted';

/**
 * Splits a syslog TCP stream into messages. Senders use one of two framings (RFC 6587), and some switch between
 * them, so the framing is decided per frame: a frame that starts with a run of digits followed by a space is
 * octet-counted (`123 <34>1 ...`), any other frame runs to the next LF (non-transparent framing). A syslog message
 * starts with `<PRI>` and a bare log line with a letter or a date (`2013-01-04 ...`), so neither is mistaken for a
 * length; a bare line that starts with digits and a space would be, which is the price of accepting both framings on
 * one port (rsyslog decides the same way).
 *
 * An octet-counted message may hold LFs; they are kept (the spool's JSON escapes them). Trailing CR, LF and NUL are
 * trimmed from every message: they are line endings and C-string terminators some senders add, not content. Empty
 * messages carry nothing and are skipped.
 *
 * The framer works on the chunks as they arrive, without joining them, so a frame split anywhere (even inside its
 * length) comes out whole, and memory stays at most one message of `maxMessageBytes`.
 */
export class SyslogFramer {
  private mode: Mode = 'start';
  private digits: number[] = [];
  private length = 0;
  /** Bytes of an octet-counted frame still to come. */
  private remaining = 0;
  private parts: Buffer[] = [];
  private kept = 0;
  private discarded = 0;

  /** `counters` may be shared by the framers of several connections. */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly onMessage: (message: Buffer) => void,
    readonly counters: FramingCounters = newFramingCounters(),
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.mode) {
        case 'start':
          this.mode = isDigit(chunk[i]) ? 'digits' : 'line';
          break;
        case 'digits': {
          const b = chunk[i];
          if (isDigit(b) && this.digits.length < MAX_LENGTH_DIGITS) {
            this.digits.push(b);
            this.length = this.length * 10 + (b - ZERO);
            i++;
          } else if (b === SPACE) {
            i++;
            this.startCounted();
          } else {
            // Not a length after all: the digits begin a line.
            this.keep(Buffer.from(this.digits));
            this.resetDigits();
            this.mode = 'line';
          }
          break;
        }
        case 'line': {
          const lf = chunk.indexOf(LF, i);
          const end = lf < 0 ? n : lf;
          this.keep(chunk.subarray(i, end));
          if (lf < 0) return;
          i = lf + 1;
          this.emit();
          break;
        }
        case 'counted': {
          const take = Math.min(this.remaining, n - i);
          this.keep(chunk.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.emit();
          break;
        }
      }
    }
  }

  /** The connection ended: what was received of the last frame is a message. */
  end(): void {
    if (this.mode === 'counted' || this.mode === 'digits') this.counters.framingErrors++;
    if (this.mode === 'digits') this.keep(Buffer.from(this.digits));
    if (this.mode !== 'start') this.emit();
  }

  private startCounted(): void {
    const length = this.length;
    this.resetDigits();
    if (length === 0) {
      this.counters.framingErrors++;
      this.mode = 'start';
      return;
    }
    this.remaining = length;
    this.mode = 'counted';
  }

  private resetDigits(): void {
    this.digits = [];
    this.length = 0;
  }

  private keep(bytes: Buffer): void {
    const room = this.maxMessageBytes - this.kept;
    if (bytes.length <= room) {
      if (bytes.length > 0) this.parts.push(bytes);
      this.kept += bytes.length;
      return;
    }
    if (room > 0) this.parts.push(bytes.subarray(0, room));
    this.kept += room;
    this.discarded += bytes.length - room;
  }

  private emit(): void {
    const message = trimEnd(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.kept));
    if (this.discarded > 0) {
      this.counters.oversized++;
      this.counters.oversizedBytesDiscarded += this.discarded;
    }
    this.parts = [];
    this.kept = 0;
    this.discarded = 0;
    this.mode = 'start';
    if (message.length > 0) this.onMessage(message);
  }
}

/** Without trailing CR, LF and NUL. */
function trimEnd(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0d || bytes[end - 1] === LF || bytes[end - 1] === 0x00)) end--;
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}

function isDigit(b: number): boolean {
  return b >= ZERO && b <= NINE;
}

/** A UDP datagram is one message (RFC 5426): trimmed as a TCP frame is, and cut at `maxMessageBytes` (counted). */
export function frameDatagram(datagram: Buffer, maxMessageBytes: number, counters: FramingCounters): Buffer {
  const message = trimEnd(datagram);
  if (message.length <= maxMessageBytes) return message;
  counters.oversized++;
  counters.oversizedBytesDiscarded += message.length - maxMessageBytes;
  return message.subarray(0, maxMessageBytes);
}
