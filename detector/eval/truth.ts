/**
 * Ground truth of a labeled Zeek scenario (the Stratosphere security datasets for testing): which IP addresses
 * are malicious actors (or their victims), which are known benign, and how long the capture lasts.
 *
 * Two sources, never mixed within a scenario:
 * - `labels`: the records carry NetflowLabeler's `label` / `detailedlabel` columns (`detailed-label` in the IoT-23
 *   captures). Each detailed label of a Malicious record has an explicit rule below (`MALICIOUS_LABEL_RULES`, or
 *   the IoT-23 labels it is made of, `labelRule`) saying which side of the flow is the actor and in which role. A
 *   Malicious detailed label without a rule excludes the scenario instead of guessing.
 * - `readme`: no record is labeled. The scenario's README.md statement is coded by hand in `README_TRUTH`, quoted
 *   as evidence. A scenario whose README states no usable truth is kept (its files can still be replayed to measure
 *   alert volume) but marked `excluded`, with the reason.
 *
 * An entity is an IP address; `flows` counts distinct Zeek connections (`uid`) in which it plays its role, so a
 * connection seen in conn.log, http.log and files of the same uid counts once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { forEachZeekRecord } from '../../ingest/parse/zeek/read-file';
import type { ZeekRecord } from '../../ingest/parse/zeek/record';

export type Role = 'attacker' | 'infected' | 'c2' | 'victim' | 'scanner';

export interface MaliciousEntity {
  role: Role;
  /** Distinct connections (Zeek uid) in which the address plays this role. */
  flows: number;
  /** Why: the label and the labels.config rule, or the README sentence it follows from. */
  evidence: string;
}

export interface ScenarioTruth {
  /** Folder name, e.g. `008-zeek-mixed`. */
  scenario: string;
  /** The Zeek log files to ingest for this scenario (absolute paths); unlabeled copies of labeled files are left out. */
  files: string[];
  malicious: Map<string, MaliciousEntity>;
  /** Addresses seen in traffic known not to be malicious (Benign labels, or outside the README's malicious rule). */
  benign: Set<string>;
  /** Epoch seconds of the first and last record of all files. */
  start: number;
  end: number;
  /** Span of the capture in days, at least `MIN_DAYS`. */
  days: number;
  source: 'labels' | 'readme';
  /** Set when the scenario must not be scored: the reason. */
  excluded?: string;
}

/**
 * Floor of a capture's length in days: short enough that a 50-minute capture counts as its real fraction of a day,
 * but keeps a capture of a few seconds from turning a handful of alerts into thousands per day.
 */
export const MIN_DAYS = 10 / (24 * 60);

const SECONDS_PER_DAY = 86_400;

/** One record reduced to what the truth needs. */
interface Flow {
  path: string;
  /** Zeek uid, or a key unique to the record when it has none. */
  key: string;
  orig?: string;
  resp?: string;
  respPort?: number;
  proto?: string;
  /** `label` / `detailedlabel`, `(empty)` read as ''; undefined when the record carries no label. */
  label?: string;
  detail?: string;
  fields: ZeekRecord['fields'];
}

/** A rule that makes the originator and/or responder of matching flows malicious in a role. */
interface FlowRule {
  match: (flow: Flow) => boolean;
  orig?: Role;
  resp?: Role;
  evidence: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Labels: one rule per detailed label of Malicious records.
// ---------------------------------------------------------------------------------------------------------------

export interface LabelRule {
  orig?: Role;
  resp?: Role;
  /** Log paths whose responder takes `resp`; all when absent. */
  respPaths?: ReadonlySet<string>;
  /** Every condition of the labels.config entry must look like this, else the rule does not apply. */
  config?: RegExp;
  /**
   * The responder also takes `resp`, whatever the log path, when a condition of the labels.config entry names it
   * as the destination (`dstIP=<it>`): a server the labeler marked malicious by its address.
   */
  respNamedByConfig?: boolean;
  why: string;
}

/**
 * Keyed by detailed label ('' when empty). Written for the labels the Stratosphere captures use (those of the
 * corpus, and `CC-with-MITM-from-analysts` and `DNS` of the same series' later scenarios); a new one needs a new rule.
 */
export const MALICIOUS_LABEL_RULES: Readonly<Record<string, LabelRule>> = {
  // 001 (NjRAT, no labels.config): the bot opens the command-and-control connection.
  CC: {
    orig: 'infected',
    resp: 'c2',
    why: 'CC: command-and-control flow, the client is the infected host and the server its controller',
  },
  // The same flows where the analysts intercepted the bot's TLS to read it.
  'CC-with-MITM-from-analysts': {
    orig: 'infected',
    resp: 'c2',
    why: 'CC-with-MITM-from-analysts: command-and-control flow read through the analysts\' interception, the client is the infected host and the server its controller',
  },
  // Lookups the malware makes (by its source ports or all of port 53 of a capture that holds only the bot): the
  // client is the infected host; the resolver only answers them.
  DNS: {
    orig: 'infected',
    why: 'DNS: lookups the malware makes, the client is the infected host; the resolver only answers',
  },
  // 008, 010-012: `Malicious, External-Attack-to-Device: - dstIP=<the monitored device>`.
  'External-Attack-to-Device': {
    orig: 'attacker',
    resp: 'victim',
    config: /^dstIP=/,
    why: 'External-Attack-to-Device: the source attacks the monitored device, the destination is that device',
  },
  // 009: `Malicious: - srcIP=192.168.1.113`, everything the infected computer sends. Its http and ssl connections go to
  // the servers the malware talks to (C2 and other malicious servers); its dns requests go to the resolver, which
  // is not malicious, and weird/notice records repeat connections already counted.
  // Some captures add the bot's own servers by address (`dstIP=<server>`): they are malicious whatever the log.
  '': {
    orig: 'infected',
    resp: 'c2',
    respPaths: new Set(['http', 'ssl']),
    config: /^(srcIP=[^\s&]+( & dstPort=\d+)?|dstIP=[^\s&]+)$/,
    respNamedByConfig: true,
    why: 'Malicious by address: the source is the infected host; servers of its http/ssl connections, and servers the labels name, are C2 or malicious servers',
  },
  // 009: `Malicious, Answer-to-attack: - dstIP=192.168.1.113 & Proto=ICMP`: ICMP sent to the infected host, whose
  // sender is only answering.
  'Answer-to-attack': {
    resp: 'infected',
    config: /^dstIP=/,
    why: 'Answer-to-attack: ICMP answers to the infected host; only the destination is malicious',
  },
};

/**
 * The detailed labels of the IoT-23 captures (Stratosphere Laboratory), joined by `-` when a flow is several at once
 * (`C&C-HeartBeat-FileDownload`, `PartOfAHorizontalPortScan-Attack`). Every labeled flow there is opened by the
 * infected device. What each says of the responder, in the dataset's own words:
 * - `C&C`, `HeartBeat` (the C&C server keeping track of the bot), `FileDownload` (a file downloaded to the infected
 *   device): the responder is the bot's server;
 * - `Attack`, `DDoS`, `PartOfAHorizontalPortScan`: the responder is the target of the attack or scan;
 * - `Mirai`, `Okiru`, `Torii`: traffic with that botnet's marks, saying nothing of the responder.
 * A flow both to a server and against a target gives its responder no role: which one it is cannot be told.
 */
const IOT23_RESPONDER: Readonly<Record<string, 'c2' | 'victim' | undefined>> = {
  'C&C': 'c2',
  HeartBeat: 'c2',
  FileDownload: 'c2',
  Attack: 'victim',
  DDoS: 'victim',
  PartOfAHorizontalPortScan: 'victim',
  Mirai: undefined,
  Okiru: undefined,
  Torii: undefined,
};

/** The rule of a detailed label: its own in `MALICIOUS_LABEL_RULES`, else the IoT-23 labels it is made of. */
export function labelRule(detail: string): LabelRule | undefined {
  if (Object.prototype.hasOwnProperty.call(MALICIOUS_LABEL_RULES, detail)) return MALICIOUS_LABEL_RULES[detail];
  const parts = detail.split('-');
  if (detail === '' || !parts.every((p) => Object.prototype.hasOwnProperty.call(IOT23_RESPONDER, p))) return undefined;
  const roles = new Set(parts.map((p) => IOT23_RESPONDER[p]).filter((r) => r !== undefined));
  const resp = roles.size === 1 ? [...roles][0] : undefined;
  const orig: Role = parts.every((p) => p === 'PartOfAHorizontalPortScan') ? 'scanner' : parts.some((p) => p === 'Attack' || p === 'DDoS') ? 'attacker' : 'infected';
  const what = resp === 'c2' ? 'the server is its C&C or malware server' : resp === 'victim' ? 'the responder is its target' : 'the responder takes no role';
  return { orig, resp, why: `${detail} (IoT-23): the originator is the infected device, as a ${orig}; ${what}` };
}

/** `labels.config` of NetflowLabeler: label header (`Malicious, CC:`) to its conditions (`dstIP=1.2.3.4`). */
export function readLabelsConfig(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('-')) {
      current?.push(line.slice(1).trim());
      continue;
    }
    // The colon after a header is optional in these files (`Benign, ESET`).
    const header = line.replace(/:$/, '').split(',').map((part) => part.trim());
    const key = `${header[0]}|${header[1] ?? ''}`;
    current = out.get(key) ?? [];
    out.set(key, current);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// README statements for scenarios without labels.
// ---------------------------------------------------------------------------------------------------------------

interface ReadmeTruth {
  /** Sentences quoted verbatim from the scenario's README.md. */
  evidence: string[];
  /** Built from the scenario's flows (a rule may depend on other logs of the scenario). */
  rules?: (flows: Flow[]) => FlowRule[];
  /** Set when the README gives no usable truth. */
  excluded?: string;
}

const quoted = (sentences: string[]): string => sentences.map((s) => `README: "${s}"`).join('; ');

export const README_TRUTH: Readonly<Record<string, ReadmeTruth>> = {
  '002-zeek-scenario-port-scanning': {
    evidence: [
      'one client 172.16.1.11 performing multiple scans using Nmap in different local networks (172.16.1.0/24, 192.168.1.0/24, 10.0.2.0/24).',
    ],
    // The scanned hosts are targets, not victims of a compromise: only the scanner is named.
    rules: () => [
      {
        match: (f) => f.path === 'conn' && f.orig === '172.16.1.11',
        orig: 'scanner',
        evidence: 'every connection 172.16.1.11 opens is part of its scans',
      },
    ],
  },
  '003-zeek-scenario-malicious': {
    evidence: ['Malicious connections at 1337/TCP port.', 'Malware: AndroidTester Remote Access Trojan'],
    // The phone opens the connections to port 1337, where the RAT's controller listens.
    rules: () => [
      {
        match: (f) => f.path === 'conn' && f.proto === 'tcp' && f.respPort === 1337,
        orig: 'infected',
        resp: 'c2',
        evidence: 'conn to 1337/tcp: the client runs the RAT, the server on 1337 controls it',
      },
    ],
  },
  '005-zeek-scenario-malicious': {
    evidence: ['malicious dga connections', 'Malware: Simda botnet'],
    // The http.log of this capture (its first 1,000 lines) holds only the bot's requests to generated domain names:
    // every one asks for a seven-letter .com name (or a parking `wwNN.` host of one) with the forged referrer
    // `http://www.google.com`, which the test checks. The same machine resolves those names over IPv6, so the
    // askers of the DNS queries for them are infected too; the resolver is not malicious.
    rules: (flows) => {
      const generated = new Set<string>();
      for (const f of flows) if (f.path === 'http' && typeof f.fields.host === 'string') generated.add(f.fields.host);
      return [
        {
          match: (f) => f.path === 'http',
          orig: 'infected',
          resp: 'c2',
          evidence: 'http request to a generated domain: the client is the bot, the server answers its DGA name',
        },
        {
          match: (f) => f.path === 'dns' && typeof f.fields.query === 'string' && generated.has(f.fields.query),
          orig: 'infected',
          evidence: 'dns query for a generated domain the bot then contacts over http',
        },
      ];
    },
  },
  '004-zeek-scenario-ssh': {
    evidence: ['Zeek ssh.log of multiple clients logging in, JSON format. No `auth_success` field.'],
    excluded: 'the README describes clients logging in on a testing network and names no attacker, victim or malicious connection',
  },
  '006-zeek-scenario-ssh': {
    evidence: ['Honeypot Capture, Honeypot-Minicomputer-RaspberryPi-Gen3-1, 2020/07/27'],
    excluded:
      'the README says the device is a honeypot but names no attacker or malicious connection; a client that logs in at its first attempt may be the operator, so not every client can be taken for an attacker',
  },
  '007-zeek-scenario-ssh-infected': {
    evidence: ['Honeypot Minicomputer Raspberry Po Gen 3-2, 2020/09/10'],
    excluded:
      'the README only lists the logs: it names no attacker, infected host, time or connection (only the folder name says "infected"); the honeypot is an endpoint of nearly every record, so naming it would count any alert as a detection',
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------------------------------

const ZEEK_LOG_FILE = /\.(log|json)(\.gz)?$|\.log\.labeled$/;

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesBelow(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * The scenario folders of a corpus of labeled captures, by name: every folder (not hidden) that holds a Zeek log, at
 * any depth. Named as the testing datasets name theirs (`008-zeek-mixed`) or as IoT-23 does
 * (`CTU-IoT-Malware-Capture-34-1`, its logs under `bro/`). `only` keeps the folders whose name starts with one of
 * its prefixes.
 */
export function scenarioFolders(corpus: string, only?: readonly string[]): string[] {
  const root = resolve(corpus);
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .filter((name) => only === undefined || only.some((prefix) => name.startsWith(prefix)))
    .sort()
    .map((name) => join(root, name))
    .filter((dir) => scenarioFiles(dir).length > 0);
}

/** The Zeek logs of a scenario, without a file whose labeled copy (`labeled-conn.log`, `conn.log.labeled`) is there. */
export function scenarioFiles(dir: string): string[] {
  const all = filesBelow(resolve(dir)).filter((f) => ZEEK_LOG_FILE.test(basename(f)));
  const present = new Set(all);
  return all
    .filter((f) => {
      const name = basename(f);
      const folder = f.slice(0, f.length - name.length);
      return !present.has(`${folder}labeled-${name}`) && !present.has(`${f}.labeled`);
    })
    .sort();
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const unempty = (v: string): string => (v === '(empty)' ? '' : v);

/**
 * Labels declared in `#fields` are fields (`detailedlabel` in the CTU captures, `detailed-label` in IoT-23, unset
 * there when empty); undeclared trailing columns arrive as `extra`.
 */
function labelsOf(record: ZeekRecord): { label?: string; detail?: string } {
  const { label } = record.fields;
  const detail = record.fields.detailedlabel ?? record.fields['detailed-label'];
  if (typeof label === 'string') return { label, detail: typeof detail === 'string' ? detail : '' };
  const extra = record.extra;
  if (extra !== undefined && extra.length >= 2) {
    const label = unempty(extra[extra.length - 2]);
    if (label === 'Malicious' || label === 'Benign' || label === 'Background') {
      return { label, detail: unempty(extra[extra.length - 1]) };
    }
  }
  return {};
}

const NO_FIELDS: ZeekRecord['fields'] = Object.freeze({});

/** A record as a flow; its fields are kept only when asked (`keepFields`), as a large capture would not fit. */
function toFlow(record: ZeekRecord, file: string, index: number, keepFields: boolean): Flow {
  const f = record.fields;
  const port = f['id.resp_p'];
  const { label, detail } = labelsOf(record);
  return {
    path: record.path,
    key: text(f.uid) ?? `${file}#${index}`,
    orig: text(f['id.orig_h']),
    resp: text(f['id.resp_h']),
    respPort: typeof port === 'number' ? port : undefined,
    proto: text(f.proto),
    label,
    detail,
    fields: keepFields ? f : NO_FIELDS,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Truth.
// ---------------------------------------------------------------------------------------------------------------

/** Which role wins when an address matches several: actors before the victim, the inside host before its servers. */
const ROLE_ORDER: readonly Role[] = ['attacker', 'scanner', 'infected', 'c2', 'victim'];

class EntityCollector {
  private readonly byIp = new Map<string, Map<Role, { keys: Set<string>; evidence: Set<string> }>>();

  add(ip: string | undefined, role: Role, key: string, evidence: string): void {
    if (ip === undefined) return;
    let roles = this.byIp.get(ip);
    if (!roles) this.byIp.set(ip, (roles = new Map()));
    let entry = roles.get(role);
    if (!entry) roles.set(role, (entry = { keys: new Set(), evidence: new Set() }));
    entry.keys.add(key);
    entry.evidence.add(evidence);
  }

  /** @param prefix evidence shared by every entity (the README quote), written once before the rule's own. */
  result(prefix = ''): Map<string, MaliciousEntity> {
    const out = new Map<string, MaliciousEntity>();
    for (const ip of [...this.byIp.keys()].sort()) {
      const roles = this.byIp.get(ip)!;
      const role = ROLE_ORDER.find((r) => roles.has(r))!;
      const entry = roles.get(role)!;
      const others = ROLE_ORDER.filter((r) => r !== role && roles.has(r)).map((r) => `${r} in ${roles.get(r)!.keys.size} flows`);
      const evidence = prefix + [...entry.evidence].join('; ') + (others.length > 0 ? `; also ${others.join(', ')}` : '');
      out.set(ip, { role, flows: entry.keys.size, evidence });
    }
    return out;
  }
}

function truthFromLabels(dir: string, flows: Flow[]): { malicious: Map<string, MaliciousEntity>; benign: Set<string>; excluded?: string } {
  const configFile = filesBelow(dir).find((f) => basename(f) === 'labels.config');
  const config = configFile !== undefined ? readLabelsConfig(configFile) : undefined;
  const entities = new EntityCollector();
  const unruled = new Set<string>();
  const benignSeen = new Set<string>();
  for (const flow of flows) {
    if (flow.label === 'Benign') {
      if (flow.orig) benignSeen.add(flow.orig);
      if (flow.resp) benignSeen.add(flow.resp);
      continue;
    }
    if (flow.label !== 'Malicious') continue;
    // Records without the connection's endpoints (files, x509, software) name no entity.
    if (flow.orig === undefined && flow.resp === undefined) continue;
    const detail = flow.detail ?? '';
    const rule = labelRule(detail);
    const conditions = config?.get(`Malicious|${detail}`);
    if (rule === undefined || (rule.config !== undefined && !(conditions?.length && conditions.every((c) => rule.config!.test(c))))) {
      unruled.add(detail);
      continue;
    }
    const evidence = `label Malicious/${detail === '' ? '(empty)' : detail}; ${rule.why}` +
      (conditions?.length ? `; labels.config: ${conditions.map((c) => `"${c}"`).join(' or ')}` : '');
    if (rule.orig) entities.add(flow.orig, rule.orig, flow.key, evidence);
    const named = rule.respNamedByConfig === true && flow.resp !== undefined && conditions?.includes(`dstIP=${flow.resp}`) === true;
    if (rule.resp && (rule.respPaths === undefined || rule.respPaths.has(flow.path) || named)) {
      entities.add(flow.resp, rule.resp, flow.key, evidence);
    }
  }
  if (unruled.size > 0) {
    const names = [...unruled].map((d) => (d === '' ? '(empty)' : d)).join(', ');
    return {
      malicious: new Map(),
      benign: new Set(),
      excluded: `Malicious records with detailed label ${names} have no role rule (or labels.config does not match it)`,
    };
  }
  const malicious = entities.result();
  return { malicious, benign: new Set([...benignSeen].filter((ip) => !malicious.has(ip))) };
}

function truthFromReadme(
  scenario: string,
  flows: Flow[],
): { malicious: Map<string, MaliciousEntity>; benign: Set<string>; excluded?: string } {
  const entry = README_TRUTH[scenario];
  if (entry === undefined) {
    return { malicious: new Map(), benign: new Set(), excluded: 'no record is labeled and no README statement is coded for it' };
  }
  if (entry.excluded !== undefined || entry.rules === undefined) {
    return { malicious: new Map(), benign: new Set(), excluded: `${entry.excluded ?? 'no rule'} (${quoted(entry.evidence)})` };
  }
  const rules = entry.rules(flows);
  const entities = new EntityCollector();
  const seen = new Set<string>();
  for (const flow of flows) {
    if (flow.orig) seen.add(flow.orig);
    if (flow.resp) seen.add(flow.resp);
    for (const rule of rules) {
      if (!rule.match(flow)) continue;
      if (rule.orig) entities.add(flow.orig, rule.orig, flow.key, rule.evidence);
      if (rule.resp) entities.add(flow.resp, rule.resp, flow.key, rule.evidence);
    }
  }
  const malicious = entities.result(`${quoted(entry.evidence)}; `);
  // The README describes the malicious traffic of the capture completely: every other address is benign.
  return { malicious, benign: new Set([...seen].filter((ip) => !malicious.has(ip))) };
}

/** The ground truth of one scenario folder. */
export function scenarioTruth(dir: string): ScenarioTruth {
  const root = resolve(dir);
  const scenario = basename(root);
  const files = scenarioFiles(root);
  // Only the README rules read a record's other fields; a labeled capture of millions of flows keeps its flows alone.
  const keepFields = Object.prototype.hasOwnProperty.call(README_TRUTH, scenario);
  const flows: Flow[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const file of files) {
    let index = 0;
    forEachZeekRecord(file, (r) => {
      const ts = r.fields.ts;
      if (typeof ts === 'number') {
        if (ts < first) first = ts;
        if (ts > last) last = ts;
      }
      flows.push(toFlow(r, file, index++, keepFields));
    });
  }
  const labeled = flows.some((f) => f.label === 'Malicious' || f.label === 'Benign' || f.label === 'Background');
  const derived = labeled ? truthFromLabels(root, flows) : truthFromReadme(scenario, flows);
  const [start, end] = first <= last ? [first, last] : [NaN, NaN];
  const span = Number.isFinite(end - start) ? (end - start) / SECONDS_PER_DAY : 0;
  const truth: ScenarioTruth = {
    scenario,
    files,
    malicious: derived.malicious,
    benign: derived.benign,
    start,
    end,
    days: Math.max(span, MIN_DAYS),
    source: labeled ? 'labels' : 'readme',
  };
  if (derived.excluded !== undefined) truth.excluded = derived.excluded;
  return truth;
}
