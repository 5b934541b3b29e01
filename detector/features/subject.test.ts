import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parsePostfix } from '../../ingest/parse/mail/postfix';
import { CORPUS, filesBelow, readLog } from '../../test/support/corpus';
import { decodeEncodedWords, normaliseSubject, stripReplyPrefixes } from './subject';

/** The postfix-grok-patterns cases: real Postfix messages without their syslog prefix. */
const GROK = join(CORPUS, 'mail/postfix-grok-patterns/test');

function grokMessage(file: string): string {
  // The failsafe schema keeps every scalar a string, exactly as written.
  return (parse(readFileSync(join(GROK, file), 'utf8'), { schema: 'failsafe' }) as { data: string }).data;
}

const messages = new Map(
  readdirSync(GROK)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => [f, grokMessage(f)]),
);

/** The Subject the project's Postfix parser reads from a cleanup `header Subject:` line. */
function subjectOf(file: string): string {
  const event = parsePostfix({ timestamp: 0, timeFormat: 'rfc3164', program: 'postfix/cleanup', pid: 1, message: messages.get(file)! });
  expect(event?.subject).toBeDefined();
  return event!.subject!;
}

/** Every Subject the corpus holds: two logged by header_checks, one inside a pipelined SMTP session. */
const URL_SUBJECT = subjectOf('cleanup_0006.yaml');
const Q_SUBJECT = subjectOf('cleanup_0007.yaml');
const PIPELINED_SUBJECT = /\nSubject: ([^\n]*)\n/.exec(messages.get('smtpd_0015.yaml')!)![1];
const SUBJECTS = [URL_SUBJECT, Q_SUBJECT, PIPELINED_SUBJECT];

describe('decodeEncodedWords', () => {
  it('decodes Q words and drops the space between adjacent ones', () => {
    expect(Q_SUBJECT).toBe('=?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_=E2=80=92?= test');
    // C3 BC is ü, C3 9F is ß, `_` a space, E2 80 92 the figure dash U+2012 (RFC 2047 4.2, 6.2).
    expect(decodeEncodedWords(Q_SUBJECT)).toBe('Gr\u00fc\u00dfe \u2012 test');
  });

  it('decodes B words of a real attachment name, and leaves the truncated last word as written', () => {
    const header = messages.get('cleanup_0008.yaml')!;
    const filename = /filename="(.*) from localhost\[/.exec(header)![1];
    const decoded = decodeEncodedWords(filename);
    expect(decoded.startsWith('INVOICE_\u00f6_\u00e4_\u00fc_\u20ac_dhkfjs_')).toBe(true);
    // The first word ends in `lsj`, the second starts with `dalkfjh`: adjacent words join without a space.
    expect(decoded).toContain('_lsjdalkfjh_');
    expect(decoded).toContain('Gr\u00fc\u00dfe_');
    expect(decoded.endsWith(' =?UTF-8?B?')).toBe(true);
  });

  it('keeps text between words that are not adjacent (Postfix writes a folded line as `?`)', () => {
    const messageId = /message-id=(.*)$/.exec(messages.get('cleanup_0010.yaml')!)![1];
    // Base64 `PDE5` is `<19`; the second word holds the rest of the Message-ID.
    expect(decodeEncodedWords(messageId)).toBe('<19? 1220112916611@Client-045.rubinetterie.local>');
  });

  it('decodes a multi-byte character split across two words of one charset', () => {
    // The real subject re-encoded as B words of three bytes each: ü, ß and the dash straddle word boundaries.
    const bytes = Buffer.from(decodeEncodedWords(Q_SUBJECT), 'utf8');
    const words: string[] = [];
    for (let i = 0; i < bytes.length; i += 3) words.push(`=?UTF-8?B?${bytes.subarray(i, i + 3).toString('base64')}?=`);
    expect(decodeEncodedWords(words.join(' '))).toBe('Gr\u00fc\u00dfe \u2012 test');
  });

  it('leaves words of an unknown charset, and text without words, as they are', () => {
    const unknown = Q_SUBJECT.replace(/utf-8/g, 'x-no-such-charset');
    expect(decodeEncodedWords(unknown)).toBe(unknown);
    expect(decodeEncodedWords(URL_SUBJECT)).toBe(URL_SUBJECT);
  });
});

describe('stripReplyPrefixes', () => {
  const markers = ['Re: ', 'RE: ', 'Fwd: ', 'FW: ', 'AW: ', 'WG: ', 'SV: ', 'VS: ', 'Antw: ', 'TR: ', 'Re[2]: ', 'Re(3): ', 'Re : ', 'Re: AW: Fwd: SV: '];

  it('strips reply and forward markers, stacked or not, from every real subject', () => {
    for (const subject of SUBJECTS) {
      for (const marker of markers) expect(stripReplyPrefixes(marker + subject)).toBe(subject);
    }
  });

  it('leaves words that merely start like a marker', () => {
    for (const word of ['Reminder: ', 'Regarding ', 'Awaiting: ', 'Fwdx: ', 'Sverige: ']) {
      expect(stripReplyPrefixes(word + PIPELINED_SUBJECT)).toBe(word + PIPELINED_SUBJECT);
    }
  });
});

describe('normaliseSubject', () => {
  it('decodes, lower-cases and collapses whitespace', () => {
    expect(normaliseSubject(Q_SUBJECT)).toBe('gr\u00fc\u00dfe \u2012 test');
    expect(normaliseSubject(`  ${PIPELINED_SUBJECT.toUpperCase().replace(' ', ' \t  ')} `)).toBe(PIPELINED_SUBJECT.toLowerCase());
  });

  it('puts reply and forward copies, plain or encoded, in the cluster of the original', () => {
    for (const subject of SUBJECTS) {
      const original = normaliseSubject(subject);
      expect(normaliseSubject(`Re: ${subject}`)).toBe(original);
      expect(normaliseSubject(`AW: WG: ${subject}`)).toBe(original);
      // A client that encodes the whole subject, marker included, as one B word.
      const plain = decodeEncodedWords(subject);
      expect(normaliseSubject(`=?utf-8?B?${Buffer.from(`Fwd: ${plain}`).toString('base64')}?=`)).toBe(original);
    }
  });

  it('folds full-width forms (NFKC), as East Asian clients may write them', () => {
    const fullWidth = [...`RE\u003a ${PIPELINED_SUBJECT}`].map((ch) => (ch >= '!' && ch <= '~' ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch)).join('');
    expect(fullWidth).not.toContain('pipeline');
    expect(normaliseSubject(fullWidth)).toBe(normaliseSubject(PIPELINED_SUBJECT));
  });

  it('replaces a URL, whatever its path, by one placeholder', () => {
    expect(normaliseSubject(URL_SUBJECT)).toBe('<url>');
    // The same lure with another file id: the id reversed.
    const id = /\/d\/([^/]+)\//.exec(URL_SUBJECT)![1];
    expect(normaliseSubject(URL_SUBJECT.replace(id, [...id].reverse().join('')))).toBe('<url>');
    expect(normaliseSubject(`Re: see ${URL_SUBJECT}.`)).toBe('see <url>.');
  });

  it('puts subjects that differ only in numbers and addresses into one cluster', () => {
    // Real sender addresses and real message sizes of the mail corpus, filled into one subject line.
    const addresses = new Set<string>();
    const numbers = new Set<string>();
    for (const file of filesBelow(join(CORPUS, 'mail'))) {
      if (/(COPYING|LICENSE)$/.test(file)) continue;
      const text = readLog(file).toString('latin1');
      for (const m of text.matchAll(/\bfrom=<([^<>\s]+@[^<>\s]+)>/g)) addresses.add(m[1]);
      for (const m of text.matchAll(/\bsize=(\d+)/g)) numbers.add(m[1]);
    }
    expect(addresses.size).toBeGreaterThan(10);
    expect(numbers.size).toBeGreaterThan(2);
    const sizes = [...numbers];
    const subjects = [...addresses].map((address, i) => `Invoice ${sizes[i % sizes.length]} for ${address}`);
    expect(new Set(subjects.map(normaliseSubject))).toEqual(new Set(['invoice <n> for <email>']));
  });

  it('reduces real Postfix messages to their templates', () => {
    const template = (file: string): string => normaliseSubject(messages.get(file)!);
    // One client over IPv4 and one over IPv6, at different times: the same statistics line.
    expect(template('anvil_0002.yaml')).toBe('statistics: max connection count <n> for (smtpd:<ip>) at oct <n> <n>');
    expect(template('anvil_0004.yaml')).toBe(template('anvil_0002.yaml'));
    expect(template('anvil_0003.yaml')).not.toBe(template('anvil_0002.yaml'));
    // Queue ids (hex) and byte counts vary; the event does not.
    expect(template('postsuper_0001.yaml')).toBe('<hex>: removed');
    expect(template('qmgr_0001.yaml')).toBe('<hex>: removed');
    expect(template('smtpd_0011.yaml')).toBe(template('smtpd_0016.yaml'));
    // Across all 190 messages, some share a template and most do not.
    const templates = new Set([...messages.values()].map(normaliseSubject));
    expect(templates.size).toBeLessThan(messages.size);
    expect(templates.size).toBeGreaterThan(messages.size * 0.8);
  });

  it('keeps ids and numbers inside words that are not ids', () => {
    // Underscores separate an id from its neighbours: a Message-ID of the corpus with a date, a time and a hash.
    const messageId = decodeEncodedWords(/message-id=(.*)$/s.exec(messages.get('cleanup_0011.yaml')!)![1]);
    expect(normaliseSubject(messageId)).toBe('<<n>_<n>_<hex>? <email> >');
  });
});
