/**
 * Reads the header of a mail log line: its timestamp in whichever format the writer used, and the host, program and
 * pid where the format has them. The first characters choose the format, so each line is read once, left to right,
 * with character-code checks and no regular expressions.
 */
import { Char, isDigit, isLetter } from './chars';
import { localToEpoch, tai64nToEpoch, yearlessToEpoch } from './time';
import type { LineHeader, TimeContext, TimeFormat } from './types';

type HeaderResult = LineHeader | { error: string };

// Shared and frozen: a line without a header costs no allocation.
const NO_TIMESTAMP = Object.freeze({ error: 'no timestamp in a format the mail reader knows' });
const IMPOSSIBLE_DATE = Object.freeze({ error: 'timestamp with an impossible date or time of day' });
const NIL_TIMESTAMP = Object.freeze({ error: 'RFC 5424 line whose timestamp is the NILVALUE "-"' });
const TAI64N_RANGE = Object.freeze({ error: 'TAI64N label that is not hex or lies outside 1970 to 2106' });

const T_UPPER = 0x54;
const BOM = 0xfeff;

/**
 * The timestamp fields being read. One object for every line: reading is synchronous, and a reused object keeps the
 * per-line cost to the strings the header itself holds.
 */
const fields = {
  year: 0,
  month: 0,
  day: 0,
  hour: 0,
  minute: 0,
  second: 0,
  ms: 0,
  /** Minutes east of UTC written in the line; NaN when the line has no zone. */
  offset: NaN,
  /** Index just after what was read. */
  end: 0,
};

/** PRI of the line being read, -1 when it has none. */
let pri = -1;
/** Facility and severity given by name (`<mail.notice>`, BSD syslogd -v), -1 when none. */
let namedFacility = -1;
let namedSeverity = -1;

/** The number written with exactly `count` digits at `i`, or -1. */
function digitsAt(line: string, i: number, count: number): number {
  let value = 0;
  for (let k = i; k < i + count; k++) {
    const c = line.charCodeAt(k);
    if (!isDigit(c)) return -1;
    value = value * 10 + c - Char.DIGIT_0;
  }
  return value;
}

function skipSpaces(line: string, i: number): number {
  let c = line.charCodeAt(i);
  while (c === Char.SPACE || c === Char.TAB) c = line.charCodeAt(++i);
  return i;
}

/** Index of the first space or tab at or after `i`, or the line's length. */
function tokenEnd(line: string, i: number): number {
  let c = line.charCodeAt(i);
  while (i < line.length && c !== Char.SPACE && c !== Char.TAB) c = line.charCodeAt(++i);
  return i;
}

const MONTHS = new Map<number, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((name, index) => [
    threeLetterKey(name, 0),
    index + 1,
  ]),
);
const WEEKDAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((name) => threeLetterKey(name, 0)));

/** The three letters at `i` folded to lower case into one number, so names are looked up without a substring. */
function threeLetterKey(text: string, i: number): number {
  return ((text.charCodeAt(i) | 0x20) << 16) | ((text.charCodeAt(i + 1) | 0x20) << 8) | (text.charCodeAt(i + 2) | 0x20);
}

/** Month 1 to 12 named by the three letters at `i` (`Feb`, `FEB`), or 0. */
function monthAt(line: string, i: number): number {
  if (!isLetter(line.charCodeAt(i)) || !isLetter(line.charCodeAt(i + 1)) || !isLetter(line.charCodeAt(i + 2))) return 0;
  return MONTHS.get(threeLetterKey(line, i)) ?? 0;
}

/**
 * `HH:MM:SS` at `i` with an optional fraction (`.123456`, or `,123` as some writers put it), into `fields`.
 * Only the milliseconds of the fraction are kept: Elasticsearch dates of mail events are millisecond dates.
 */
function clockAt(line: string, i: number): boolean {
  const hour = digitsAt(line, i, 2);
  const minute = digitsAt(line, i + 3, 2);
  const second = digitsAt(line, i + 6, 2);
  if (hour < 0 || minute < 0 || second < 0) return false;
  if (line.charCodeAt(i + 2) !== Char.COLON || line.charCodeAt(i + 5) !== Char.COLON) return false;
  fields.hour = hour;
  fields.minute = minute;
  fields.second = second;
  fields.ms = 0;
  let k = i + 8;
  const c = line.charCodeAt(k);
  if ((c === Char.DOT || c === Char.COMMA) && isDigit(line.charCodeAt(k + 1))) {
    let scale = 100;
    for (k++; isDigit(line.charCodeAt(k)); k++) {
      fields.ms += (line.charCodeAt(k) - Char.DIGIT_0) * scale;
      scale /= 10;
    }
    fields.ms = Math.floor(fields.ms);
  }
  fields.end = k;
  return true;
}

/**
 * A zone at `i`: `Z`, `+01:00`, `+0100`, `GMT` or `UTC`, into `fields.offset` and `fields.end`. A bare two-digit
 * hour offset is not taken: after a time it is more often the start of the message than a zone.
 */
function zoneAt(line: string, i: number): boolean {
  const c = line.charCodeAt(i);
  if (c === 0x5a || c === 0x7a) {
    fields.offset = 0;
    fields.end = i + 1;
    return true;
  }
  if (c === Char.PLUS || c === Char.DASH) {
    const hours = digitsAt(line, i + 1, 2);
    const colon = line.charCodeAt(i + 3) === Char.COLON ? 1 : 0;
    const minutes = digitsAt(line, i + 3 + colon, 2);
    if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return false;
    fields.offset = (c === Char.DASH ? -1 : 1) * (hours * 60 + minutes);
    fields.end = i + 5 + colon;
    return true;
  }
  if (line.startsWith('GMT', i) || line.startsWith('UTC', i)) {
    fields.offset = 0;
    fields.end = i + 3;
    return true;
  }
  return false;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `fields` hold a real date and time; `withYear` false lets 29 February through for the year inference. */
function fieldsValid(withYear: boolean): boolean {
  const { year, month, day } = fields;
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month]) return false;
  if (withYear && month === 2 && day === 29 && !isLeapYear(year)) return false;
  return fields.hour <= 23 && fields.minute <= 59 && fields.second <= 60;
}

/** Epoch ms of `fields`: their own zone if they have one, else the context's; their year, else the inferred one. */
function fieldsToEpoch(time: TimeContext, withYear: boolean): number {
  const { year, month, day, hour, minute, second, ms, offset } = fields;
  if (!withYear) return yearlessToEpoch(month, day, hour, minute, second, ms, time);
  if (Number.isNaN(offset)) return localToEpoch(year, month, day, hour, minute, second, ms, time.timeZone);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000;
}

/** The end of the text a message may take: trailing blanks, and the carriage return of a CRLF file, are not part of it. */
function contentEnd(line: string): number {
  let end = line.length;
  for (let c = line.charCodeAt(end - 1); c === Char.SPACE || c === Char.TAB || c === Char.CR; c = line.charCodeAt(--end - 1));
  return end;
}

function makeHeader(
  line: string,
  timestamp: number,
  timeFormat: TimeFormat,
  host: string | undefined,
  program: string | undefined,
  pid: number | undefined,
  messageStart: number,
): LineHeader {
  let facility: number | undefined;
  let severity: number | undefined;
  if (pri >= 0) {
    facility = pri >> 3;
    severity = pri & 7;
  } else {
    if (namedFacility >= 0) facility = namedFacility;
    if (namedSeverity >= 0) severity = namedSeverity;
  }
  let message = line.slice(skipSpaces(line, messageStart), contentEnd(line));
  // RFC 5424 marks a UTF-8 message with a byte order mark; read as Latin-1 it is three characters.
  if (message.charCodeAt(0) === BOM) message = message.slice(1);
  else if (message.startsWith('\u00ef\u00bb\u00bf')) message = message.slice(3);
  return { timestamp, timeFormat, host, program, pid, facility, severity, message };
}

/** What the last successful `readTag` read: module state, like `fields`, so a tag costs no result object. */
let tagProgram = '';
let tagPid: number | undefined;

/**
 * A syslog tag at `[start, end)`: `prog:`, `prog[pid]:`, `postfix/10025/smtpd[12]:`. Sets `tagProgram`/`tagPid`.
 * `requirePid` accepts only the `prog[pid]:` form, for places where a bare `word:` is as likely message text.
 */
function readTag(line: string, start: number, end: number, requirePid: boolean): boolean {
  if (end - start < 2 || line.charCodeAt(end - 1) !== Char.COLON) return false;
  const first = line.charCodeAt(start);
  if (first === Char.OPEN_BRACKET || first === Char.LT || first === Char.COLON) return false;
  if (line.charCodeAt(end - 2) !== Char.CLOSE_BRACKET) {
    if (requirePid) return false;
    tagProgram = line.slice(start, end - 1);
    tagPid = undefined;
    return true;
  }
  const open = line.lastIndexOf('[', end - 2);
  if (open <= start || open + 1 === end - 2) return false;
  const pid = digitsAt(line, open + 1, end - 2 - open - 1);
  if (pid < 0) return false;
  tagProgram = line.slice(start, open);
  tagPid = pid;
  return true;
}

/** `[pid]:` alone at `[start, end)`, as SOGo writes after its name (`sogod [26818]:`): the pid, or -1. */
function detachedPid(line: string, start: number, end: number): number {
  if (end - start < 4 || line.charCodeAt(start) !== Char.OPEN_BRACKET) return -1;
  if (line.charCodeAt(end - 1) !== Char.COLON || line.charCodeAt(end - 2) !== Char.CLOSE_BRACKET) return -1;
  return digitsAt(line, start + 1, end - 3 - start);
}

/** `[error]`, `[notice]`: a priority name in brackets, as PEAR Log (Horde) writes after its ident. */
function isBracketedWord(line: string, start: number, end: number): boolean {
  if (end - start < 3 || line.charCodeAt(start) !== Char.OPEN_BRACKET || line.charCodeAt(end - 1) !== Char.CLOSE_BRACKET) return false;
  for (let k = start + 1; k < end - 1; k++) if (!isLetter(line.charCodeAt(k))) return false;
  return true;
}

const FACILITIES = new Map<string, number>([
  ['kern', 0], ['user', 1], ['mail', 2], ['daemon', 3], ['auth', 4], ['syslog', 5], ['lpr', 6], ['news', 7],
  ['uucp', 8], ['cron', 9], ['authpriv', 10], ['ftp', 11], ['ntp', 12], ['security', 13], ['console', 14],
  ['local0', 16], ['local1', 17], ['local2', 18], ['local3', 19], ['local4', 20], ['local5', 21], ['local6', 22],
  ['local7', 23],
]);
const SEVERITIES = new Map<string, number>([
  ['emerg', 0], ['panic', 0], ['alert', 1], ['crit', 2], ['err', 3], ['error', 3], ['warning', 4], ['warn', 4],
  ['notice', 5], ['info', 6], ['debug', 7],
]);

/** `<mail.notice>` at `i` (FreeBSD syslogd -v): sets the named facility and severity, returns the index after it. */
function namedPriorityAt(line: string, i: number): number {
  if (line.charCodeAt(i) !== Char.LT) return i;
  const close = line.indexOf('>', i);
  const dot = line.indexOf('.', i);
  if (close < 0 || close - i > 20 || dot < 0 || dot > close) return i;
  const facility = FACILITIES.get(line.slice(i + 1, dot));
  const severity = SEVERITIES.get(line.slice(dot + 1, close));
  if (facility === undefined || severity === undefined) return i;
  namedFacility = facility;
  namedSeverity = severity;
  return close + 1;
}

/**
 * What follows a syslog timestamp: `host tag: message`, `tag: message` (a local file without a host),
 * `prog [pid]: message` (SOGo), `IDENT [priority] message` (Horde's PEAR Log), or `host message` without a tag.
 */
function syslogTail(line: string, i: number, timestamp: number, timeFormat: TimeFormat): LineHeader {
  i = namedPriorityAt(line, skipSpaces(line, i));
  const start1 = skipSpaces(line, i);
  const end1 = tokenEnd(line, start1);
  if (readTag(line, start1, end1, false)) return makeHeader(line, timestamp, timeFormat, undefined, tagProgram, tagPid, end1);
  const start2 = skipSpaces(line, end1);
  const end2 = tokenEnd(line, start2);
  const host = line.slice(start1, end1);
  if (readTag(line, start2, end2, false)) return makeHeader(line, timestamp, timeFormat, host, tagProgram, tagPid, end2);
  let pid = detachedPid(line, start2, end2);
  if (pid >= 0) return makeHeader(line, timestamp, timeFormat, undefined, host, pid, end2);
  if (isBracketedWord(line, start2, end2)) return makeHeader(line, timestamp, timeFormat, undefined, host, undefined, start2);
  const start3 = skipSpaces(line, end2);
  const end3 = tokenEnd(line, start3);
  pid = detachedPid(line, start3, end3);
  if (pid >= 0) return makeHeader(line, timestamp, timeFormat, host, line.slice(start2, end2), pid, end3);
  return makeHeader(line, timestamp, timeFormat, host, undefined, undefined, start2);
}

/** `Feb 21 09:21:54`, `Jul  3 23:07:20`, `Jan 4 21:51:05`: RFC 3164, no year, no zone. */
function readRfc3164(line: string, i: number, time: TimeContext): HeaderResult {
  fields.month = monthAt(line, i);
  let k = i + 4;
  if (line.charCodeAt(k) === Char.SPACE) k++;
  let day = digitsAt(line, k, 1);
  if (day < 0) return NO_TIMESTAMP;
  if (isDigit(line.charCodeAt(k + 1))) day = day * 10 + line.charCodeAt(++k) - Char.DIGIT_0;
  if (line.charCodeAt(k + 1) !== Char.SPACE || !clockAt(line, k + 2)) return NO_TIMESTAMP;
  fields.day = day;
  if (!fieldsValid(false)) return IMPOSSIBLE_DATE;
  return syslogTail(line, fields.end, fieldsToEpoch(time, false), 'rfc3164');
}

/** `2013-01-04` at `i`, then `T` or a space and the time, into `fields`; the index of the separator, or -1. */
function isoDateTimeAt(line: string, i: number): number {
  fields.year = digitsAt(line, i, 4);
  fields.month = digitsAt(line, i + 5, 2);
  fields.day = digitsAt(line, i + 8, 2);
  if (fields.year < 0 || fields.month < 0 || fields.day < 0) return -1;
  if (line.charCodeAt(i + 4) !== Char.DASH || line.charCodeAt(i + 7) !== Char.DASH) return -1;
  const separator = line.charCodeAt(i + 10);
  if ((separator !== T_UPPER && separator !== Char.SPACE) || !clockAt(line, i + 11)) return -1;
  return i + 10;
}

/**
 * An ISO date at the start of the line. With `T` and a zone it is RFC 3339 (rsyslog's high-precision format, and
 * syslog-ng's ISO format) followed by `host tag:`. With a space it is Exim's own log, `2013-01-04 17:03:46`, with
 * the optional milliseconds, `+0100` zone and `[pid]` of Exim's log_selector; syslog-ng can put `host prog[pid]:`
 * after it too. A bare `word:` there is not taken for a tag: Exim and Dovecot messages start that way.
 */
function readIso(line: string, i: number, time: TimeContext, depth: number): HeaderResult {
  const separator = isoDateTimeAt(line, i);
  if (separator < 0) return NO_TIMESTAMP;
  let k = fields.end;
  if (line.charCodeAt(separator) === T_UPPER) {
    if (!zoneAt(line, k)) fields.offset = NaN;
    else k = fields.end;
    if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
    return syslogTail(line, k, fieldsToEpoch(time, true), Number.isNaN(fields.offset) ? 'iso-local' : 'rfc3339');
  }
  fields.offset = NaN;
  const sign = line.charCodeAt(k + 1);
  if (line.charCodeAt(k) === Char.SPACE && (sign === Char.PLUS || sign === Char.DASH) && zoneAt(line, k + 1)) {
    // Only a whole word is a zone: `-0500` glued to more text is the message.
    if (fields.end >= line.length || line.charCodeAt(fields.end) === Char.SPACE) k = fields.end;
    else fields.offset = NaN;
  }
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  const timestamp = fieldsToEpoch(time, true);
  const timeFormat: TimeFormat = Number.isNaN(fields.offset) ? 'iso-local' : 'other';
  let pid: number | undefined;
  k = skipSpaces(line, k);
  if (line.charCodeAt(k) === Char.OPEN_BRACKET) {
    const close = line.indexOf(']', k);
    const value = close > k + 1 ? digitsAt(line, k + 1, close - k - 1) : -1;
    if (value >= 0) {
      pid = value;
      k = close + 1;
    }
  }
  const start1 = skipSpaces(line, k);
  const end1 = tokenEnd(line, start1);
  let host: string | undefined;
  let tagEnd = -1;
  if (depth === 0 && readTag(line, start1, end1, true)) tagEnd = end1;
  else if (depth === 0) {
    const start2 = skipSpaces(line, end1);
    const end2 = tokenEnd(line, start2);
    if (readTag(line, start2, end2, true)) {
      const first = line.slice(start1, end1);
      const severity = SEVERITIES.get(first);
      // syslog-ng templates put the priority where the host would be: `2016-04-01 11:08:00 info exim[8003]:`.
      if (severity !== undefined) namedSeverity = severity;
      else host = first;
      tagEnd = end2;
    }
  }
  if (tagEnd < 0) return makeHeader(line, timestamp, timeFormat, undefined, undefined, pid, k);
  k = tagEnd;
  // Exim's own `[pid]` repeated after the syslog tag says nothing new.
  const start = skipSpaces(line, k);
  const close = line.indexOf(']', start);
  if (line.charCodeAt(start) === Char.OPEN_BRACKET && close > start + 1 && digitsAt(line, start + 1, close - start - 1) === tagPid) {
    k = close + 1;
  }
  return makeHeader(line, timestamp, timeFormat, host, tagProgram, tagPid, k);
}

/** `03-07-2005 23:07:20` (Domino: day first) or `10/06/2013 15:50:41` (SquirrelMail: month first) at `i`. */
function readNumericDate(line: string, i: number, time: TimeContext): HeaderResult {
  const separator = line.charCodeAt(i + 2);
  const first = digitsAt(line, i, 2);
  const second = digitsAt(line, i + 3, 2);
  fields.year = digitsAt(line, i + 6, 4);
  if (first < 0 || second < 0 || fields.year < 0 || line.charCodeAt(i + 5) !== separator) return NO_TIMESTAMP;
  if (line.charCodeAt(i + 10) !== Char.SPACE || !clockAt(line, i + 11)) return NO_TIMESTAMP;
  fields.day = separator === Char.DASH ? first : second;
  fields.month = separator === Char.DASH ? second : first;
  fields.offset = NaN;
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  return makeHeader(line, fieldsToEpoch(time, true), 'other', undefined, undefined, undefined, fields.end);
}

/**
 * `Apr-07-13 07:08:36`: ASSP's `%b-%d-%y`. The two-digit year is read as 20YY: ASSP was first released in 2004.
 */
function readMonthDayShortYear(line: string, i: number, time: TimeContext): HeaderResult {
  fields.month = monthAt(line, i);
  fields.day = digitsAt(line, i + 4, 2);
  const year = digitsAt(line, i + 7, 2);
  if (fields.day < 0 || year < 0 || line.charCodeAt(i + 6) !== Char.DASH || line.charCodeAt(i + 9) !== Char.SPACE) return NO_TIMESTAMP;
  if (!clockAt(line, i + 10)) return NO_TIMESTAMP;
  fields.year = 2000 + year;
  fields.offset = NaN;
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  return makeHeader(line, fieldsToEpoch(time, true), 'other', undefined, undefined, undefined, fields.end);
}

/** `Sat Dec 28 19:03:53 2013`: C's ctime(), as OpenWebMail writes it. */
function readCtime(line: string, i: number, time: TimeContext): HeaderResult {
  fields.month = monthAt(line, i + 4);
  let k = i + 8;
  if (line.charCodeAt(k) === Char.SPACE) k++;
  let day = digitsAt(line, k, 1);
  if (fields.month === 0 || day < 0) return NO_TIMESTAMP;
  if (isDigit(line.charCodeAt(k + 1))) day = day * 10 + line.charCodeAt(++k) - Char.DIGIT_0;
  if (line.charCodeAt(k + 1) !== Char.SPACE || !clockAt(line, k + 2)) return NO_TIMESTAMP;
  fields.day = day;
  fields.year = digitsAt(line, fields.end + 1, 4);
  if (line.charCodeAt(fields.end) !== Char.SPACE || fields.year < 0) return NO_TIMESTAMP;
  fields.offset = NaN;
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  return makeHeader(line, fieldsToEpoch(time, true), 'other', undefined, undefined, undefined, fields.end + 5);
}

/**
 * A date inside brackets starting at `i`, up to the closing bracket: `17/Jun/2011 17:00:45` (Kerio),
 * `24/Mar/2013:08:58:32 GMT` (Apache common log), `22-Jan-2013 22:28:21 +0200` (Roundcube), `2014-01-06 10:59:38`
 * (Group-Office). Sets `fields` and returns the index of the `]`, or -1.
 */
function bracketedDateAt(line: string, i: number): number {
  let k: number;
  if (isDigit(line.charCodeAt(i + 2))) {
    if (isoDateTimeAt(line, i) < 0) return -1;
    k = fields.end;
  } else {
    const separator = line.charCodeAt(i + 2);
    if (separator !== Char.SLASH && separator !== Char.DASH) return -1;
    fields.day = digitsAt(line, i, 2);
    fields.month = monthAt(line, i + 3);
    fields.year = digitsAt(line, i + 7, 4);
    if (fields.day < 0 || fields.month === 0 || fields.year < 0 || line.charCodeAt(i + 6) !== separator) return -1;
    const before = line.charCodeAt(i + 11);
    if ((before !== Char.SPACE && before !== Char.COLON) || !clockAt(line, i + 12)) return -1;
    k = fields.end;
  }
  fields.offset = NaN;
  if (line.charCodeAt(k) === Char.SPACE && zoneAt(line, k + 1)) k = fields.end;
  return line.charCodeAt(k) === Char.CLOSE_BRACKET ? k : -1;
}

/**
 * A line starting with `[`: a bracketed date, or Domino's `[pid:thread-id] 22-06-2014 09:56:12`, whose bracket
 * starts with the process id.
 */
function readBracketed(line: string, time: TimeContext, i: number): HeaderResult {
  const close = bracketedDateAt(line, i + 1);
  if (close >= 0) {
    if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
    // Roundcube ends its header with `]:`.
    const start = line.charCodeAt(close + 1) === Char.COLON ? close + 2 : close + 1;
    return makeHeader(line, fieldsToEpoch(time, true), 'other', undefined, undefined, undefined, start);
  }
  const end = line.indexOf(']', i);
  const colon = line.indexOf(':', i);
  if (end < 0 || colon < 0 || colon > end) return NO_TIMESTAMP;
  const pid = digitsAt(line, i + 1, colon - i - 1);
  const start = skipSpaces(line, end + 1);
  if (pid < 0 || !isDigit(line.charCodeAt(start)) || line.charCodeAt(start + 2) !== Char.DASH) return NO_TIMESTAMP;
  const result = readNumericDate(line, start, time);
  if ('error' in result) return result;
  result.pid = pid;
  return result;
}

/**
 * Apache's common log format, as SOGo's log interleaves it: `173.194.44.31 - - [24/Mar/2013:08:58:32 GMT] "POST`.
 * The timestamp sits in the middle and the first field is the client, not the writer, so the message is the whole
 * line and there is no host.
 */
function readCommonLog(line: string, time: TimeContext): HeaderResult {
  const first = line.indexOf(' ');
  const second = first < 0 ? -1 : line.indexOf(' ', first + 1);
  const third = second < 0 ? -1 : line.indexOf(' ', second + 1);
  if (third < 0 || line.charCodeAt(third + 1) !== Char.OPEN_BRACKET) return NO_TIMESTAMP;
  if (bracketedDateAt(line, third + 2) < 0) return NO_TIMESTAMP;
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  return makeHeader(line, fieldsToEpoch(time, true), 'other', undefined, undefined, undefined, 0);
}

/**
 * `host prog[pid]: <timestamp> message`: a journal entry printed without its own time (`journalctl -o short` of a
 * service that logs its own timestamps, `mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...`). The
 * timestamp is the one the program wrote.
 */
function readTagThenTimestamp(line: string, time: TimeContext): HeaderResult {
  const end1 = tokenEnd(line, 0);
  let host: string | undefined;
  let tagEnd = end1;
  if (!readTag(line, 0, end1, true)) {
    const start2 = skipSpaces(line, end1);
    tagEnd = tokenEnd(line, start2);
    if (!readTag(line, start2, tagEnd, true)) return NO_TIMESTAMP;
    host = line.slice(0, end1);
  }
  const program = tagProgram;
  const pid = tagPid;
  const inner = readAt(line.slice(skipSpaces(line, tagEnd)), time, 1);
  if ('error' in inner) return inner;
  inner.host = host;
  inner.program = program;
  inner.pid = pid;
  return inner;
}

/** RFC 5424: `<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] message`, from after the version. */
function readRfc5424(line: string, i: number, time: TimeContext): HeaderResult {
  if (line.charCodeAt(i) === Char.DASH && line.charCodeAt(i + 1) === Char.SPACE) return NIL_TIMESTAMP;
  const separator = isoDateTimeAt(line, i);
  if (separator < 0 || line.charCodeAt(separator) !== T_UPPER || !zoneAt(line, fields.end)) return NO_TIMESTAMP;
  if (!fieldsValid(true)) return IMPOSSIBLE_DATE;
  const timestamp = fieldsToEpoch(time, true);
  const hostStart = skipSpaces(line, fields.end);
  const hostEnd = tokenEnd(line, hostStart);
  const appStart = hostEnd + 1;
  const appEnd = tokenEnd(line, appStart);
  const procStart = appEnd + 1;
  const procEnd = tokenEnd(line, procStart);
  const msgIdEnd = tokenEnd(line, procEnd + 1);
  const host = nilOrText(line, hostStart, hostEnd);
  const program = nilOrText(line, appStart, appEnd);
  const pid = procEnd > procStart ? digitsAt(line, procStart, procEnd - procStart) : -1;
  const messageStart = skipStructuredData(line, msgIdEnd + 1);
  return makeHeader(line, timestamp, 'rfc3339', host, program, pid >= 0 ? pid : undefined, messageStart);
}

function nilOrText(line: string, start: number, end: number): string | undefined {
  if (end <= start || (end === start + 1 && line.charCodeAt(start) === Char.DASH)) return undefined;
  return line.slice(start, end);
}

/** The index after RFC 5424 STRUCTURED-DATA at `i` (`-` or `[id k="v" ...]...`, `\]` and `\"` escaped in values). */
function skipStructuredData(line: string, i: number): number {
  if (line.charCodeAt(i) === Char.DASH) return i + 1;
  if (line.charCodeAt(i) !== Char.OPEN_BRACKET) return i;
  let inValue = false;
  for (let k = i; k < line.length; k++) {
    const c = line.charCodeAt(k);
    if (inValue) {
      if (c === Char.BACKSLASH) k++;
      else if (c === Char.QUOTE) inValue = false;
    } else if (c === Char.QUOTE) inValue = true;
    else if (c === Char.CLOSE_BRACKET && line.charCodeAt(k + 1) !== Char.OPEN_BRACKET) return k + 1;
  }
  return line.length;
}

/** `@400000004c91b044077a9e94 prog: message`: multilog's TAI64N label, no host, a tag when the program wrote one. */
function readTai64n(line: string, i: number): HeaderResult {
  const timestamp = tai64nToEpoch(line, i + 1);
  if (timestamp === undefined) return TAI64N_RANGE;
  const start = skipSpaces(line, i + 25);
  const end = tokenEnd(line, start);
  if (readTag(line, start, end, false)) return makeHeader(line, timestamp, 'tai64n', undefined, tagProgram, tagPid, end);
  return makeHeader(line, timestamp, 'tai64n', undefined, undefined, undefined, start);
}

/** `<34>`: the PRI, 0 to 191; the index after it, or `i` when there is none. */
function priAt(line: string, i: number): number {
  if (line.charCodeAt(i) !== Char.LT) return i;
  const close = line.indexOf('>', i);
  if (close < i + 2 || close > i + 4) return i;
  const value = digitsAt(line, i + 1, close - i - 1);
  if (value < 0 || value > 191) return i;
  pri = value;
  return close + 1;
}

function readAt(line: string, time: TimeContext, depth: number): HeaderResult {
  let i = line.charCodeAt(0) === BOM ? 1 : 0;
  if (depth === 0) {
    pri = -1;
    namedFacility = -1;
    namedSeverity = -1;
    i = priAt(line, i);
    if (pri >= 0 && line.charCodeAt(i) === 0x31 && line.charCodeAt(i + 1) === Char.SPACE) return readRfc5424(line, i + 2, time);
  }
  const c = line.charCodeAt(i);
  if (isDigit(c)) {
    if (isDigit(line.charCodeAt(i + 2)) && line.charCodeAt(i + 4) === Char.DASH) return readIso(line, i, time, depth);
    const separator = line.charCodeAt(i + 2);
    if ((separator === Char.DASH || separator === Char.SLASH) && isDigit(line.charCodeAt(i + 3))) return readNumericDate(line, i, time);
  } else if (isLetter(c) && line.charCodeAt(i + 3) === Char.SPACE && monthAt(line, i) !== 0) {
    return readRfc3164(line, i, time);
  } else if (isLetter(c) && line.charCodeAt(i + 3) === Char.DASH && monthAt(line, i) !== 0) {
    return readMonthDayShortYear(line, i, time);
  } else if (isLetter(c) && line.charCodeAt(i + 3) === Char.SPACE && WEEKDAYS.has(threeLetterKey(line, i))) {
    return readCtime(line, i, time);
  } else if (c === Char.AT) {
    return readTai64n(line, i);
  } else if (c === Char.OPEN_BRACKET) {
    return readBracketed(line, time, i);
  }
  if (depth > 0 || i > 0) return NO_TIMESTAMP;
  const common = readCommonLog(line, time);
  return 'error' in common ? readTagThenTimestamp(line, time) : common;
}

/**
 * The header of one mail log line: RFC 3164 syslog (with or without `<PRI>` and host), RFC 5424, an RFC 3339 or
 * ISO timestamp at the start (rsyslog, syslog-ng, Exim's own log, Dovecot's), TAI64N (multilog), and the formats of
 * the webmail and mail products whose logs fail2ban reads (ASSP, Domino, Kerio, Roundcube, Group-Office, Horde,
 * OpenWebMail, SquirrelMail, SOGo). Times without a zone are in `time.timeZone`; dates without a year get the year
 * `yearlessToEpoch` infers from `time.reference`. A line with no timestamp where these formats put one gives the
 * reason instead; the returned error objects are shared and frozen.
 */
export function readHeader(line: string, time: TimeContext): LineHeader | { error: string } {
  return readAt(line, time, 0);
}
