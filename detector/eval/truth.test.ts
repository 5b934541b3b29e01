/**
 * The truth of every Stratosphere scenario, checked against counts made here by a different method: the log text is
 * split on tabs (or searched as JSON text) and the label columns read directly, without the Zeek parser, the role
 * rule tables or the entity collector of `truth.ts`.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { dataLines, filesBelow, joinLastColumns, LABELED_CORPUS, readLog } from '../../test/support/corpus';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { type Scratch, scratchDir } from '../../ingest/source/file/files.fixture';
import { labelRule, MIN_DAYS, scenarioFolders, scenarioTruth, type Role, type ScenarioTruth } from './truth';

const SETS = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const SCENARIOS = [
  '001-zeek-scenario-malicious',
  '002-zeek-scenario-port-scanning',
  '003-zeek-scenario-malicious',
  '004-zeek-scenario-ssh',
  '005-zeek-scenario-malicious',
  '006-zeek-scenario-ssh',
  '007-zeek-scenario-ssh-infected',
  '008-zeek-mixed',
  '009-zeek-malicious',
  '010-zeek-mixed',
  '011-zeek-mixed',
  '012-zeek-mixed',
];
const MIXED = ['008-zeek-mixed', '010-zeek-mixed', '011-zeek-mixed', '012-zeek-mixed'];

/** A TSV log as rows of named columns, read from its `#fields` line. */
function tsvRows(file: string): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = [];
  let names: string[] = [];
  for (const line of readLog(file).toString('utf8').split('\n')) {
    if (line.startsWith('#fields\t')) names = line.slice('#fields\t'.length).split('\t');
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split('\t');
    rows.push(Object.fromEntries(names.map((n, i) => [n, cells[i]])));
  }
  return rows;
}

/** Address to the set of uids it appears in, for the rows given, on one side. */
function uidsBy(rows: Array<Record<string, string>>, side: 'id.orig_h' | 'id.resp_h'): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    const ip = row[side];
    if (ip === undefined || ip === '-') continue;
    if (!out.has(ip)) out.set(ip, new Set());
    out.get(ip)!.add(row.uid);
  }
  return out;
}

function flowCounts(uids: Map<string, Set<string>>): Map<string, number> {
  return new Map([...uids].map(([ip, set]) => [ip, set.size]));
}

/**
 * 001's labeled conn log as IoT-23 writes its logs: the last three columns joined by three spaces in #fields, #types
 * and every line, the detail column named `detailed-label`, an empty detail unset, and `CC` spelled `C&C`.
 */
function iot23Layout001(): string {
  return readLog(join(SETS, '001-zeek-scenario-malicious', 'labeled-conn.log'))
    .toString('utf8')
    .split('\n')
    .map((line) => {
      if (line.startsWith('#fields\t')) return line.replace(/\tdetailedlabel$/, '\tdetailed-label');
      if (line === '' || line.startsWith('#')) return line;
      return line.replace(/\t\(empty\)$/, '\t-').replace(/\tCC$/, '\tC&C');
    })
    .map((line) => joinLastColumns(line, 3))
    .join('\n');
}

const scratches: Scratch[] = [];
afterAll(() => {
  for (const s of scratches.splice(0)) s.remove();
});

/** An empty scenario folder of the given name, removed when the tests end. */
function scratch(name: string): string {
  const parent = scratchDir();
  scratches.push(parent);
  const dir = parent.path(name);
  mkdirSync(dir);
  return dir;
}

function roleFlows(truth: ScenarioTruth, role: Role): Map<string, number> {
  return new Map([...truth.malicious].filter(([, e]) => e.role === role).map(([ip, e]) => [ip, e.flows]));
}

const sorted = <T>(m: Map<string, T>): Array<[string, T]> => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

/** Earliest and latest `ts` of a file, read from the text: the first TSV column, or the JSON `ts` key. */
function tsRange(file: string): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of readLog(file).toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const ts = line.startsWith('{') ? Number(/"ts":([-0-9.eE+]+)/.exec(line)?.[1]) : Number(line.split('\t')[0]);
    if (!Number.isFinite(ts)) continue;
    lo = Math.min(lo, ts);
    hi = Math.max(hi, ts);
  }
  return [lo, hi];
}

const readme = (scenario: string): string => readFileSync(join(SETS, scenario, 'README.md'), 'utf8').replace(/\s+/g, ' ');

const truths = new Map<string, ScenarioTruth>();
beforeAll(() => {
  for (const s of SCENARIOS) truths.set(s, scenarioTruth(join(SETS, s)));
});
const truth = (s: string): ScenarioTruth => truths.get(s)!;

describe('scenarioTruth: files and time', () => {
  it('replays labeled-conn.log alone for 001, as conn.log holds the same flows without labels', () => {
    expect(truth('001-zeek-scenario-malicious').files).toEqual([join(SETS, '001-zeek-scenario-malicious', 'labeled-conn.log')]);
    // The two files hold the same flows: same uids in the same order.
    const uids = (f: string): string[] => tsvRows(join(SETS, '001-zeek-scenario-malicious', f)).map((r) => r.uid);
    expect(uids('labeled-conn.log')).toEqual(uids('conn.log'));
  });

  it('replays every Zeek log of the other scenarios, by absolute path, and reads every line of them', () => {
    for (const s of SCENARIOS.filter((x) => !x.startsWith('001'))) {
      const expected = filesBelow(join(SETS, s)).filter((f) => !/README\.md$|labels\.config$/.test(f));
      expect(truth(s).files).toEqual(expected);
      for (const file of truth(s).files) {
        expect(isAbsolute(file)).toBe(true);
        expect(readZeekFile(file)).toHaveLength(dataLines(readLog(file)));
      }
    }
  });

  it('spans from the first to the last record, in days with a floor', () => {
    for (const s of SCENARIOS) {
      const t = truth(s);
      const ranges = t.files.map(tsRange);
      const start = Math.min(...ranges.map((r) => r[0]));
      const end = Math.max(...ranges.map((r) => r[1]));
      expect([t.start, t.end]).toEqual([start, end]);
      expect(t.days).toBeCloseTo(Math.max((end - start) / 86_400, MIN_DAYS), 9);
    }
  });

  it('counts a 50-minute capture as its fraction of a day and the 24-hour captures as a day', () => {
    // 001 is the first 1,000 lines of a capture: 50 minutes.
    expect(truth('001-zeek-scenario-malicious').days * 24 * 60).toBeGreaterThan(45);
    expect(truth('001-zeek-scenario-malicious').days * 24 * 60).toBeLessThan(55);
    // The READMEs call 009-012 complete days (24hs).
    for (const s of ['009-zeek-malicious', '010-zeek-mixed', '011-zeek-mixed', '012-zeek-mixed']) {
      expect(readme(s)).toMatch(/24hs/);
      expect(Math.abs(truth(s).days - 1)).toBeLessThan(0.01);
    }
    // 008 is also a 24-hour day, but its conn.log holds a connection that began four hours before the day.
    expect(truth('008-zeek-mixed').days).toBeGreaterThanOrEqual(1);
  });
});

describe('scenarioTruth: from labels', () => {
  it('001: the NjRAT bot and its command-and-control servers, from the CC labels', () => {
    const t = truth('001-zeek-scenario-malicious');
    const rows = tsvRows(t.files[0]);
    const bad = rows.filter((r) => r.label === 'Malicious');
    expect(new Set(bad.map((r) => r.detailedlabel))).toEqual(new Set(['CC']));
    expect(t.source).toBe('labels');
    expect(sorted(roleFlows(t, 'infected'))).toEqual(sorted(flowCounts(uidsBy(bad, 'id.orig_h'))));
    expect(sorted(roleFlows(t, 'c2'))).toEqual(sorted(flowCounts(uidsBy(bad, 'id.resp_h'))));
    expect(t.malicious.size).toBe(roleFlows(t, 'infected').size + roleFlows(t, 'c2').size);
    // The README's own count of malicious flows: each has one bot and one server.
    const malicious = Number(/(\d+) Malicious/.exec(readme('001-zeek-scenario-malicious'))![1]);
    const sum = (role: Role): number => [...roleFlows(t, role).values()].reduce((a, b) => a + b, 0);
    expect(sum('infected')).toBe(malicious);
    expect(sum('c2')).toBe(malicious);
  });

  it.each(MIXED)('%s: attackers of the monitored device named by labels.config', (s) => {
    const t = truth(s);
    const config = readFileSync(join(SETS, s, 'labels.config'), 'utf8');
    const device = /Malicious, External-Attack-to-Device:\s*\n\s*- dstIP=([0-9.]+)/.exec(config)![1];
    const bad = t.files.flatMap(tsvRows).filter((r) => r.label === 'Malicious' && r['id.orig_h'] !== undefined);
    expect(new Set(bad.map((r) => r.detailedlabel))).toEqual(new Set(['External-Attack-to-Device']));
    expect(t.source).toBe('labels');
    expect(sorted(roleFlows(t, 'victim'))).toEqual([[device, new Set(bad.map((r) => r.uid)).size]]);
    expect(sorted(roleFlows(t, 'attacker'))).toEqual(sorted(flowCounts(uidsBy(bad, 'id.orig_h'))));
    expect(t.malicious.size).toBe(roleFlows(t, 'attacker').size + 1);
    expect(t.malicious.get(device)!.evidence).toContain(`labels.config: "dstIP=${device}"`);
  });

  it('009: the infected Windows computer and the servers of its http and ssl connections', () => {
    const s = '009-zeek-malicious';
    const t = truth(s);
    const config = readFileSync(join(SETS, s, 'labels.config'), 'utf8');
    const infected = /\nMalicious:\s*\n\s*- srcIP=([0-9.]+)/.exec(config)![1];
    const rows = (name: string): Array<Record<string, string>> =>
      tsvRows(join(SETS, s, 'data', `${name}.log.labeled`)).filter((r) => r.label === 'Malicious');
    const bad = t.files.flatMap(tsvRows).filter((r) => r.label === 'Malicious' && r['id.orig_h'] !== undefined && r['id.orig_h'] !== '-');
    expect(new Set(bad.map((r) => r['id.orig_h']))).toEqual(new Set([infected]));
    expect(sorted(roleFlows(t, 'infected'))).toEqual([[infected, new Set(bad.map((r) => r.uid)).size]]);
    expect(sorted(roleFlows(t, 'c2'))).toEqual(sorted(flowCounts(uidsBy([...rows('http'), ...rows('ssl')], 'id.resp_h'))));
    // The resolver of its dns queries is not taken for a malicious server.
    for (const r of rows('dns')) expect(t.malicious.has(r['id.resp_h'])).toBe(false);
  });

  it('reads a capture laid out as IoT-23 writes it, with its C&C label, as the same truth', () => {
    const dir = scratch('001-iot23-layout');
    writeFileSync(join(dir, 'conn.log.labeled'), iot23Layout001());
    const iot = scenarioTruth(dir);
    const ctu = truth('001-zeek-scenario-malicious');
    expect(iot.source).toBe('labels');
    expect(iot.excluded).toBeUndefined();
    expect(sorted(roleFlows(iot, 'infected'))).toEqual(sorted(roleFlows(ctu, 'infected')));
    expect(sorted(roleFlows(iot, 'c2'))).toEqual(sorted(roleFlows(ctu, 'c2')));
    expect(iot.malicious.size).toBe(ctu.malicious.size);
    expect([...iot.benign].sort()).toEqual([...ctu.benign].sort());
    expect(iot.malicious.get('41.108.179.197')!.evidence).toContain('C&C (IoT-23)');
  });

  it('takes a server the labels.config names by its address as malicious, whatever the log of its flows', () => {
    // 009 with one more condition under its plain Malicious label: an address its flows outside http and ssl reach,
    // as a capture names its bot's server (`dstIP=...`) beside the bot's own address.
    const s = '009-zeek-malicious';
    const dir = scratch(s);
    mkdirSync(join(dir, 'data'));
    for (const f of readdirSync(join(SETS, s, 'data'))) copyFileSync(join(SETS, s, 'data', f), join(dir, 'data', f));
    const before = truth(s);
    const plain = before.files.flatMap(tsvRows).filter((r) => r.label === 'Malicious' && r.detailedlabel === '(empty)');
    const server = plain.map((r) => r['id.resp_h']).find((ip) => ip !== undefined && ip !== '-' && !before.malicious.has(ip))!;
    expect(server).toBeDefined();
    const config = readFileSync(join(SETS, s, 'labels.config'), 'utf8');
    writeFileSync(join(dir, 'labels.config'), config.replace(/(\nMalicious:\s*\n(\s*- )srcIP=[0-9.]+\n)/, `$1$2dstIP=${server}\n`));
    const after = scenarioTruth(dir);
    expect(after.excluded).toBeUndefined();
    expect(after.malicious.get(server)).toMatchObject({ role: 'c2' });
    expect(after.malicious.get(server)!.evidence).toContain(`"dstIP=${server}"`);
    // Nothing else changes.
    const others = new Map([...after.malicious].filter(([ip]) => ip !== server));
    expect(sorted(new Map([...others].map(([ip, e]) => [ip, `${e.role}/${e.flows}`])))).toEqual(
      sorted(new Map([...before.malicious].map(([ip, e]) => [ip, `${e.role}/${e.flows}`]))),
    );
  });

  it('lists as benign the addresses of Benign flows that are no malicious entity', () => {
    for (const s of ['001-zeek-scenario-malicious', '008-zeek-mixed', '009-zeek-malicious', '010-zeek-mixed', '011-zeek-mixed', '012-zeek-mixed']) {
      const t = truth(s);
      const ips = new Set<string>();
      for (const r of t.files.flatMap(tsvRows)) {
        if (r.label !== 'Benign') continue;
        for (const ip of [r['id.orig_h'], r['id.resp_h']]) if (ip !== undefined && ip !== '-') ips.add(ip);
      }
      expect([...t.benign].sort()).toEqual([...ips].filter((ip) => !t.malicious.has(ip)).sort());
    }
  });
});

describe('scenarioFolders', () => {
  it('finds the folders of the corpus, in order, and keeps those the prefixes name', () => {
    expect(scenarioFolders(SETS)).toEqual(SCENARIOS.map((s) => join(SETS, s)));
    expect(scenarioFolders(SETS, ['01', '002'])).toEqual(['002-zeek-scenario-port-scanning', '010-zeek-mixed', '011-zeek-mixed', '012-zeek-mixed'].map((s) => join(SETS, s)));
  });

  it('takes a folder named as IoT-23 names its captures, with its logs below, and leaves folders without a log', () => {
    const corpus = scratch('corpus');
    const capture = join(corpus, 'CTU-IoT-Malware-Capture-34-1');
    mkdirSync(join(capture, 'bro'), { recursive: true });
    writeFileSync(join(capture, 'bro', 'conn.log.labeled'), iot23Layout001());
    mkdirSync(join(corpus, 'notes'));
    writeFileSync(join(corpus, 'notes', 'README.md'), readme('001-zeek-scenario-malicious'));
    mkdirSync(join(corpus, '.cache'));
    copyFileSync(join(SETS, '001-zeek-scenario-malicious', 'conn.log'), join(corpus, '.cache', 'conn.log'));
    expect(scenarioFolders(corpus)).toEqual([capture]);
    const t = scenarioTruth(capture);
    expect(t.scenario).toBe('CTU-IoT-Malware-Capture-34-1');
    expect(t.source).toBe('labels');
    expect(roleFlows(t, 'c2').size).toBe(roleFlows(truth('001-zeek-scenario-malicious'), 'c2').size);
  });
});

describe('labelRule', () => {
  it.each([
    ['CC', 'infected', 'c2'],
    ['CC-with-MITM-from-analysts', 'infected', 'c2'],
    ['DNS', 'infected', undefined],
    ['C&C', 'infected', 'c2'],
    ['C&C-HeartBeat-FileDownload', 'infected', 'c2'],
    ['C&C-Torii', 'infected', 'c2'],
    ['FileDownload', 'infected', 'c2'],
    ['PartOfAHorizontalPortScan', 'scanner', 'victim'],
    ['PartOfAHorizontalPortScan-Attack', 'attacker', 'victim'],
    ['DDoS', 'attacker', 'victim'],
    ['Okiru', 'infected', undefined],
    ['Torii', 'infected', undefined],
    ['Okiru-Attack', 'attacker', 'victim'],
    ['C&C-PartOfAHorizontalPortScan', 'infected', undefined],
    ['C&C-HeartBeat-Attack', 'attacker', undefined],
  ])('%s: the originator is %s, the responder %s', (detail, orig, resp) => {
    const rule = labelRule(detail)!;
    expect(rule).toBeDefined();
    expect(rule.orig).toBe(orig);
    expect(rule.resp).toBe(resp);
  });

  it('has no rule for a label it does not know, alone or among known ones', () => {
    for (const detail of ['Spam', 'C&C-Spam', 'HeartBeat-', 'Malware-Download']) expect(labelRule(detail)).toBeUndefined();
  });
});

describe('scenarioTruth: from the README', () => {
  it('002: the Nmap scanner the README names, in every connection it opens', () => {
    const t = truth('002-zeek-scenario-port-scanning');
    expect(t.source).toBe('readme');
    const lines = readLog(t.files[0]).toString('utf8').split('\n');
    const opened = lines.filter((l) => l.includes('"id.orig_h":"172.16.1.11"')).length;
    expect(sorted(roleFlows(t, 'scanner'))).toEqual([['172.16.1.11', opened]]);
    expect(t.malicious.size).toBe(1);
    expect(t.benign.has('172.16.1.11')).toBe(false);
  });

  it('003: both ends of the connections to 1337/tcp', () => {
    const t = truth('003-zeek-scenario-malicious');
    const rat = tsvRows(join(SETS, '003-zeek-scenario-malicious', 'conn.log')).filter((r) => r['id.resp_p'] === '1337' && r.proto === 'tcp');
    expect(rat.length).toBeGreaterThan(0);
    expect(sorted(roleFlows(t, 'infected'))).toEqual(sorted(flowCounts(uidsBy(rat, 'id.orig_h'))));
    expect(sorted(roleFlows(t, 'c2'))).toEqual(sorted(flowCounts(uidsBy(rat, 'id.resp_h'))));
    expect(t.malicious.size).toBe(2);
  });

  it('005: the Simda bot, by its requests to generated names and its lookups of them', () => {
    const dir = join(SETS, '005-zeek-scenario-malicious');
    const t = truth('005-zeek-scenario-malicious');
    const http = tsvRows(join(dir, 'http.log'));
    // What the rule relies on: every request of this http.log asks for a generated .com name with the forged referrer.
    for (const r of http) {
      expect(r.host).toMatch(/^(ww\d+\.)?[a-z]{7}\.com$/);
      expect(r.referrer).toBe('http://www.google.com');
    }
    const names = new Set(http.map((r) => r.host));
    const lookups = tsvRows(join(dir, 'dns.log')).filter((r) => names.has(r.query));
    const bots = uidsBy([...http, ...lookups], 'id.orig_h');
    expect(sorted(roleFlows(t, 'infected'))).toEqual(sorted(flowCounts(bots)));
    expect(sorted(roleFlows(t, 'c2'))).toEqual(sorted(flowCounts(uidsBy(http, 'id.resp_h'))));
    // The IPv4 address asks over http, the IPv6 one resolves: the same computer seen twice.
    expect(bots.size).toBe(2);
  });

  it('quotes the README sentence of every entity it derives from one', () => {
    for (const s of ['002-zeek-scenario-port-scanning', '003-zeek-scenario-malicious', '005-zeek-scenario-malicious']) {
      const text = readme(s);
      for (const [, entity] of truth(s).malicious) {
        const quotes = [...entity.evidence.matchAll(/README: "([^"]+)"/g)].map((m) => m[1]);
        expect(quotes.length).toBeGreaterThan(0);
        for (const q of quotes) expect(text).toContain(q);
      }
    }
  });

  it.each(['004-zeek-scenario-ssh', '006-zeek-scenario-ssh', '007-zeek-scenario-ssh-infected'])(
    '%s: excluded with its reason, as its README names nothing malicious',
    (s) => {
      const t = truth(s);
      expect(t.source).toBe('readme');
      expect(t.excluded).toMatch(/names no/);
      for (const q of [...t.excluded!.matchAll(/README: "([^"]+)"/g)].map((m) => m[1])) expect(readme(s)).toContain(q);
      expect(t.malicious.size).toBe(0);
      expect(t.files.length).toBeGreaterThan(0);
    },
  );

  it('keeps malicious and benign apart and scores the other scenarios', () => {
    for (const s of SCENARIOS) {
      const t = truth(s);
      for (const ip of t.benign) expect(t.malicious.has(ip)).toBe(false);
      if (!['004', '006', '007'].includes(s.slice(0, 3))) {
        expect(t.excluded).toBeUndefined();
        expect(t.malicious.size).toBeGreaterThan(0);
      }
    }
  });
});
