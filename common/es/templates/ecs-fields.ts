/**
 * Every ECS field the Zeek normalizer writes, with its Elasticsearch type (ECS 8.11 types). The normalizer's tests
 * check that it writes no field missing here, so a field is searchable from the first document on and its type
 * never depends on which document arrived first.
 */
export type FieldMapping = Readonly<Record<string, unknown>>;

export const KEYWORD: FieldMapping = { type: 'keyword', ignore_above: 1024 };
/** URLs and user agents used in attacks are long; still below Lucene's term limit of 32766 bytes in UTF-8. */
export const LONG_KEYWORD: FieldMapping = { type: 'keyword', ignore_above: 8191 };
/** ECS says match_only_text, a module some clusters lack; plain text without norms is the same to search. */
export const TEXT: FieldMapping = { type: 'text', norms: false };
export const DATE: FieldMapping = { type: 'date' };
export const LONG: FieldMapping = { type: 'long' };
export const IP: FieldMapping = { type: 'ip' };
export const BOOLEAN: FieldMapping = { type: 'boolean' };
/** Purdue levels (0 to 5). */
/** Purdue levels: 0 to 5, with the half levels some plants use (3.5 for an industrial DMZ). */
export const PURDUE_LEVEL: FieldMapping = { type: 'half_float' };

function endpoint(prefix: string): Record<string, FieldMapping> {
  return {
    [`${prefix}.ip`]: IP,
    [`${prefix}.port`]: LONG,
    [`${prefix}.bytes`]: LONG,
    [`${prefix}.packets`]: LONG,
    [`${prefix}.mac`]: KEYWORD,
    [`${prefix}.domain`]: KEYWORD,
  };
}

function distinguishedName(prefix: string): Record<string, FieldMapping> {
  const out: Record<string, FieldMapping> = {};
  for (const part of ['distinguished_name', 'common_name', 'country', 'locality', 'organization', 'organizational_unit', 'state_or_province']) {
    out[`${prefix}.${part}`] = KEYWORD;
  }
  return out;
}

function x509(prefix: string): Record<string, FieldMapping> {
  return {
    [`${prefix}.version_number`]: KEYWORD,
    [`${prefix}.serial_number`]: KEYWORD,
    ...distinguishedName(`${prefix}.subject`),
    ...distinguishedName(`${prefix}.issuer`),
    [`${prefix}.not_before`]: DATE,
    [`${prefix}.not_after`]: DATE,
    [`${prefix}.public_key_algorithm`]: KEYWORD,
    [`${prefix}.public_key_curve`]: KEYWORD,
    [`${prefix}.public_key_size`]: LONG,
    [`${prefix}.public_key_exponent`]: LONG,
    [`${prefix}.signature_algorithm`]: KEYWORD,
    [`${prefix}.alternative_names`]: KEYWORD,
  };
}

/** Dotted ECS field name -> mapping. */
export const ECS_FIELDS: Readonly<Record<string, FieldMapping>> = {
  '@timestamp': DATE,
  'ecs.version': KEYWORD,
  'event.kind': KEYWORD,
  'event.module': KEYWORD,
  'event.dataset': KEYWORD,
  'event.category': KEYWORD,
  'event.type': KEYWORD,
  'event.action': KEYWORD,
  'event.outcome': KEYWORD,
  'event.ingested': DATE,
  'event.duration': LONG,
  'observer.name': KEYWORD,
  tags: KEYWORD,
  message: TEXT,
  ...endpoint('source'),
  ...endpoint('destination'),
  'network.transport': KEYWORD,
  'network.type': KEYWORD,
  'network.iana_number': KEYWORD,
  'network.protocol': KEYWORD,
  'network.direction': KEYWORD,
  'network.community_id': KEYWORD,
  'network.bytes': LONG,
  'network.packets': LONG,
  'network.vlan.id': KEYWORD,
  'network.inner.vlan.id': KEYWORD,
  'related.ip': IP,
  'related.hosts': KEYWORD,
  'related.user': KEYWORD,
  'host.ip': IP,
  'user.name': KEYWORD,
  'user.domain': KEYWORD,
  'url.original': LONG_KEYWORD,
  'url.domain': KEYWORD,
  'url.path': LONG_KEYWORD,
  'url.query': LONG_KEYWORD,
  'user_agent.original': LONG_KEYWORD,
  'http.version': KEYWORD,
  'http.request.method': KEYWORD,
  'http.request.referrer': LONG_KEYWORD,
  'http.request.mime_type': KEYWORD,
  'http.request.body.bytes': LONG,
  'http.response.status_code': LONG,
  'http.response.mime_type': KEYWORD,
  'http.response.body.bytes': LONG,
  'dns.id': KEYWORD,
  'dns.type': KEYWORD,
  'dns.op_code': KEYWORD,
  'dns.response_code': KEYWORD,
  'dns.header_flags': KEYWORD,
  'dns.question.name': KEYWORD,
  'dns.question.type': KEYWORD,
  'dns.question.class': KEYWORD,
  'dns.answers.data': KEYWORD,
  'dns.answers.ttl': LONG,
  'dns.resolved_ip': IP,
  'tls.version': KEYWORD,
  'tls.version_protocol': KEYWORD,
  'tls.cipher': KEYWORD,
  'tls.curve': KEYWORD,
  'tls.next_protocol': KEYWORD,
  'tls.established': BOOLEAN,
  'tls.resumed': BOOLEAN,
  'tls.client.server_name': KEYWORD,
  'tls.client.ja3': KEYWORD,
  'tls.client.subject': KEYWORD,
  'tls.client.issuer': KEYWORD,
  'tls.server.ja3s': KEYWORD,
  'tls.server.subject': KEYWORD,
  'tls.server.issuer': KEYWORD,
  'tls.server.hash.sha256': KEYWORD,
  ...x509('tls.server.x509'),
  'file.name': KEYWORD,
  'file.path': KEYWORD,
  'file.mime_type': KEYWORD,
  'file.size': LONG,
  'file.hash.md5': KEYWORD,
  'file.hash.sha1': KEYWORD,
  'file.hash.sha256': KEYWORD,
  'file.created': DATE,
  'file.mtime': DATE,
  'file.accessed': DATE,
  'file.ctime': DATE,
  ...x509('file.x509'),
  'email.from.address': KEYWORD,
  'email.sender.address': KEYWORD,
  'email.to.address': KEYWORD,
  'email.cc.address': KEYWORD,
  'email.reply_to.address': KEYWORD,
  'email.message_id': KEYWORD,
  'email.subject': KEYWORD,
  'email.x_mailer': KEYWORD,
  'email.origination_timestamp': DATE,
  'rule.name': KEYWORD,
  'rule.category': KEYWORD,
  'error.message': TEXT,
  // Set by the ingest worker: the file the record was read from and the line's byte offset in it.
  'log.file.path': LONG_KEYWORD,
  'log.offset': LONG,
  'log.level': KEYWORD,
  'log.syslog.facility.name': KEYWORD,
  'log.syslog.severity.name': KEYWORD,
  'zeek.session_id': KEYWORD,
  'vigil.redacted': KEYWORD,
  // Zone (configuration) and asset role (inventory) of each endpoint, set at ingest so that dashboards filter on them.
  'vigil.source.zone': KEYWORD,
  'vigil.source.level': PURDUE_LEVEL,
  'vigil.source.role': KEYWORD,
  'vigil.destination.zone': KEYWORD,
  'vigil.destination.level': PURDUE_LEVEL,
  'vigil.destination.role': KEYWORD,
};
