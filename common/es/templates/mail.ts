/**
 * Index templates of the mail indices.
 *
 * - `vigil-mail-events-*` (alias `vigil-mail-events`): one document per log line, written with `create` like
 *   Zeek events, so the lines are evidence nobody can overwrite. A line no parser knows is still an event here.
 * - `vigil-mail-messages-*` (alias `vigil-mail-messages`): one document per message (Postfix queue id, Exim
 *   message id, Sendmail queue id), rebuilt from its lines and rewritten (`index`) as lines arrive. It is derived
 *   data: the events it was built from are listed in `vigil.mail.events` and stay unchanged.
 *
 * Both are `dynamic: false` for the reasons given in `zeek.ts`; every field the mail normalizer and the message
 * reconstruction write is mapped here, and their tests check it.
 */
import { INDEX_PREFIX, MAIL_EVENTS_ALIAS, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_ALIAS, MAIL_MESSAGES_PATTERN } from '../names';
import { DATE, IP, KEYWORD, LONG, LONG_KEYWORD, TEXT, type FieldMapping } from './ecs-fields';
import { fieldLimit, nest } from './properties';

const DOUBLE: FieldMapping = { type: 'double' };
/** Kept in `_source` for the record, not searchable: the raw line is evidence, the parsed fields are for search. */
const STORED_ONLY: FieldMapping = { type: 'keyword', index: false, doc_values: false };
/** Free-form key/value maps (command counts, extra fields): searchable by key without a field per key. */
const FLATTENED: FieldMapping = { type: 'flattened', ignore_above: 1024 };

function peer(prefix: string): Record<string, FieldMapping> {
  return { [`${prefix}.ip`]: IP, [`${prefix}.domain`]: KEYWORD, [`${prefix}.port`]: LONG };
}

function delays(prefix: string): Record<string, FieldMapping> {
  return {
    [`${prefix}.before_queue_manager`]: DOUBLE,
    [`${prefix}.in_queue_manager`]: DOUBLE,
    [`${prefix}.connection_setup`]: DOUBLE,
    [`${prefix}.transmission`]: DOUBLE,
  };
}

function reply(prefix: string): Record<string, FieldMapping> {
  return {
    [`${prefix}.code`]: LONG,
    [`${prefix}.dsn`]: KEYWORD,
    [`${prefix}.text`]: TEXT,
    [`${prefix}.stage`]: KEYWORD,
    [`${prefix}.reason`]: KEYWORD,
  };
}

/** Fields of both kinds of mail document. */
const COMMON: Readonly<Record<string, FieldMapping>> = {
  '@timestamp': DATE,
  'event.kind': KEYWORD,
  'event.module': KEYWORD,
  'event.dataset': KEYWORD,
  'event.action': KEYWORD,
  'event.category': KEYWORD,
  'event.type': KEYWORD,
  'event.outcome': KEYWORD,
  'event.ingested': DATE,
  'host.name': KEYWORD,
  'observer.name': KEYWORD,
  ...peer('source'),
  ...peer('destination'),
  'email.local_id': KEYWORD,
  'email.message_id': KEYWORD,
  'email.from.address': KEYWORD,
  'email.to.address': KEYWORD,
  'email.subject': LONG_KEYWORD,
  'user.name': KEYWORD,
  'tls.version': KEYWORD,
  'tls.cipher': KEYWORD,
  'related.ip': IP,
  'related.hosts': KEYWORD,
  'related.user': KEYWORD,
  'vigil.mail.mta': KEYWORD,
  'vigil.mail.instance': KEYWORD,
  'vigil.mail.helo': KEYWORD,
  'vigil.mail.protocol': KEYWORD,
  'vigil.mail.size': LONG,
  'vigil.mail.recipient_count': LONG,
  'vigil.mail.auth.method': KEYWORD,
  'vigil.mail.tls.bits': LONG,
  'vigil.mail.tls.trust': KEYWORD,
  'vigil.mail.tls.peer': KEYWORD,
};

/** One document per line. */
export const MAIL_EVENT_FIELDS: Readonly<Record<string, FieldMapping>> = {
  ...COMMON,
  'event.original': STORED_ONLY,
  message: TEXT,
  'process.name': KEYWORD,
  'process.pid': LONG,
  'log.file.path': LONG_KEYWORD,
  'log.offset': LONG,
  'log.syslog.facility.code': LONG,
  'log.syslog.severity.code': LONG,
  'vigil.mail.daemon': KEYWORD,
  'vigil.mail.time_format': KEYWORD,
  'vigil.mail.orig_to': KEYWORD,
  'vigil.mail.relay.host': KEYWORD,
  'vigil.mail.delay': DOUBLE,
  ...delays('vigil.mail.delays'),
  'vigil.mail.dsn': KEYWORD,
  'vigil.mail.status': KEYWORD,
  'vigil.mail.status_text': TEXT,
  ...reply('vigil.mail.reject'),
  'vigil.mail.milter.name': KEYWORD,
  'vigil.mail.milter.result': KEYWORD,
  'vigil.mail.milter.domain': KEYWORD,
  'vigil.mail.commands': FLATTENED,
  'vigil.mail.next_queue_id': KEYWORD,
  'vigil.mail.extra': FLATTENED,
  'vigil.mail.syslog_peer': IP,
};

/** One document per message. */
export const MAIL_MESSAGE_FIELDS: Readonly<Record<string, FieldMapping>> = {
  ...COMMON,
  'event.start': DATE,
  'event.end': DATE,
  'vigil.mail.key': KEYWORD,
  'vigil.mail.state': KEYWORD,
  'vigil.mail.status': KEYWORD,
  'vigil.mail.first_seen': DATE,
  'vigil.mail.last_seen': DATE,
  'vigil.mail.recipients.address': KEYWORD,
  'vigil.mail.recipients.orig_to': KEYWORD,
  'vigil.mail.recipients.status': KEYWORD,
  'vigil.mail.recipients.dsn': KEYWORD,
  'vigil.mail.recipients.status_text': TEXT,
  ...peer('vigil.mail.recipients.relay'),
  'vigil.mail.recipients.delay': DOUBLE,
  ...delays('vigil.mail.recipients.delays'),
  'vigil.mail.recipients.attempts': LONG,
  'vigil.mail.recipients.first_attempt': DATE,
  'vigil.mail.recipients.last_attempt': DATE,
  ...reply('vigil.mail.rejects'),
  'vigil.mail.rejects.to': KEYWORD,
  'vigil.mail.rejects.at': DATE,
  'vigil.mail.milters.name': KEYWORD,
  'vigil.mail.milters.result': KEYWORD,
  'vigil.mail.milters.domain': KEYWORD,
  'vigil.mail.bounce_notices': KEYWORD,
  'vigil.mail.events': KEYWORD,
  'vigil.mail.events_total': LONG,
  'vigil.mail.fragment': { type: 'boolean' },
};

export const MAIL_TEMPLATE_VERSION = 1;
export const MAIL_EVENTS_TEMPLATE = `${INDEX_PREFIX}-mail-events`;
export const MAIL_MESSAGES_TEMPLATE = `${INDEX_PREFIX}-mail-messages`;

function template(name: string, pattern: string, alias: string, fields: Readonly<Record<string, FieldMapping>>, replicas: number, refreshInterval: string) {
  const properties = nest(fields);
  return {
    name,
    body: {
      index_patterns: [pattern],
      priority: 200,
      _meta: { managed_by: 'vigil', version: MAIL_TEMPLATE_VERSION },
      template: {
        settings: {
          number_of_shards: 1,
          number_of_replicas: replicas,
          refresh_interval: refreshInterval,
          'index.mapping.total_fields.limit': fieldLimit(properties),
        },
        aliases: { [alias]: {} },
        mappings: { dynamic: false as const, properties },
      },
    },
  };
}

export function mailEventsTemplate(options: { replicas?: number } = {}) {
  return template(MAIL_EVENTS_TEMPLATE, MAIL_EVENTS_PATTERN, MAIL_EVENTS_ALIAS, MAIL_EVENT_FIELDS, options.replicas ?? 0, '5s');
}

/** Messages refresh each second: a restarted worker reads back the messages still open. */
export function mailMessagesTemplate(options: { replicas?: number } = {}) {
  return template(MAIL_MESSAGES_TEMPLATE, MAIL_MESSAGES_PATTERN, MAIL_MESSAGES_ALIAS, MAIL_MESSAGE_FIELDS, options.replicas ?? 0, '1s');
}
