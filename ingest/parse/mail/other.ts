/**
 * Authentication failures and refusals of the mail and webmail daemons that are not Postfix, Exim, Sendmail or
 * Dovecot: Courier, Cyrus (imapd, pop3d, timsieved), UW IMAP, solid-pop3d, Perdition, qmail's rblsmtpd, Roundcube,
 * Horde, SOGo, SquirrelMail, OpenWebMail, Group-Office, Kerio Connect, ASSP and Domino. These are the lines an
 * intrusion detector counts per client address, so the address is read the way fail2ban reads it: where a user name
 * the attacker chose comes first, the address is taken from the part the daemon wrote, not the first one seen.
 */
import { isIP } from 'node:net';
import { normalizeIp, unwrapAddress } from './address';
import { Char, isHexDigit } from './chars';
import { replyAt } from './reply';
import type { LineHeader, MailEvent, MessageParser, SmtpReply } from './types';

type Category = MailEvent['category'][number];
/** Reads one message; `daemon` is the program's last path segment (`imaps` of `cyrus/imaps`). */
type DaemonParser = (message: string, daemon: string, instance: string | undefined) => MailEvent | undefined;

/**
 * An address as these daemons write it (`1.2.3.4`, `[1.2.3.4]`, `::ffff:1.2.3.4`), IPv4-mapped ones unmapped; undefined
 * when the text is not an address, which is how a user name in the place of one is told apart.
 */
function addressOf(raw: string): string | undefined {
  const bracketed = raw.charCodeAt(0) === 0x5b && raw.charCodeAt(raw.length - 1) === 0x5d;
  const ip = normalizeIp(bracketed ? raw.slice(1, -1) : raw);
  return isIP(ip) === 0 ? undefined : ip;
}

/** `535 5.7.8 Error: authentication failed` -> code, enhanced status code and text; text alone when there is no code. */
function replyOf(text: string): SmtpReply {
  const trimmed = text.trim();
  return replyAt(trimmed, 0) ?? { text: trimmed };
}

/**
 * A login attempt and its outcome. Every event names its product in `extra.product`: the program name alone does not
 * tell Courier's `imapd` from Cyrus's or UW's, and a detector's baseline is per product.
 */
function authEvent(
  product: string,
  daemon: string,
  ip: string,
  fields: Partial<MailEvent> = {},
  outcome: 'success' | 'failure' = 'failure',
): MailEvent {
  const category: Category[] = ['authentication'];
  return {
    mta: 'other',
    daemon,
    action: outcome === 'success' ? 'auth-success' : 'auth-failure',
    category,
    outcome,
    ...fields,
    client: { ...fields.client, ip },
    extra: { product, ...fields.extra },
  };
}

/** A refused connection, sender or recipient: mail the daemon would not take. */
function refusal(product: string, daemon: string, ip: string, fields: Partial<MailEvent> = {}): MailEvent {
  const category: Category[] = ['email'];
  return {
    mta: 'other',
    daemon,
    action: 'reject',
    category,
    outcome: 'failure',
    ...fields,
    client: { ...fields.client, ip },
    extra: { product, ...fields.extra },
  };
}

function protocolOf(daemon: string): string | undefined {
  if (daemon.includes('pop3')) return 'POP3';
  if (daemon.includes('imap')) return 'IMAP';
  return undefined;
}

// Cyrus IMAP: `badlogin: host [1.2.3.4] plaintext user SASL(-13): authentication failure: checkpass failed`,
// `badlogin: host[1.2.3.4] PLAIN authentication failure` (timsieved), `badlogin: [1.2.3.4] plain [SASL(-13): ...]`.
function parseCyrusBadlogin(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  const open = message.indexOf('[', 10);
  const close = open < 0 ? -1 : message.indexOf(']', open);
  if (close < 0) return undefined;
  const ip = addressOf(message.slice(open + 1, close));
  if (ip === undefined) return undefined;
  const host = message.slice(10, open).trim();
  const rest = message.slice(close + 1).trimStart();
  const methodEnd = rest.indexOf(' ');
  const method = methodEnd < 0 ? rest : rest.slice(0, methodEnd);
  let reason = methodEnd < 0 ? '' : rest.slice(methodEnd + 1);
  let user: string | undefined;
  const userEnd = reason.indexOf(' SASL(');
  if (reason.charCodeAt(0) !== 0x5b && userEnd > 0 && !reason.slice(0, userEnd).includes(' ')) {
    user = reason.slice(0, userEnd);
    reason = reason.slice(userEnd + 1);
  }
  if (reason.charCodeAt(0) === 0x5b && reason.endsWith(']')) reason = reason.slice(1, -1);
  return authEvent('cyrus', daemon, ip, {
    instance,
    protocol: protocolOf(daemon),
    client: { host: host === '' ? undefined : host, ip },
    auth: { method, user },
    extra: { reason },
  });
}

// Courier: `LOGIN FAILED, user=sales@example.com, ip=[::ffff:1.2.3.4]`, `LOGIN FAILED, method=PLAIN, ip=[...]`,
// `..., port=[255]`; a successful login is `LOGIN, user=..., ip=[...], port=[...], protocol=IMAP`. The user name
// comes first and is the client's choice, so the address is the last `ip=[` of the line.
function parseCourierLogin(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  const success = message.startsWith('LOGIN, ');
  if (!success && !message.startsWith('LOGIN FAILED, ')) return undefined;
  const ipStart = message.lastIndexOf(', ip=[');
  const ipEnd = ipStart < 0 ? -1 : message.indexOf(']', ipStart);
  if (ipEnd < 0) return undefined;
  const ip = addressOf(message.slice(ipStart + 6, ipEnd));
  if (ip === undefined) return undefined;
  const head = message.slice(success ? 7 : 14, ipStart);
  const user = head.startsWith('user=') ? head.slice(5) : undefined;
  const method = head.startsWith('method=') ? head.slice(7) : undefined;
  const tail = message.slice(ipEnd + 1);
  const port = /^, port=\[(\d+)\]/.exec(tail);
  const protocol = /, protocol=([A-Za-z0-9]+)/.exec(tail);
  return authEvent(
    'courier',
    daemon,
    ip,
    {
      instance,
      protocol: protocol === null ? protocolOf(daemon) : protocol[1],
      client: { ip, port: port === null ? undefined : +port[1] },
      auth: { method, user },
    },
    success ? 'success' : 'failure',
  );
}

/**
 * Courier's SMTP daemon: `error,relay=::ffff:1.2.3.4,from=<a@b>,to=<c@d>: 550 User unknown.` for a refused
 * recipient, `error,relay=::ffff:1.2.3.4,port=43632,msg="535 Authentication failed.",cmd: AUTH LOGIN ...` for a
 * refused login. The command is not kept: after AUTH PLAIN it holds the password.
 */
function parseCourierSmtp(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  if (!message.startsWith('error,')) return undefined;
  const values = new Map<string, string>();
  let reply: string | undefined;
  let command: string | undefined;
  let i = 6;
  while (i < message.length) {
    const equals = message.indexOf('=', i);
    const colon = message.indexOf(': ', i);
    if (colon >= 0 && (equals < 0 || colon < equals)) {
      command = message.slice(colon + 2);
      break;
    }
    if (equals < 0) break;
    const key = message.slice(i, equals);
    const first = message.charCodeAt(equals + 1);
    let end: number;
    if (first === 0x3c) end = message.indexOf('>', equals) + 1;
    else if (first === 0x22) end = message.indexOf('"', equals + 2) + 1;
    else {
      const comma = message.indexOf(',', equals);
      const replyStart = message.indexOf(': ', equals);
      end = comma < 0 ? replyStart : replyStart < 0 ? comma : Math.min(comma, replyStart);
    }
    if (end <= 0) end = message.length;
    values.set(key, message.slice(equals + 1, end));
    if (message.charCodeAt(end) === 0x2c) i = end + 1;
    else {
      if (message.startsWith(': ', end)) reply = message.slice(end + 2);
      break;
    }
  }
  const ip = addressOf(values.get('relay') ?? '');
  if (ip === undefined) return undefined;
  const port = values.get('port');
  const client = { ip, port: port === undefined ? undefined : +port };
  const quoted = values.get('msg');
  if (quoted !== undefined) {
    const smtpReply = replyOf(quoted.slice(1, -1));
    const method = command === undefined ? undefined : /^AUTH ([A-Za-z0-9_-]+)/i.exec(command)?.[1];
    if (smtpReply.code === 535) {
      return authEvent('courier', daemon, ip, { instance, client, auth: { method }, reject: smtpReply });
    }
    return refusal('courier', daemon, ip, { instance, client, reject: smtpReply });
  }
  if (reply === undefined) return undefined;
  const from = values.get('from');
  const to = values.get('to');
  const ident = values.get('ident');
  return refusal('courier', daemon, ip, {
    instance,
    client,
    from: from === undefined ? undefined : unwrapAddress(from),
    to: to === undefined ? undefined : unwrapAddress(to),
    reject: replyOf(reply),
    extra: ident === undefined ? undefined : { ident },
  });
}

const UW_FAILURES = ['Login failed ', 'Login excessive login failures ', 'Login disabled ', 'Failed '];
const UW_SUCCESSES = ['Login user=', 'Authenticated user='];

// UW IMAP (imapd, ipop3d): `Login failed user=x auth=x host=name [1.2.3.4]`, `Login excessive login failures
// user=...`, `Login disabled user=...`, `Failed uwmaster override of user=x  host=name [1.2.3.4]`; successes are
// `Login user=x host=name [1.2.3.4]` and `Authenticated user=x host=...`.
function parseUwImap(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  const success = UW_SUCCESSES.some((prefix) => message.startsWith(prefix));
  if (!success && !UW_FAILURES.some((prefix) => message.startsWith(prefix))) return undefined;
  const hostStart = message.lastIndexOf(' host=');
  const open = message.lastIndexOf(' [');
  if (hostStart < 0 || open < hostStart || !message.endsWith(']')) return undefined;
  const ip = addressOf(message.slice(open + 2, -1));
  if (ip === undefined) return undefined;
  const host = message.slice(hostStart + 6, open).trim();
  const userStart = message.indexOf('user=');
  let userEnd = message.lastIndexOf(' auth=', hostStart);
  if (userEnd < userStart) userEnd = hostStart;
  const user = userStart < 0 || userStart > hostStart ? undefined : message.slice(userStart + 5, userEnd).trim();
  return authEvent(
    'uw-imap',
    daemon,
    ip,
    { instance, protocol: protocolOf(daemon), client: { host: host === '' ? undefined : host, ip }, auth: { user } },
    success ? 'success' : 'failure',
  );
}

function parseImapFamily(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  if (message.startsWith('badlogin: ')) return parseCyrusBadlogin(message, daemon, instance);
  if (message.startsWith('LOGIN')) return parseCourierLogin(message, daemon, instance);
  return parseUwImap(message, daemon, instance);
}

// solid-pop3d: `authentication failed: no such user: adrian - 1.2.3.4`, `authentication failed for user x - ...`,
// `root login not allowed - ...`, `can't find APOP secret for user x - ...`, `APOP authentication failed for ...`.
function parseSolidPop3d(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  const dash = message.lastIndexOf(' - ');
  if (dash < 0) return undefined;
  const head = message.slice(0, dash);
  if (!head.includes('authentication failed') && !head.endsWith(' not allowed') && !head.startsWith("can't find APOP")) {
    return undefined;
  }
  const ip = addressOf(message.slice(dash + 3));
  if (ip === undefined) return undefined;
  let user: string | undefined;
  for (const marker of ['user name: ', 'user: ', ' user ']) {
    const at = head.lastIndexOf(marker);
    if (at >= 0) {
      user = head.slice(at + marker.length);
      break;
    }
  }
  if (user === undefined && head.startsWith('root login')) user = 'root';
  return authEvent('solid-pop3d', daemon, ip, {
    instance,
    protocol: 'POP3',
    auth: { user, method: head.includes('APOP') ? 'APOP' : undefined },
    extra: { reason: head },
  });
}

/** `192.168.8.100:2274->193.48.191.9:993`: the client's address and port. */
function perditionClient(text: string): { ip: string; port: number } | undefined {
  const arrow = text.indexOf('->');
  const client = arrow < 0 ? text : text.slice(0, arrow);
  const colon = client.lastIndexOf(':');
  if (colon < 0) return undefined;
  const ip = addressOf(client.slice(0, colon));
  const port = Number(client.slice(colon + 1));
  return ip === undefined || !Number.isInteger(port) ? undefined : { ip, port };
}

function quotedValue(message: string, key: string): string | undefined {
  const at = message.indexOf(` ${key}="`);
  if (at < 0) return undefined;
  const start = at + key.length + 3;
  const end = message.indexOf('"', start);
  return end < 0 ? undefined : message.slice(start, end);
}

// Perdition: `Auth: 1.2.3.4:2274->5.6.7.8:993 client-secure=ssl authorisation_id=NONE authentication_id="carles"
// server="imap.example:993" protocol=IMAP4S server-secure=ssl status="failed: Re-Authentication Failure"`, and
// `Fatal Error reading authentication information from client 1.2.3.4:2274->5.6.7.8:993: Exiting child`.
function parsePerdition(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  if (message.startsWith('Auth: ')) {
    const space = message.indexOf(' ', 6);
    const client = perditionClient(message.slice(6, space < 0 ? undefined : space));
    const status = quotedValue(message, 'status');
    if (client === undefined || status === undefined) return undefined;
    const protocol = /(?:^| )protocol=(\S+)/.exec(message)?.[1];
    const server = quotedValue(message, 'server');
    return authEvent(
      'perdition',
      daemon,
      client.ip,
      {
        instance,
        protocol,
        client,
        auth: { user: quotedValue(message, 'authentication_id') },
        extra: server === undefined ? { status } : { status, server },
      },
      status === 'ok' ? 'success' : 'failure',
    );
  }
  const marker = 'Fatal Error reading authentication information from client ';
  if (!message.startsWith(marker)) return undefined;
  const end = message.indexOf(': ', marker.length);
  const client = perditionClient(message.slice(marker.length, end < 0 ? undefined : end));
  if (client === undefined) return undefined;
  return authEvent('perdition', daemon, client.ip, {
    instance,
    client,
    extra: { reason: 'Fatal Error reading authentication information' },
  });
}

// rblsmtpd as tcpserver logs it: `rblsmtpd: 1.2.3.4 pid 19597 sbl-xbl.spamhaus.org: 451 http://...`; an older
// rblsmtpd writes `relays.ordb.org blocked 1.2.3.4 name -`.
function parseRblsmtpd(message: string): MailEvent | undefined {
  const pid = / pid \d+ ([^ :]+): /.exec(message);
  if (pid !== null) {
    const ip = addressOf(message.slice(0, message.indexOf(' ')));
    if (ip === undefined) return undefined;
    return refusal('qmail', 'rblsmtpd', ip, {
      reject: { ...replyOf(message.slice(pid.index + pid[0].length)), reason: pid[1] },
    });
  }
  const blocked = /^(\S+) blocked (\S+)/.exec(message);
  const ip = blocked === null ? undefined : addressOf(blocked[2]);
  if (blocked === null || ip === undefined) return undefined;
  return refusal('qmail', 'rblsmtpd', ip, { reject: { text: message, reason: blocked[1] } });
}

// qmail-smtpd with an RBL patch: `421 badiprbl: ip 1.2.3.4 rbl: example.com`.
function parseQmailSmtpd(message: string): MailEvent | undefined {
  const rbl = /^([2-5]\d\d) (\S+): ip (\S+) rbl: (\S+)/.exec(message);
  const ip = rbl === null ? undefined : addressOf(rbl[3]);
  if (rbl === null || ip === undefined) return undefined;
  return refusal('qmail', 'qmail-smtpd', ip, { reject: { code: +rbl[1], text: message.slice(4), reason: rbl[4] } });
}

/** qmail logs through splogger as `qmail: 1157520813.485077 rblsmtpd: ...`: the epoch stamp, then the program. */
function parseQmail(message: string, daemon: string): MailEvent | undefined {
  let text = message;
  let program = daemon;
  const stamped = /^\d+\.\d+ ([a-z-]+): /.exec(text);
  if (stamped !== null) {
    program = stamped[1];
    text = text.slice(stamped[0].length);
  }
  if (program === 'rblsmtpd') return parseRblsmtpd(text);
  if (program === 'qmail-smtpd') return parseQmailSmtpd(text);
  return undefined;
}

const ROUNDCUBE_PREFIXES = ['IMAP Error: Login failed for ', 'FAILED login for ', 'Failed login for ', 'Login failed for '];

/** The address after ` from ` at `at` when it ends where Roundcube ends it: `.`, `(X-Real-IP...`, the userlogins tail, end. */
function roundcubeAddressAt(text: string, at: number): { ip: string; rest: string } | undefined {
  const start = at + 6;
  let end = start;
  for (let c = text.charCodeAt(end); isAddressChar(c); c = text.charCodeAt(++end));
  let candidate = text.slice(start, end);
  if (candidate.endsWith('.')) {
    candidate = candidate.slice(0, -1);
    end--;
  }
  const ip = addressOf(candidate);
  if (ip === undefined) return undefined;
  if (end === text.length) return { ip, rest: '' };
  if (text.charCodeAt(end) === 0x28) {
    const close = text.indexOf(')', end);
    if (close < 0) return undefined;
    end = close + 1;
  }
  if (text.startsWith(' in session ', end)) return { ip, rest: text.slice(end) };
  if (text.charCodeAt(end) !== 0x2e) return undefined;
  if (end + 1 === text.length || text.charCodeAt(end + 1) === 0x20) return { ip, rest: text.slice(end + 1) };
  return undefined;
}

function isAddressChar(c: number): boolean {
  return isHexDigit(c) || c === Char.COLON || c === Char.DOT;
}

/**
 * Roundcube: `FAILED login for user from 1.2.3.4`, `IMAP Error: Login failed for user [against host] from 1.2.3.4.
 * AUTHENTICATE PLAIN: <IMAP server's answer> in /path/rcube_imap.php on line 205 (POST ...)`, and in the userlogins
 * log `Failed login for user from 1.2.3.4 in ... (error: 0)`. Both the user name and the IMAP server's answer
 * (which may repeat it as `user=...`) are the client's to choose, and may contain ` from 1.2.3.4`: as fail2ban does,
 * the address is the first ` from <address>` after which no further ` from ` appears except inside `user=<name>`.
 */
function parseRoundcube(message: string, daemon: string, instance: string | undefined): MailEvent | undefined {
  let text = message;
  if (text.charCodeAt(0) === 0x3c) {
    const close = text.indexOf('> ');
    if (close > 0 && !text.slice(1, close).includes(' ')) text = text.slice(close + 2);
  }
  const prefix = ROUNDCUBE_PREFIXES.find((p) => text.startsWith(p));
  if (prefix === undefined) return undefined;
  const body = text.slice(prefix.length);
  for (let at = body.indexOf(' from '); at >= 0; at = body.indexOf(' from ', at + 1)) {
    const found = roundcubeAddressAt(body, at);
    if (found === undefined) continue;
    let name = body.slice(0, at);
    if (found.rest.includes(' from ') && found.rest.split(`user=${name}`).join('').includes(' from ')) continue;
    const against = / against (\S+)$/.exec(name);
    if (against !== null) name = name.slice(0, against.index);
    const method = /^ ?AUTHENTICATE ([A-Z0-9-]+):/.exec(found.rest)?.[1];
    return authEvent('roundcube', daemon, found.ip, {
      instance,
      protocol: prefix.startsWith('IMAP') ? 'IMAP' : undefined,
      auth: { user: name, method },
      extra: against === null ? undefined : { server: against[1] },
    });
  }
  return undefined;
}

// Horde through PEAR Log: `[error] [horde] FAILED LOGIN for graham [1.2.3.4] to Horde [on line 116 of ...]`. The
// user name comes first, so the address is the last `[address] to ` of the line.
function parseHorde(message: string): MailEvent | undefined {
  let text = message;
  let app = 'horde';
  for (let group = /^\[([A-Za-z]+)\] /.exec(text); group !== null; group = /^\[([A-Za-z]+)\] /.exec(text)) {
    if (group[1] !== 'error' && group[1] !== 'notice' && group[1] !== 'warning') app = group[1];
    text = text.slice(group[0].length);
  }
  if (!text.startsWith('FAILED LOGIN for ')) return undefined;
  for (let to = text.lastIndexOf('] to '); to > 0; to = text.lastIndexOf('] to ', to - 1)) {
    const open = text.lastIndexOf(' [', to);
    const ip = open < 17 ? undefined : addressOf(text.slice(open + 2, to));
    if (ip !== undefined) return authEvent('horde', app, ip, { auth: { user: text.slice(17, open) } });
  }
  return undefined;
}

// SOGo: `SOGoRootPage Login from '1.2.3.4' for user 'admin' might not have worked - password policy: ...`; behind a
// proxy the address is the X-Forwarded-For list, `'192.0.2.16, 10.0.0.1'`, whose first entry is the client.
function parseSogo(message: string, daemon: string): MailEvent | undefined {
  const marker = "SOGoRootPage Login from '";
  if (!message.startsWith(marker)) return undefined;
  const listEnd = message.indexOf("'", marker.length);
  const userMarker = message.indexOf(" for user '", listEnd);
  const userEnd = message.lastIndexOf("' might not have worked");
  if (listEnd < 0 || userMarker !== listEnd + 1 || userEnd < userMarker) return undefined;
  const list = message.slice(marker.length, listEnd);
  const comma = list.indexOf(',');
  const ip = addressOf(comma < 0 ? list : list.slice(0, comma));
  if (ip === undefined) return undefined;
  return authEvent('sogo', daemon, ip, {
    auth: { user: message.slice(userMarker + 11, userEnd) },
    extra: comma < 0 ? undefined : { forwardedFor: list },
  });
}

// Domino: `SMTP Server: Authentication failed for user postmaster ; connecting host 1.2.3.4`,
// `SMTP Server [0D14:0027-1334] Authentication failed for user Bad Hacker ; connecting host [192.0.2.1]`,
// `SMTP Server [...] Connection from [192.0.2.2] rejected for policy reasons. ...`, and
// `smtp: postmaster [1.2.3.4] authentication failure using internet password` (the address may lack brackets).
function parseDomino(message: string): MailEvent | undefined {
  if (message.startsWith('smtp: ')) {
    const suffix = ' authentication failure using internet password';
    if (!message.endsWith(suffix)) return undefined;
    const head = message.slice(6, message.length - suffix.length);
    const space = head.lastIndexOf(' ');
    const ip = addressOf(head.slice(space + 1));
    if (ip === undefined) return undefined;
    const user = space < 0 ? undefined : head.slice(0, space);
    return authEvent('domino', 'smtp', ip, { protocol: 'SMTP', auth: { user } });
  }
  if (!message.startsWith('SMTP Server')) return undefined;
  let text = message.slice(11);
  if (text.startsWith(': ')) text = text.slice(2);
  else if (text.startsWith(' [')) text = text.slice(text.indexOf('] ') + 2);
  else return undefined;
  if (text.startsWith('Authentication failed for user ')) {
    const hostAt = text.lastIndexOf(' ; connecting host ');
    const ip = hostAt < 0 ? undefined : addressOf(text.slice(hostAt + 19).trim());
    if (ip === undefined) return undefined;
    return authEvent('domino', 'smtp', ip, { protocol: 'SMTP', auth: { user: text.slice(31, hostAt) } });
  }
  const policy = /^Connection from (\[[^\]]+\]|\S+) rejected for (.*)$/.exec(text);
  const ip = policy === null ? undefined : addressOf(policy[1]);
  if (policy === null || ip === undefined) return undefined;
  return refusal('domino', 'smtp', ip, { protocol: 'SMTP', reject: { stage: 'CONNECT', text, reason: policy[2] } });
}

/** The address after `marker` in `message`, up to a space, comma or a sentence's final dot. */
function addressAfter(message: string, marker: string): string | undefined {
  const at = message.indexOf(marker);
  if (at < 0) return undefined;
  const start = at + marker.length;
  let end = start;
  for (let c = message.charCodeAt(end); end < message.length && c !== 0x20 && c !== 0x2c; c = message.charCodeAt(++end));
  if (message.charCodeAt(end - 1) === 0x2e) end--;
  return addressOf(message.slice(start, end));
}

/** `mail from <a@b> to <c@d>` within a Kerio line. */
function kerioEnvelope(message: string): { from?: string; to?: string } {
  const envelope = /mail from <([^>]*)> to <([^>]*)>/.exec(message);
  return envelope === null ? {} : { from: envelope[1], to: envelope[2] };
}

// Kerio Connect's security log: every line names the client as `IP address 1.2.3.4` or `from 1.2.3.4`.
function parseKerio(message: string): MailEvent | undefined {
  let ip: string | undefined;
  if (message.startsWith('Attempt to deliver to unknown recipient <')) {
    ip = addressAfter(message, ', IP address ');
    const envelope = /^Attempt to deliver to unknown recipient <([^>]*)>, from <([^>]*)>/.exec(message);
    if (ip === undefined || envelope === null) return undefined;
    return refusal('kerio', 'smtp', ip, {
      from: envelope[2],
      to: envelope[1],
      reject: { stage: 'RCPT', text: message, reason: 'unknown recipient' },
    });
  }
  if (message.startsWith('SMTP Spam attack detected from ')) {
    ip = addressAfter(message, ' from ');
    if (ip === undefined) return undefined;
    return refusal('kerio', 'smtp', ip, { reject: { stage: 'CONNECT', text: message, reason: 'spam attack' } });
  }
  if (message.startsWith('IP address ')) {
    ip = addressAfter(message, 'IP address ');
    const list = /found in DNS blacklist ([^,]+)/.exec(message);
    if (ip === undefined || list === null) return undefined;
    return refusal('kerio', 'smtp', ip, {
      ...kerioEnvelope(message),
      reject: { text: message, reason: `DNS blacklist ${list[1]}` },
    });
  }
  if (message.startsWith('Relay attempt from IP address ')) {
    ip = addressAfter(message, 'IP address ');
    if (ip === undefined) return undefined;
    return refusal('kerio', 'smtp', ip, {
      ...kerioEnvelope(message),
      reject: { stage: 'RCPT', text: message, reason: 'relay attempt' },
    });
  }
  if (message.startsWith('SMTP: User ')) {
    ip = addressAfter(message, 'Attempt from IP address ');
    const user = /^SMTP: User (\S+) doesn't exist/.exec(message);
    if (ip === undefined || user === null) return undefined;
    return refusal('kerio', 'smtp', ip, { to: user[1], reject: { stage: 'RCPT', text: message, reason: 'unknown recipient' } });
  }
  if (message.startsWith('Client with IP address ')) {
    ip = addressAfter(message, 'IP address ');
    if (ip === undefined) return undefined;
    return refusal('kerio', 'smtp', ip, { reject: { stage: 'CONNECT', text: message, reason: 'no reverse DNS entry' } });
  }
  if (message.startsWith('Message from IP address ')) {
    ip = addressAfter(message, 'IP address ');
    const sender = /sender <([^>]*)> rejected: (.*)$/.exec(message);
    if (ip === undefined || sender === null) return undefined;
    return refusal('kerio', 'smtp', ip, { from: sender[1], reject: { stage: 'MAIL', text: message, reason: sender[2] } });
  }
  if (message.startsWith('Failed SMTP login from ')) {
    ip = addressAfter(message, ' from ');
    if (ip === undefined) return undefined;
    const method = /with SASL method ([A-Za-z0-9_-]+)/.exec(message)?.[1];
    return authEvent('kerio', 'smtp', ip, { protocol: 'SMTP', auth: { method } });
  }
  if (message.startsWith('Administration login into ')) {
    const failed = /^Administration login into (.+) from (\S+) failed: (.*)$/.exec(message);
    ip = failed === null ? undefined : addressOf(failed[2]);
    if (failed === null || ip === undefined) return undefined;
    return authEvent('kerio', 'admin', ip, { extra: { service: failed[1], reason: failed[3] } });
  }
  return undefined;
}

// Group-Office: `LOGIN FAILED for user: "asdsad" from IP: 127.0.0.1`, `LOGIN SUCCESS for user: "admin" from IP: ...`.
function parseGroupOffice(message: string): MailEvent | undefined {
  const success = message.startsWith('LOGIN SUCCESS for user: "');
  if (!success && !message.startsWith('LOGIN FAILED for user: "')) return undefined;
  const marker = message.lastIndexOf('" from IP: ');
  const ip = marker < 0 ? undefined : addressOf(message.slice(marker + 11).trim());
  if (ip === undefined) return undefined;
  const user = message.slice(success ? 25 : 24, marker);
  return authEvent('groupoffice', 'groupoffice', ip, { auth: { user } }, success ? 'success' : 'failure');
}

// SquirrelMail's squirrel_logger plugin: `[LOGIN_ERROR] user (domain) from 1.2.3.4: Unknown user or password
// incorrect.`; a successful login is the `[LOGIN]` event.
function parseSquirrelMail(message: string): MailEvent | undefined {
  const success = message.startsWith('[LOGIN] ');
  if (!success && !message.startsWith('[LOGIN_ERROR] ')) return undefined;
  const from = message.lastIndexOf(') from ');
  const open = from < 0 ? -1 : message.lastIndexOf(' (', from);
  const colon = message.indexOf(': ', from);
  if (open < 0) return undefined;
  const ip = addressOf(message.slice(from + 7, colon < 0 ? undefined : colon));
  if (ip === undefined) return undefined;
  const user = message.slice(success ? 8 : 14, open);
  const reason = colon < 0 ? undefined : message.slice(colon + 2);
  return authEvent(
    'squirrelmail',
    'squirrelmail',
    ip,
    { auth: { user }, extra: { domain: message.slice(open + 2, from), ...(reason === undefined ? {} : { reason }) } },
    success ? 'success' : 'failure',
  );
}

// OpenWebMail: `- [72926] (178.123.108.196) gsdfg - login error - no such user - loginname=gsdfg`; the address
// comes before the user name.
function parseOpenWebMail(message: string): MailEvent | undefined {
  const line = /^- \[\d+\] \(([^)]+)\) (.*?) - ((?:login|userinfo) error) - (.*)$/.exec(message);
  const ip = line === null ? undefined : addressOf(line[1]);
  if (line === null || ip === undefined) return undefined;
  return authEvent('openwebmail', 'openwebmail', ip, {
    auth: { user: line[2] },
    extra: { reason: `${line[3]} - ${line[4]}` },
  });
}

/**
 * ASSP: an optional message id (`m1-25391-06124`), bracketed tags (`[Worker_1] [TLS-out] [RelayAttempt]`), the
 * client address, then what happened; or `Blocking 1.2.3.4 - too much AUTH errors (8);`.
 */
function parseAssp(message: string): MailEvent | undefined {
  const blocking = /^Blocking (\S+) - (.*?);?$/.exec(message);
  if (blocking !== null) {
    const ip = addressOf(blocking[1]);
    if (ip === undefined) return undefined;
    // Blocked for failed logins, the block is part of the authentication story rather than of mail delivery.
    const category: Category[] = [blocking[2].includes('AUTH') ? 'authentication' : 'email'];
    return refusal('assp', 'assp', ip, { category, reject: { stage: 'CONNECT', text: blocking[2], reason: blocking[2] } });
  }
  const head = /^(?:m\d+-\d+-\d+ )?((?:\[[^\] ]+\] )+)(\S+) /.exec(message);
  const ip = head === null ? undefined : addressOf(head[2]);
  if (head === null || ip === undefined) return undefined;
  const text = message.slice(head[0].length).replace(/;$/, '');
  const reply = /(?:after reply: |^\[SMTP Error\] )([2-5]\d\d .*)$/.exec(text);
  if (reply !== null) {
    const smtpReply = replyOf(reply[1]);
    if (smtpReply.code === 535) return authEvent('assp', 'assp', ip, { protocol: 'SMTP', reject: smtpReply });
    return refusal('assp', 'assp', ip, { reject: smtpReply });
  }
  if (text.startsWith('SSL negotiation with client failed')) {
    const category: Category[] = ['email', 'network'];
    return {
      mta: 'other',
      daemon: 'assp',
      action: 'tls',
      category,
      outcome: 'failure',
      client: { ip },
      extra: { product: 'assp', reason: text },
    };
  }
  const relay = /^<([^>]*)> (?:to: (\S+) )?relay attempt blocked for(?: \([^)]*\))?: <?([^>]*)>?$/.exec(text);
  if (relay !== null) {
    return refusal('assp', 'assp', ip, {
      from: relay[1],
      to: relay[2] ?? relay[3],
      reject: { stage: 'RCPT', text, reason: 'relay attempt' },
    });
  }
  return undefined;
}

/** Products whose own log files have no program name: recognised by how their messages begin. */
function parseByShape(message: string): MailEvent | undefined {
  switch (message.charCodeAt(0)) {
    case 0x5b: // [
      return parseSquirrelMail(message) ?? parseAssp(message);
    case 0x2d: // -
      return parseOpenWebMail(message);
    case 0x3c: // <
      return parseRoundcube(message, 'roundcube', undefined);
    case 0x4c: // L
      return parseGroupOffice(message) ?? parseRoundcube(message, 'roundcube', undefined);
    case 0x46: // F
      return parseRoundcube(message, 'roundcube', undefined) ?? parseKerio(message);
    case 0x49: // I
      return parseRoundcube(message, 'roundcube', undefined) ?? parseKerio(message);
    case 0x53: // S
      return parseDomino(message) ?? parseKerio(message);
    case 0x73: // s
      return parseDomino(message);
    case 0x42: // B
    case 0x6d: // m
      return parseAssp(message);
    default:
      return parseKerio(message);
  }
}

const BY_PROGRAM = new Map<string, DaemonParser>([
  ...[
    'imapd', 'imapd-ssl', 'imaps', 'imap', 'pop3d', 'pop3d-ssl', 'pop3', 'pop3s', 'ipop3d', 'courierpop3login',
    'courierpop3d', 'sieve', 'timsieved',
  ].map((name): [string, DaemonParser] => [name, parseImapFamily]),
  ['courieresmtpd', parseCourierSmtp],
  ['solid-pop3d', parseSolidPop3d],
  ['qmail', parseQmail],
  ['rblsmtpd', parseQmail],
  ['qmail-smtpd', parseQmail],
  ['roundcube', parseRoundcube],
  ['HORDE', parseHorde],
  ['horde', parseHorde],
  ['sogod', parseSogo],
]);

/**
 * The message of a line from one of the daemons above, or undefined. A line with a program is read by that
 * program's parser (`cyrus/imaps` by its last segment, `perdition.imaps` as Perdition); a line without one, or
 * with a program none of these is, is recognised by the shape of its message.
 */
export const parseOtherDaemon: MessageParser = (header: LineHeader) => {
  const program = header.program;
  const message = header.message;
  if (program === undefined) return parseByShape(message);
  const slash = program.lastIndexOf('/');
  const daemon = slash < 0 ? program : program.slice(slash + 1);
  const instance = slash < 0 ? undefined : program.slice(0, slash);
  const parse = BY_PROGRAM.get(daemon) ?? (daemon.startsWith('perdition') ? parsePerdition : undefined);
  return parse === undefined ? parseByShape(message) : parse(message, daemon, instance);
};
