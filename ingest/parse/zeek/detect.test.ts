import { join } from 'node:path';
import { LABELED_CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { createZeekParser, ZeekLogParser } from './detect';
import { ZeekJsonParser } from './json';
import { ZeekTsvParser } from './tsv';

const ZED = join(ZEEK_CORPUS, 'zed-sample-data');

function firstLine(file: string, skipComments = false): Buffer {
  const lines = readLog(file).toString('latin1').split('\n');
  const line = skipComments ? lines.find((l) => !l.startsWith('#')) : lines[0];
  return Buffer.from(line as string, 'latin1');
}

describe('createZeekParser', () => {
  it('picks TSV for default Zeek logs and JSON for JSON logs, whatever the file is named', () => {
    for (const file of filesBelow(join(ZED, 'zeek-default'))) {
      expect(createZeekParser('x', firstLine(file))).toBeInstanceOf(ZeekTsvParser);
    }
    for (const file of filesBelow(join(ZED, 'zeek-json'))) {
      expect(createZeekParser('x', firstLine(file))).toBeInstanceOf(ZeekJsonParser);
    }
    // Stratosphere's JSON conn log is named conn.log.
    const conn = join(LABELED_CORPUS, 'stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log');
    expect(createZeekParser('conn', firstLine(conn))).toBeInstanceOf(ZeekJsonParser);
  });

  it('needs the first line that is not a comment for a file that starts with one', () => {
    const baseline = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
    const file = join(baseline, 'scripts.base.frameworks.logging.ascii-json/ssh.log');
    expect(createZeekParser('ssh', firstLine(file))).toBeInstanceOf(ZeekTsvParser);
    expect(createZeekParser('ssh', firstLine(file, true))).toBeInstanceOf(ZeekJsonParser);
  });
});

describe('ZeekLogParser', () => {
  const baseline = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');

  function parseAll(file: string) {
    const parser = new ZeekLogParser('ssh');
    return readLog(file)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => parser.parseLine(Buffer.from(l)));
  }

  it('reads a JSON log that starts with a comment as JSON', () => {
    const outcomes = parseAll(join(baseline, 'scripts.base.frameworks.logging.ascii-json-iso-timestamps/ssh.log'));
    expect(outcomes[0].kind).toBe('header');
    expect(outcomes.slice(1).every((o) => o.kind === 'record')).toBe(true);
    expect(outcomes.length).toBeGreaterThan(2);
  });

  it('hands the header lines it saw first to the TSV parser', () => {
    const file = join(ZED, 'zeek-default/modbus.log.gz');
    const outcomes = parseAll(file);
    const records = outcomes.filter((o) => o.kind === 'record');
    expect(outcomes.some((o) => o.kind === 'error')).toBe(false);
    expect(records.length).toBeGreaterThan(100);
    const first = records[0];
    expect(first.kind === 'record' && first.record.path).toBe('modbus');
    expect(first.kind === 'record' && typeof first.record.fields['id.orig_h']).toBe('string');
  });

  it('restores the header state it reports before the format is known', () => {
    const parser = new ZeekLogParser('modbus');
    const lines = readLog(join(ZED, 'zeek-default/modbus.log.gz')).toString('utf8').split('\n');
    const headers = lines.filter((l) => l.startsWith('#'));
    for (const h of headers) parser.parseLine(Buffer.from(h));
    const restored = new ZeekLogParser('modbus');
    for (const h of parser.headerLines()) restored.parseLine(h);
    const data = lines.find((l) => !l.startsWith('#'))!;
    expect(restored.parseLine(Buffer.from(data))).toEqual(parser.parseLine(Buffer.from(data)));
  });
});
