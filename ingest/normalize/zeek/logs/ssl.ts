/**
 * TLS and certificates: `ssl` (ECS `tls.*`), `x509` (the certificate as a file, ECS `file.x509.*`), `known_certs`
 * (`tls.server.x509.*` of the server that presented it) and `ocsp`.
 */
import type { EcsDocument } from '../context';
import { hasAny, part, type LogMapper, type Transport } from '../mapper';
import { relateHost } from '../related';
import { bool, firstString, isoTime, num, str, strings, type ZeekFields } from '../values';
import { FILE, INFO, NETWORK, PROTOCOL } from './categories';
import { distinguishedName } from './distinguished-name';
import { mapKnownDestination } from './inventory';

const VERSION = /^(TLS|SSL|DTLS)v(\d)(\d)$/;

/** Zeek's `TLSv12`, `SSLv3`, `DTLSv10` -> ECS `tls.version_protocol` and `tls.version`. */
export function tlsVersion(version: string): { protocol: string; version: string } | undefined {
  if (version === 'SSLv3') return { protocol: 'ssl', version: '3.0' };
  if (version === 'SSLv2') return { protocol: 'ssl', version: '2.0' };
  const m = VERSION.exec(version);
  return m === null ? undefined : { protocol: m[1].toLowerCase(), version: `${m[2]}.${m[3]}` };
}

/** DTLS runs over UDP, every other version Zeek reports over TCP. */
function sslTransport(f: ZeekFields): Transport {
  const version = f.version;
  return typeof version === 'string' && version.startsWith('DTLS') ? 'udp' : 'tcp';
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

function mapSsl(f: ZeekFields, doc: EcsDocument): void {
  const tls: Record<string, unknown> = {};
  const version = str(f.version);
  const parsed = version === undefined ? undefined : tlsVersion(version);
  if (parsed !== undefined) {
    tls.version = parsed.version;
    tls.version_protocol = parsed.protocol;
  }
  const cipher = str(f.cipher);
  if (cipher !== undefined) tls.cipher = cipher;
  const curve = str(f.curve);
  if (curve !== undefined) tls.curve = curve;
  const resumed = bool(f.resumed);
  if (resumed !== undefined) tls.resumed = resumed;
  const established = bool(f.established);
  if (established !== undefined) tls.established = established;
  const next = str(f.next_protocol);
  if (next !== undefined) tls.next_protocol = next;

  let client: Record<string, unknown> | undefined;
  const sni = str(f.server_name);
  if (sni !== undefined) {
    (client ??= {}).server_name = sni;
    relateHost(doc, sni);
  }
  const ja3 = str(f.ja3);
  if (ja3 !== undefined) (client ??= {}).ja3 = ja3;
  const clientSubject = str(f.client_subject);
  if (clientSubject !== undefined) (client ??= {}).subject = clientSubject;
  const clientIssuer = str(f.client_issuer);
  if (clientIssuer !== undefined) (client ??= {}).issuer = clientIssuer;
  if (client !== undefined) tls.client = client;

  let server: Record<string, unknown> | undefined;
  const ja3s = str(f.ja3s);
  if (ja3s !== undefined) (server ??= {}).ja3s = ja3s;
  const subject = str(f.subject);
  if (subject !== undefined) (server ??= {}).subject = subject;
  const issuer = str(f.issuer);
  if (issuer !== undefined) (server ??= {}).issuer = issuer;
  // Zeek fingerprints certificates with SHA-256 unless configured otherwise; only a SHA-256 value is claimed.
  const leaf = firstString(f.cert_chain_fps);
  if (leaf !== undefined && SHA256_HEX.test(leaf)) (server ??= {}).hash = { sha256: leaf };
  if (server !== undefined) tls.server = server;
  if (hasAny(tls)) doc.tls = tls;
}

/** ECS x509 fields from the `certificate.*` fields of an `x509` record. */
function certificate(f: ZeekFields): Record<string, unknown> {
  const x509: Record<string, unknown> = {};
  const version = num(f['certificate.version']);
  if (version !== undefined) x509.version_number = String(version);
  const serial = str(f['certificate.serial']);
  if (serial !== undefined) x509.serial_number = serial;
  const subject = str(f['certificate.subject']);
  if (subject !== undefined) x509.subject = distinguishedName(subject);
  const issuer = str(f['certificate.issuer']);
  if (issuer !== undefined) x509.issuer = distinguishedName(issuer);
  const notBefore = isoTime(f['certificate.not_valid_before']);
  if (notBefore !== undefined) x509.not_before = notBefore;
  const notAfter = isoTime(f['certificate.not_valid_after']);
  if (notAfter !== undefined) x509.not_after = notAfter;
  const keyAlg = str(f['certificate.key_alg']);
  if (keyAlg !== undefined) x509.public_key_algorithm = keyAlg;
  const sigAlg = str(f['certificate.sig_alg']);
  if (sigAlg !== undefined) x509.signature_algorithm = sigAlg;
  const keyLength = num(f['certificate.key_length']);
  if (keyLength !== undefined) x509.public_key_size = keyLength;
  const exponent = str(f['certificate.exponent']);
  if (exponent !== undefined && /^\d{1,15}$/.test(exponent)) x509.public_key_exponent = +exponent;
  const curve = str(f['certificate.curve']);
  if (curve !== undefined) x509.public_key_curve = curve;
  return x509;
}

function mapX509(f: ZeekFields, doc: EcsDocument): void {
  const x509 = certificate(f);
  let names: string[] | undefined;
  for (const field of ['san.dns', 'san.uri', 'san.email', 'san.ip']) {
    const list = strings(f[field]);
    if (list !== undefined) names = names === undefined ? list : names.concat(list);
  }
  if (names !== undefined) x509.alternative_names = names;
  if (hasAny(x509)) part(doc, 'file').x509 = x509;
}

function mapKnownCerts(f: ZeekFields, doc: EcsDocument): void {
  mapKnownDestination(f, doc);
  const x509: Record<string, unknown> = {};
  const subject = str(f.subject);
  if (subject !== undefined) x509.subject = distinguishedName(subject);
  const issuer = str(f.issuer_subject);
  if (issuer !== undefined) x509.issuer = distinguishedName(issuer);
  const serial = str(f.serial);
  if (serial !== undefined) x509.serial_number = serial;
  if (hasAny(x509)) part(part(doc, 'tls'), 'server').x509 = x509;
}

export const sslMappers: Record<string, LogMapper> = {
  ssl: { category: NETWORK, type: PROTOCOL, protocol: 'ssl', transport: sslTransport, map: mapSsl },
  x509: { category: FILE, type: INFO, map: mapX509 },
  known_certs: { category: NETWORK, type: INFO, map: mapKnownCerts },
  ocsp: { category: NETWORK, type: INFO },
};
