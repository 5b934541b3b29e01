import { decodeSpoolLine, encodeSpoolRecord, peerAddress } from './record';
import { POSTFIX_LINES, realMessages } from './messages.fixture';

describe('spool records', () => {
  it('gives back each message, peer and time as received, one line per record', () => {
    const multiLine = `<22>${POSTFIX_LINES[0]}\n${POSTFIX_LINES[1]}`;
    for (const [i, msg] of [...realMessages(0, 9), multiLine, `${POSTFIX_LINES[2]}\t"quoted"\\`].entries()) {
      const line = encodeSpoolRecord(1_764_000_000_000 + i, '192.0.2.7', Buffer.from(msg));
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(decodeSpoolLine(line.slice(0, -1))).toEqual({ t: 1_764_000_000_000 + i, peer: '192.0.2.7', msg });
    }
  });

  it('keeps bytes that are not UTF-8 as replacement characters', () => {
    const line = Buffer.from(POSTFIX_LINES[3]);
    const damaged = Buffer.concat([line.subarray(0, 20), Buffer.from([0xff, 0xc3]), line.subarray(20)]);
    const record = decodeSpoolLine(encodeSpoolRecord(1, '::1', damaged).trimEnd());
    expect(record?.msg).toBe(`${POSTFIX_LINES[3].slice(0, 20)}\uFFFD\uFFFD${POSTFIX_LINES[3].slice(20)}`);
  });

  it('returns undefined for a line that is not a record: a line cut by a crash, or other JSON', () => {
    const line = encodeSpoolRecord(1, '192.0.2.7', Buffer.from(realMessages(0, 1)[0])).trimEnd();
    expect(decodeSpoolLine(line.slice(0, 40))).toBeUndefined();
    expect(decodeSpoolLine('')).toBeUndefined();
    expect(decodeSpoolLine('null')).toBeUndefined();
    expect(decodeSpoolLine(JSON.stringify({ t: '1', peer: 'x', msg: 'y' }))).toBeUndefined();
    expect(decodeSpoolLine(JSON.stringify({ t: 1, peer: 'x' }))).toBeUndefined();
  });

  it('writes an IPv4 sender seen through a dual-stack socket as IPv4', () => {
    expect(peerAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(peerAddress('2001:db8::7')).toBe('2001:db8::7');
    expect(peerAddress('::ffff:c000:207')).toBe('::ffff:c000:207');
  });
});
