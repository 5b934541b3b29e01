/**
 * Character codes and character classes for the mail parsers, which read lines with `charCodeAt` and no regular
 * expressions. ASCII only: the fields these classes delimit (addresses, codes, ids, keys) are ASCII in every log.
 */

/**
 * A `const enum`, so that the compiler writes each code into the code that uses it as a literal: an imported
 * `const` would be a property read from this module's exports on every comparison, and these comparisons run
 * for every character of every line.
 */
export const enum Char {
  TAB = 0x09,
  CR = 0x0d,
  SPACE = 0x20,
  QUOTE = 0x22,
  OPEN_PAREN = 0x28,
  CLOSE_PAREN = 0x29,
  STAR = 0x2a,
  PLUS = 0x2b,
  COMMA = 0x2c,
  DASH = 0x2d,
  DOT = 0x2e,
  SLASH = 0x2f,
  DIGIT_0 = 0x30,
  COLON = 0x3a,
  SEMICOLON = 0x3b,
  LT = 0x3c,
  EQUALS = 0x3d,
  GT = 0x3e,
  AT = 0x40,
  OPEN_BRACKET = 0x5b,
  BACKSLASH = 0x5c,
  CLOSE_BRACKET = 0x5d,
  UNDERSCORE = 0x5f,
}

export function isDigit(c: number): boolean {
  return c >= Char.DIGIT_0 && c <= Char.DIGIT_0 + 9;
}

/** `a` to `z` in either case: setting bit 0x20 folds `A-Z` onto `a-z` and moves no other code into that range. */
export function isLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

export function isAlphanumeric(c: number): boolean {
  return isDigit(c) || isLetter(c);
}

/** `0-9`, `a-f` and `A-F`. */
export function isHexDigit(c: number): boolean {
  if (isDigit(c)) return true;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66;
}
