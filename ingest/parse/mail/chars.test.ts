import { isAlphanumeric, isDigit, isHexDigit, isLetter } from './chars';

describe('character classes', () => {
  it('agree with the regular expressions they stand for, over every UTF-16 code unit', () => {
    const classes: Array<[(c: number) => boolean, RegExp]> = [
      [isDigit, /^[0-9]$/],
      [isLetter, /^[a-zA-Z]$/],
      [isAlphanumeric, /^[a-zA-Z0-9]$/],
      [isHexDigit, /^[0-9a-fA-F]$/],
    ];
    for (const [test, pattern] of classes) {
      for (let c = 0; c <= 0xffff; c++) {
        if (test(c) !== pattern.test(String.fromCharCode(c))) throw new Error(`${test.name} is wrong for 0x${c.toString(16)}`);
      }
    }
  });
});
