import type { LineHeader } from '../types';
import { grokCase, headerOf } from './grok-cases.fixture';
import { parsePostfix } from './index';

function header(program: string | undefined, message: string): LineHeader {
  return { timestamp: 0, timeFormat: 'rfc3164', program, message };
}

describe('parsePostfix', () => {
  it('reads a line by the daemon of its program, in any instance', () => {
    const line = grokCase('smtp_0001.yaml');
    expect(parsePostfix(headerOf(line, 'postfix-out/smtp'))).toMatchObject({
      instance: 'postfix-out',
      daemon: 'smtp',
      action: 'delivery',
      nextQueueId: '153053D',
    });
    expect(parsePostfix(headerOf(line, 'postfix/10025/lmtp'))).toMatchObject({
      instance: 'postfix/10025',
      daemon: 'lmtp',
    });
  });

  it('reads the warnings of daemons it has no parser for', () => {
    const line = grokCase('tlsmgr_0001.yaml');
    expect(parsePostfix(headerOf(line, 'postfix/postlog'))).toMatchObject({
      action: 'warning',
      extra: { level: 'warning' },
    });
  });

  it('keeps an unknown line of a message as `other` with its queue id, but not a NOQUEUE one', () => {
    // A qmgr line this parser has no rule for, from a real message: the PIX workaround is an smtp line.
    const pix = grokCase('smtp_0031.yaml');
    expect(parsePostfix(headerOf(pix, 'postfix/qmgr'))).toMatchObject({
      action: 'other',
      queueId: 'B0ADE20FC7',
      statusText: pix.data.slice('B0ADE20FC7: '.length),
    });
    const busy = grokCase('postscreen_0023.yaml');
    expect(parsePostfix(headerOf(busy, 'postfix/qmgr'))).toBeUndefined();
  });

  it('gives lines without a queue file no queue id', () => {
    const reject = parsePostfix(headerOf(grokCase('smtpd_0004.yaml')));
    expect(reject?.action).toBe('reject');
    expect(reject).not.toHaveProperty('queueId');
  });

  it('is not fooled by daemon names that are members of every object', () => {
    for (const daemon of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(parsePostfix(header(`postfix/${daemon}`, 'hello'))).toBeUndefined();
    }
  });

  it('leaves lines of other programs, and lines without a program, to other parsers', () => {
    const data = grokCase('smtpd_0001.yaml').data;
    expect(parsePostfix(header(undefined, data))).toBeUndefined();
    expect(parsePostfix(header('sm-mta', data))).toBeUndefined();
  });
});
