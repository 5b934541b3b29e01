/**
 * Credentials never reach Elasticsearch in clear. Zeek logs some as they cross the wire: FTP and HTTP passwords,
 * SOCKS and OPC UA user tokens, the BACnet device-control password, the SNMP community string (which is what
 * authenticates an SNMPv1/v2c request). Each is replaced by a fixed marker, not by a hash: these secrets are short,
 * and a plain hash of a short secret is reversed by brute force in seconds. The names of the replaced fields are
 * reported so that the document can say what was removed.
 */
import type { ZeekValue } from '../parse/zeek/record';

export const REDACTED = '[redacted]';

/** A field whose name says it holds a secret, whatever the log. */
const SECRET_NAME = /pass(?:word|wd|phrase)|secret|(?:^|[._])community$/i;

/** Commands whose argument is a credential: FTP and IRC `PASS`, Redis `AUTH`. */
interface CommandSecret {
  command: string;
  /** Upper case: commands are matched without regard to case, as the protocols do. */
  verbs: ReadonlySet<string>;
  arguments: readonly string[];
}
const PASS = new Set(['PASS']);
const COMMAND_SECRETS: Readonly<Record<string, CommandSecret>> = {
  ftp: { command: 'command', verbs: PASS, arguments: ['arg'] },
  irc: { command: 'command', verbs: PASS, arguments: ['value'] },
  redis: { command: 'cmd.name', verbs: new Set(['AUTH']), arguments: ['cmd.key', 'cmd.value'] },
};

const nameCache = new Map<string, boolean>();

export function isSecretFieldName(name: string): boolean {
  let secret = nameCache.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name);
    // Field names come from log headers, so the set is small; the bound only guards against junk input.
    if (nameCache.size < 100_000) nameCache.set(name, secret);
  }
  return secret;
}

/** The secret field names of a TSV header block, found once per block (its `types` object is shared). */
const schemaSecrets = new WeakMap<object, readonly string[]>();

function secretNamesOfSchema(types: Readonly<Record<string, string>>): readonly string[] {
  let names = schemaSecrets.get(types);
  if (names === undefined) {
    names = Object.keys(types).filter(isSecretFieldName);
    schemaSecrets.set(types, names);
  }
  return names;
}

/**
 * An empty value reveals no secret, and that a device accepted an empty password is worth seeing: it is kept.
 */
function holdsValue(value: ZeekValue | undefined): boolean {
  if (value === undefined || value === '') return false;
  return !Array.isArray(value) || value.length > 0;
}

export interface Redaction {
  /** A copy of the fields with every secret replaced by `REDACTED`. */
  fields: Record<string, ZeekValue>;
  /** Names of the replaced fields, in the order found. */
  redacted: string[];
}

/**
 * Replaces the credentials of one Zeek record. Returns undefined when the record holds none, which is the common
 * case and costs no allocation; the input is never modified.
 * @param types the record's TSV `#types` (shared per header block) when known: its secret names are found once.
 */
export function redactZeekSecrets(
  path: string,
  fields: Record<string, ZeekValue>,
  types?: Readonly<Record<string, string>>,
): Redaction | undefined {
  let redacted: string[] | undefined;
  if (types !== undefined) {
    const names = secretNamesOfSchema(types);
    for (let i = 0; i < names.length; i++) {
      if (holdsValue(fields[names[i]])) (redacted ??= []).push(names[i]);
    }
  } else {
    for (const name in fields) {
      if (isSecretFieldName(name) && holdsValue(fields[name])) (redacted ??= []).push(name);
    }
  }
  const rule = COMMAND_SECRETS[path];
  if (rule !== undefined) {
    const verb = fields[rule.command];
    if (typeof verb === 'string' && rule.verbs.has(verb.toUpperCase())) {
      for (const name of rule.arguments) {
        if (holdsValue(fields[name])) (redacted ??= []).push(name);
      }
    }
  }
  if (redacted === undefined) return undefined;
  const copy = { ...fields };
  for (const name of redacted) copy[name] = REDACTED;
  return { fields: copy, redacted };
}
