/**
 * The test cases of whyscream/postfix-grok-patterns: real Postfix messages (without the syslog prefix), each with
 * the fields the Logstash patterns extract from it. Every field maps to where the same fact lives on a MailEvent;
 * a case passes when every field it expects is found there with the same value.
 */
import type { MailEvent, Peer } from '../types';
import { parseDelays, parseRelay } from './delivery';
import { grokCases, headerOf, programOf, type GrokCase } from './grok-cases.fixture';
import { parsePostfix } from './index';
import { parseKeyValues } from './keyvalue';
import { readTlsFeatures } from './tls';

/** Patterns for a part of a line (a `key=value` item), read by the function that reads that part. */
const FRAGMENTS: Record<string, (data: string) => Partial<MailEvent>> = {
  POSTFIX_COMMAND_COUNTER_DATA: (data) => ({ commands: parseKeyValues(data).values }),
  POSTFIX_DELAYS: (data) => ({ delays: parseDelays(data) }),
  POSTFIX_RELAY: (data) => {
    const { relay, socket } = parseRelay(data);
    return socket === undefined ? { relay } : { relay, extra: { relay_socket: socket } };
  },
  POSTFIX_TLS_FEATURES: (data) => {
    const extra: Record<string, string> = {};
    readTlsFeatures(data, extra);
    return { extra };
  },
};

function run(c: GrokCase): Partial<MailEvent> | undefined {
  const fragment = FRAGMENTS[c.pattern];
  if (fragment !== undefined) return fragment(c.data);
  return parsePostfix(headerOf(c));
}

type Getter = (e: Partial<MailEvent>) => unknown;

function formatPeer(peer: Peer | undefined, socket?: string): string | undefined {
  if (peer === undefined) return undefined;
  if (peer.ip === undefined && socket === undefined && peer.port === undefined) {
    return peer.host;
  }
  return `${peer.host ?? ''}[${peer.ip ?? socket ?? 'unknown'}]${peer.port === undefined ? '' : ':' + peer.port}`;
}

/** A client as Postfix writes it, `unknown[unknown]` when the address was lost. */
function formatClient(peer: Peer | undefined): string | undefined {
  if (peer === undefined) return undefined;
  return `${peer.host ?? ''}[${peer.ip ?? 'unknown'}]${peer.port === undefined ? '' : ':' + peer.port}`;
}

/** The `tls=` value written back from the parts the parser took apart. */
function formatTlsFeatures(x: Record<string, string> | undefined): string | undefined {
  if (x?.tls_level === undefined) return undefined;
  let out = x.tls_level + (x.tls_level_undecided ? '?' : '') + (x.tls_downgrade ? ':' + x.tls_downgrade : '');
  if (x.requiretls !== undefined) {
    out += '/' + (x.requiretls_violated ? '!' : '') + x.requiretls + (x.requiretls_undecided ? '?' : '');
    if (x.requiretls_downgrade) out += ':' + x.requiretls_downgrade;
  }
  return out;
}

/** Items of `postfix_keyvalue_data`, by key: where the parser keeps what the item says. */
const KEY_VALUES: Record<string, Getter> = {
  to: (e) => e.to,
  orig_to: (e) => e.origTo,
  from: (e) => e.from,
  relay: (e) => formatPeer(e.relay, e.extra?.relay_socket),
  delay: (e) => e.delay,
  delays: (e) =>
    e.delays &&
    [e.delays.beforeQueueManager, e.delays.inQueueManager, e.delays.connectionSetup, e.delays.transmission].join('/'),
  dsn: (e) => e.dsn,
  tls: (e) => formatTlsFeatures(e.extra),
  proto: (e) => e.protocol,
  helo: (e) => e.helo,
  client: (e) => formatClient(e.client),
  size: (e) => e.size,
  nrcpt: (e) => e.recipientCount,
  uid: (e) => e.extra?.uid,
};

/** The outcome phrase smtpd writes before `after STAGE from client`, by the action it maps to. */
const SMTPD_TROUBLES: Record<string, string> = {
  'lost-connection': 'lost connection',
  timeout: 'timeout',
  'tls-failure': 'SSL_accept error',
  'bare-newline': 'bare <LF> received',
};

/** A restriction's outcome as Postfix writes it: `END-OF-MESSAGE from host[1.2.3.4]: 5.7.1 text`. */
function formatAccess(e: Partial<MailEvent>): string | undefined {
  const r = e.reject;
  if (r === undefined) return undefined;
  const reply = [r.code, r.dsn, r.text].filter((part) => part !== undefined).join(' ');
  return `${r.stage} from ${formatClient(e.client)}: ${reply}`;
}

/** `ehlo=2 rcpt=0/1`: the accepted and total counts of one command; a single number is both. */
function command(name: string, part: 'accepted' | 'total'): Getter {
  return (e) => {
    const value = e.commands?.[name];
    if (value === undefined) return undefined;
    const slash = value.indexOf('/');
    if (slash < 0) return part === 'total' ? value : undefined;
    return part === 'accepted' ? value.slice(0, slash) : value.slice(slash + 1);
  };
}

/** The commands Postfix counts at disconnect, in the order it writes them. */
const COMMANDS = [
  'helo', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt',
  'bdat', 'data', 'rset', 'noop', 'quit', 'unknown',
];

/**
 * Each grok field and the MailEvent getter that holds the same fact. Fields that are grok's own intermediate
 * captures are checked by what they mean: `postfix_keyvalue_data` item by item through KEY_VALUES,
 * `postfix_command_counter_data` as the commands map written back.
 */
const FIELDS: Record<string, Getter> = {
  // Lines without a queue file carry no queue id: `NOQUEUE` must not join unrelated lines into one message.
  postfix_queueid: (e) => e.queueId ?? 'NOQUEUE',
  postfix_client_hostname: (e) => e.client?.host,
  postfix_client_ip: (e) => e.client?.ip,
  postfix_client_port: (e) => e.client?.port,
  // `unknown[unknown]` leaves the address unset; anvil's `(smtp:unknown)` says so in extra.client.
  postfix_client_ip_unknown: (e) =>
    (e.client !== undefined && e.client.ip === undefined) || e.extra?.client === 'unknown' ? 'unknown' : undefined,
  postfix_relay_hostname: (e) => e.relay?.host,
  postfix_relay_ip: (e) => e.relay?.ip,
  postfix_relay_port: (e) => e.relay?.port,
  postfix_relay_service: (e) => e.extra?.relay_socket,
  postfix_server_ip: (e) => e.extra?.server_ip,
  postfix_server_port: (e) => e.extra?.server_port,
  postfix_from: (e) => e.from,
  'postfix_message-id': (e) => e.messageId,
  postfix_status: (e) => e.extra?.status ?? e.status,
  postfix_smtp_response: (e) => e.statusText,
  postfix_local_response: (e) => e.statusText,
  postfix_pipe_response: (e) => e.statusText,
  postfix_error_response: (e) => e.statusText,
  postfix_smtp_stage: (e) => e.reject?.stage ?? e.extra?.stage,
  postfix_smtpd_lostconn_data: (e) => SMTPD_TROUBLES[e.action ?? ''],
  postfix_smtp_lostconn_data: (e) => (e.action === 'lost-connection' ? 'lost connection' : e.statusText),
  postfix_smtp_lostconn_reason: (e) => e.statusText,
  // A queue manager's `removed` is the action itself; other messages keep their text.
  postfix_message: (e) => e.statusText ?? e.action,
  // A content check's WARN and INFO show as the action of the check (`header-warning`), not as a log level.
  postfix_message_level: (e) =>
    e.extra?.level ?? (e.extra?.check !== undefined ? e.action?.slice(e.extra.check.length + 1) : undefined),
  // Postfix writes `reject_warning`; actions are kebab case.
  postfix_action: (e) => (e.action === 'reject-warning' ? 'reject_warning' : e.action),
  postfix_status_code: (e) => e.reject?.code,
  postfix_status_code_enhanced: (e) => e.reject?.dsn,
  postfix_status_data: (e) => e.extra?.reject_target,
  postfix_status_message: (e) => e.reject?.reason,
  postfix_milter_result: (e) => e.action?.replace(/^milter-/, ''),
  postfix_milter_message: (e) => e.statusText ?? formatAccess(e),
  postfix_milter_data: (e) => e.extra?.action_text,
  postfix_prepend_type: (e) => e.extra?.check,
  postfix_prepend_trigger: (e) => {
    const text = e.statusText;
    const check = e.extra?.check;
    if (text === undefined || check === undefined) return undefined;
    return text.slice(check.length + 1, text.lastIndexOf(' from '));
  },
  postfix_prepend_value: (e) => e.extra?.action_text,
  postfix_proxy_result: (e) => e.action?.replace(/^proxy-/, ''),
  postfix_proxy_smtp_stage: (e) => e.reject?.stage ?? e.extra?.stage,
  postfix_proxy_message: (e) => e.statusText,
  postfix_proxy_status_code: (e) => e.reject?.code ?? e.extra?.reply_code,
  postfix_proxy_status_code_enhanced: (e) => e.reject?.dsn ?? e.dsn,
  postfix_tls_trustlevel: (e) => e.tls?.trust,
  postfix_tls_version: (e) => e.tls?.version,
  postfix_tls_cipher: (e) => e.tls?.cipher,
  postfix_tls_cipher_size: (e) => e.tls && `${e.tls.bits}/${e.extra?.tls_algorithm_bits}`,
  postfix_tls_key_exchange: (e) => e.extra?.tls_key_exchange,
  postfix_tls_server_signature: (e) => e.extra?.tls_server_signature,
  postfix_tls_server_signature_size: (e) => e.extra?.tls_server_signature_bits,
  postfix_tls_server_signature_curve: (e) => e.extra?.tls_server_signature_curve,
  postfix_tls_server_digest: (e) => e.extra?.tls_server_digest,
  postfix_tls_error: (e) => e.statusText,
  postfix_tls_security_level: (e) => e.extra?.tls_level,
  postfix_tls_downgrade_level: (e) => e.extra?.tls_downgrade,
  postfix_tls_policy_undecided: (e) => (e.extra?.tls_level_undecided ? '?' : undefined),
  postfix_requiretls: (e) => e.extra?.requiretls,
  postfix_requiretls_policy_violation: (e) => (e.extra?.requiretls_violated ? '!' : undefined),
  postfix_requiretls_policy_undecided: (e) => (e.extra?.requiretls_undecided ? '?' : undefined),
  postfix_requiretls_downgrade_level: (e) => e.extra?.requiretls_downgrade,
  postfix_delay_before_qmgr: (e) => e.delays?.beforeQueueManager,
  postfix_delay_in_qmgr: (e) => e.delays?.inQueueManager,
  postfix_delay_conn_setup: (e) => e.delays?.connectionSetup,
  postfix_delay_transmission: (e) => e.delays?.transmission,
  postfix_command_counter_data: (e) =>
    e.commands &&
    Object.entries(e.commands)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  postfix_cmd_count: command('commands', 'total'),
  postfix_cmd_count_accepted: command('commands', 'accepted'),
  postfix_postscreen_access: (e) => e.extra?.postscreen,
  postfix_postscreen_violation: (e) => e.extra?.postscreen,
  postfix_postscreen_violation_time: (e) => e.extra?.after,
  postfix_postscreen_dnsbl_rank: (e) => e.extra?.dnsbl_rank,
  postfix_postscreen_cache_retained: (e) => e.extra?.retained,
  postfix_postscreen_cache_dropped: (e) => e.extra?.dropped,
  postfix_postscreen_toobusy_data: (e) => e.reject?.text,
  postfix_dnsbl_domain: (e) => e.extra?.dnsbl,
  postfix_dnsbl_result: (e) => e.extra?.dnsbl_result,
  postfix_anvil_conn_rate: (e) => (e.extra?.statistic === 'connection rate' ? e.extra.value : undefined),
  postfix_anvil_conn_period: (e) => e.extra?.period,
  postfix_anvil_conn_count: (e) => (e.extra?.statistic === 'connection count' ? e.extra.value : undefined),
  postfix_anvil_cache_size: (e) => (e.extra?.statistic === 'cache size' ? e.extra.value : undefined),
  postfix_anvil_timestamp: (e) => e.extra?.at,
  postfix_service: (e) => e.extra?.service,
  postfix_scache_hits: (e) => e.extra?.hits,
  postfix_scache_miss: (e) => e.extra?.miss,
  postfix_scache_success: (e) => e.extra?.success?.replace(/%$/, ''),
  postfix_scache_domains: (e) => e.extra?.domains,
  postfix_scache_addresses: (e) => e.extra?.addresses,
  postfix_scache_connection: (e) => e.extra?.connection,
  postfix_scache_timestamp: (e) => e.extra?.at,
  postfix_verify_cleanup_type: (e) => e.extra?.cleanup,
  postfix_verify_cache_retained: (e) => e.extra?.retained,
  postfix_verify_cache_dropped: (e) => e.extra?.dropped,
  postfix_bounce_queueid: (e) => e.nextQueueId,
  postfix_bounce_recipient: (e) => e.extra?.notice_recipient,
  postfix_bounce_reason: (e) => e.extra?.notice_kind,
  postfix_postsuper_action: (e) => e.statusText,
  postfix_postsuper_summary_action: (e) => e.extra?.operation,
  postfix_postsuper_summary_count: (e) => e.extra?.count,
  postfix_version: (e) => e.extra?.version,
  postfix_config_path: (e) => e.extra?.configuration,
  postfix_termination_signal: (e) => e.extra?.signal,
  postfix_pix_workaround: (e) => e.extra?.pix_workarounds,
  postfix_discarded_ehlo_keywords: (e) => e.extra?.discarded_ehlo_keywords,
};
for (const name of COMMANDS) {
  FIELDS[`postfix_cmd_${name}`] = command(name, 'total');
  FIELDS[`postfix_cmd_${name}_accepted`] = command(name, 'accepted');
}

/** Equal as written, or as numbers (`0.20` and `0.2`). */
function same(actual: unknown, expected: string): boolean {
  if (actual === undefined || actual === null) return false;
  const text = String(actual);
  if (text === expected) return true;
  const a = Number(text);
  const b = Number(expected);
  return text.trim() !== '' && expected.trim() !== '' && Number.isFinite(a) && Number.isFinite(b) && a === b;
}

/** The `key=value` items of grok's `postfix_keyvalue_data`, split here without the parser's help. */
function keyValueItems(data: string): Array<[string, string]> {
  const items: Array<[string, string]> = [];
  for (const m of data.matchAll(/([\w-]+)=(<[^>]*>|[^\s,]*)/g)) {
    const value = m[2].startsWith('<') ? m[2].slice(1, -1) : m[2];
    items.push([m[1], value]);
  }
  return items;
}

/** Why a case fails, or undefined when it passes. */
function mismatch(c: GrokCase): string | undefined {
  const event = run(c);
  if (event === undefined) return 'not recognised';
  const wrong: string[] = [];
  for (const [field, expected] of Object.entries(c.results)) {
    if (field === 'postfix_keyvalue_data') {
      for (const [key, value] of keyValueItems(expected)) {
        const getter = KEY_VALUES[key];
        if (getter === undefined) wrong.push(`no mapping for key ${key}`);
        else if (!same(getter(event), value)) wrong.push(`${key}=${String(getter(event))} (want ${value})`);
      }
      continue;
    }
    const getter = FIELDS[field];
    if (getter === undefined) wrong.push(`no mapping for ${field}`);
    else if (!same(getter(event), expected)) wrong.push(`${field}=${String(getter(event))} (want ${expected})`);
  }
  return wrong.length === 0 ? undefined : wrong.join('; ');
}

/**
 * Cases this parser reads differently from the grok patterns, on purpose, with the reason. The test fails when one
 * of these starts passing, so the list stays true.
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {};

describe('postfix-grok-patterns test cases', () => {
  const cases = grokCases();

  it('finds the corpus', () => {
    expect(cases.length).toBeGreaterThanOrEqual(190);
  });

  it('reads at least 95% of the cases as the patterns do, and fails only the known exceptions', () => {
    const failures: Record<string, string> = {};
    for (const c of cases) {
      const why = mismatch(c);
      if (why !== undefined) failures[c.file] = why;
    }
    const unexpected = Object.entries(failures).filter(([file]) => KNOWN_EXCEPTIONS[file] === undefined);
    const nowPassing = Object.keys(KNOWN_EXCEPTIONS).filter((file) => failures[file] === undefined);
    expect(unexpected).toEqual([]);
    expect(nowPassing).toEqual([]);
    expect((cases.length - Object.keys(failures).length) / cases.length).toBeGreaterThanOrEqual(0.95);
  });

  it('gives every parsed message the instance and daemon of its program', () => {
    for (const c of cases) {
      if (FRAGMENTS[c.pattern] !== undefined) continue;
      const event = run(c) as MailEvent;
      expect(event.mta).toBe('postfix');
      expect(`${event.instance}/${event.daemon}`).toBe(programOf(c.pattern));
    }
  });
});
