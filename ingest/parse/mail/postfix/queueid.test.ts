import { fail2banCases } from '../../../../test/support/fail2ban';
import { grokCases } from './grok-cases.fixture';
import { afterQueueId, isQueueId } from './queueid';

describe('queue ids', () => {
  const cases = grokCases();

  it('knows every queue id of the grok corpus, short and long', () => {
    const ids = cases.map((c) => c.results.postfix_queueid).filter((id): id is string => id !== undefined);
    expect(ids.length).toBeGreaterThan(50);
    expect(ids).toContain('48rT2v1hQrz1J0N');
    expect(ids).toContain('ED06590130AA1C9D6D862');
    for (const id of ids) expect(isQueueId(id)).toBe(true);
  });

  it('knows the long queue id of the fail2ban log', () => {
    const line = fail2banCases('postfix').find((c) => c.line.includes('postfix-smo/'))?.line ?? '';
    const message = line.slice(line.indexOf(']: ') + 3);
    expect(message.slice(0, afterQueueId(message) - 2)).toBe('44JCRG5tYPzCqt2');
  });

  it('takes no other first word of a message for a queue id', () => {
    const words = cases
      .filter((c) => c.results.postfix_queueid === undefined)
      .map((c) => /^([0-9A-Za-z]+): /.exec(c.data)?.[1])
      .filter((word): word is string => word !== undefined);
    // warning, fatal, statistics, Deleted, Requeued...: words of a message, written where an id could be. The PIX
    // workaround line has a queue id its pattern does not capture, and postscreen writes NOQUEUE.
    expect(words.length).toBeGreaterThan(20);
    expect(words.filter((word) => isQueueId(word)).sort()).toEqual(['B0ADE20FC7', 'NOQUEUE', 'NOQUEUE']);
  });

  it('needs the long form to hold a `z` after ten characters of time and no vowel', () => {
    expect(isQueueId('4Yv0N45mZjz6pXj')).toBe(true);
    expect(isQueueId('4Yv0N45mZj6pXjk')).toBe(false);
    expect(isQueueId('4Yvz6pXjkl')).toBe(false);
    expect(isQueueId('4Yv0N45mZa6pXjz')).toBe(false);
    expect(isQueueId('4Yv0N45mZjz')).toBe(false);
  });

  it('finds the text after `QUEUEID: ` and nothing when a queue id is not followed by both', () => {
    expect(afterQueueId('0F5383D: removed')).toBe(9);
    expect(afterQueueId('NOQUEUE: reject: RCPT')).toBe(9);
    expect(afterQueueId('0F5383D removed')).toBe(-1);
    expect(afterQueueId('0F5383D:removed')).toBe(-1);
    expect(afterQueueId('warning: 0F5383D: x', 9)).toBe(18);
  });
});
