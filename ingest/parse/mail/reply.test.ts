/** The SMTP reply notation shared by all the mail parsers. */
import { endOfEnhancedCode, endOfReplyCode, replyAt } from './reply';

describe('replyAt', () => {
  it('reads code, enhanced status code and text', () => {
    expect(replyAt('550 5.7.1 <a@b>... Relaying denied', 0)).toEqual({ code: 550, dsn: '5.7.1', text: '<a@b>... Relaying denied' });
    expect(replyAt('x: 421 Too many connections', 3)).toEqual({ code: 421, text: 'Too many connections' });
    expect(replyAt('550-5.1.1 multi-line', 0)).toEqual({ code: 550, dsn: '5.1.1', text: 'multi-line' });
    expect(replyAt('250', 0)).toEqual({ code: 250, text: '' });
    expect(replyAt('250 2.0.0', 0)).toEqual({ code: 250, dsn: '2.0.0', text: '' });
  });

  it('finds no reply where none starts', () => {
    expect(replyAt('Connection refused', 0)).toBeUndefined();
    expect(replyAt('1234 text', 0)).toBeUndefined();
    expect(replyAt('192.0.2.1', 0)).toBeUndefined();
    expect(replyAt('100 continue', 0)).toBeUndefined();
    expect(replyAt('600 text', 0)).toBeUndefined();
  });

  it('reads a status code only of a class RFC 3463 defines, with a subject and a detail', () => {
    expect(replyAt('550 3.1.1 text', 0)).toEqual({ code: 550, text: '3.1.1 text' });
    expect(replyAt('550 5.1. text', 0)).toEqual({ code: 550, text: '5.1. text' });
    expect(replyAt('550 5..1 text', 0)).toEqual({ code: 550, text: '5..1 text' });
  });
});

describe('endOfReplyCode and endOfEnhancedCode', () => {
  it('stop at the end of the range they are given', () => {
    expect(endOfReplyCode('550 text', 0, 3)).toBe(3);
    expect(endOfReplyCode('5501', 0, 4)).toBe(-1);
    expect(endOfReplyCode('55', 0, 2)).toBe(-1);
    expect(endOfEnhancedCode('5.7.1 text', 0, 5)).toBe(5);
    expect(endOfEnhancedCode('5.7.12', 0, 5)).toBe(-1);
    expect(endOfEnhancedCode('5.12.345 text', 0, 13)).toBe(8);
  });
});
