/**
 * What the mail parsers make of one log line. A line is read in two steps: its header (timestamp, host, program,
 * pid: syslog, RFC 5424, RFC 3339, TAI64N or an MTA's own format), then its message by the parser of the program
 * that wrote it. The result is a `MailEvent`: normalised into an ECS event document, and, when it carries a queue
 * id, folded into the document of its message by the reconstruction.
 */

/** The header of a log line, whatever format it came in. */
export interface LineHeader {
  /** Epoch milliseconds; the year inferred for formats without one, the zone applied for formats without one. */
  timestamp: number;
  /** How the timestamp was written: a user can tell an inferred year or an assumed zone from an explicit one. */
  timeFormat: TimeFormat;
  /** The host that wrote the line (syslog HOSTNAME), when the format has one. */
  host?: string;
  /** Program (syslog TAG / APP-NAME) as written: `postfix/smtpd`, `postfix-out/smtp`, `postfix/10025/smtpd`, `sm-mta`. */
  program?: string;
  pid?: number;
  /** Syslog facility and severity numbers when a PRI (`<34>`) was present. */
  facility?: number;
  severity?: number;
  /** The message after the header. */
  message: string;
}

export type TimeFormat =
  /** `Oct 11 22:14:15`: no year, no zone. */
  | 'rfc3164'
  /** `2026-11-24T10:00:00.123456+01:00` at the start of a line (rsyslog high precision, RFC 5424). */
  | 'rfc3339'
  /** `@4000000063a1b2c3...` (daemontools, s6, qmail). */
  | 'tai64n'
  /** `2013-01-04 17:03:46` (Exim's own log), no zone. */
  | 'iso-local'
  /** Any other format the header reader knows (`[17/Jun/2011 17:00:45]`, `Sat Dec 28 19:03:53 2013`, ...). */
  | 'other';

/** Where the line's timestamp gets what its format leaves out. */
export interface TimeContext {
  /** Epoch ms of a moment after the line was written (file mtime, receive time): a yearless date is not after it. */
  reference: number;
  /** IANA zone of timestamps written without one (default UTC). */
  timeZone: string;
}

export type Mta = 'postfix' | 'exim' | 'sendmail' | 'dovecot' | 'other';

/** An address as MTAs write it: `name[1.2.3.4]:25`. */
export interface Peer {
  host?: string;
  ip?: string;
  port?: number;
}

/** The four parts of Postfix's `delays=a/b/c/d`, in seconds. */
export interface Delays {
  beforeQueueManager: number;
  inQueueManager: number;
  connectionSetup: number;
  transmission: number;
}

/** An SMTP reply as logged: `550 5.1.1 <x@y>: Recipient address rejected: User unknown`. */
export interface SmtpReply {
  code?: number;
  /** Enhanced status code (RFC 3463), `5.1.1`. */
  dsn?: string;
  text: string;
}

/** Delivery outcome of one recipient. */
export type DeliveryStatus = 'sent' | 'deferred' | 'bounced' | 'expired' | 'discarded' | 'rejected' | 'undeliverable' | 'deliverable' | 'failed';

/**
 * One parsed line. `action` is the ECS `event.action` (kebab case, stable: users filter on it). Every other field
 * is optional and present only when the line says it.
 */
export interface MailEvent {
  mta: Mta;
  /** The daemon within the MTA: `smtpd`, `qmgr`, `cleanup`, `smtp`, `postscreen`, `imap-login`... */
  daemon?: string;
  /** MTA instance: `postfix`, `postfix-out`, `postfix/10025`; messages of different instances never merge. */
  instance?: string;
  /** Postfix queue id (short or long), Exim message id, Sendmail queue id. */
  queueId?: string;

  /**
   * What happened. Postfix and the others map onto one vocabulary: `connect`, `disconnect`, `client`,
   * `message-id`, `queued` (qmgr from=), `delivery` (a recipient's outcome), `removed`, `expired`, `bounce-notice`,
   * `reject`, `auth-failure`, `auth-success`, `tls`, `milter`, `statistics`, `warning`, `other`...
   */
  action: string;
  /** ECS `event.category`. */
  category: Array<'email' | 'authentication' | 'network' | 'intrusion_detection' | 'process'>;
  /** ECS `event.outcome`, where the line tells it. */
  outcome?: 'success' | 'failure' | 'unknown';

  client?: Peer;
  /** HELO/EHLO name the client gave. */
  helo?: string;
  /** Protocol: `SMTP`, `ESMTP`, `ESMTPSA`, `IMAP`... */
  protocol?: string;
  /** Envelope sender (`<>` is written as the empty string). */
  from?: string;
  /** Envelope recipient of this line. */
  to?: string;
  /** Original recipient before rewriting (Postfix `orig_to`). */
  origTo?: string;
  /** The next hop of a delivery (`relay=`); `none`, `local`, `virtual` keep their names in `host`. */
  relay?: Peer;
  /** Postfix `delay=`, seconds. */
  delay?: number;
  delays?: Delays;
  dsn?: string;
  status?: DeliveryStatus;
  /** What the next hop or the MTA said about the delivery (the text in parentheses after `status=`). */
  statusText?: string;
  /** Message size in bytes. */
  size?: number;
  /** Number of recipients the queue manager announced. */
  recipientCount?: number;
  /** Header Message-ID, without angle brackets. */
  messageId?: string;
  /** Header Subject when the MTA logs it (Postfix header_checks WARN/INFO, Exim `T=`). */
  subject?: string;
  /** A refusal: the reply given and what it was about (`RCPT`, `DATA`, `CONNECT`, `END-OF-MESSAGE`...). */
  reject?: SmtpReply & { stage?: string; reason?: string };
  /** Authentication: mechanism and user name (SASL, IMAP/POP login), success or not in `outcome`. */
  auth?: { method?: string; user?: string };
  tls?: { version?: string; cipher?: string; bits?: number; trust?: string; peer?: string };
  /** Milter or policy result: `opendkim` `DKIM-Signature field added`, `opendmarc` `example.com pass`. */
  milter?: { name: string; result?: string; domain?: string };
  /** Postfix disconnect command statistics: `ehlo=1 mail=1 rcpt=0/1 data=0 quit=1 commands=2/3`. */
  commands?: Record<string, string>;
  /** Queue id the delivery created at the next hop (`queued as 153053D`) or the bounce notice's own id. */
  nextQueueId?: string;
  /** Anything else the parser extracted, by name: kept under `vigil.mail.extra` as strings. */
  extra?: Record<string, string>;
}

/** A parser for one MTA's messages, given the header already read. `undefined`: not this parser's line. */
export type MessageParser = (header: LineHeader) => MailEvent | undefined;

/** The outcome of reading one line. */
export type MailParseOutcome =
  | { kind: 'event'; header: LineHeader; event: MailEvent }
  /** A header was read but no parser knows the message: kept as a raw mail event. */
  | { kind: 'unrecognised'; header: LineHeader }
  /** No header could be read (no timestamp anywhere the formats put one): a dead letter with the reason. */
  | { kind: 'error'; reason: string };
