import { join } from 'node:path';
import { LABELED_CORPUS, ZEEK_CORPUS, readLog } from '../../../test/support/corpus';
import { ZeekJsonParser } from './json';
import type { ParseOutcome, ZeekRecord } from './record';

const BASELINE = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
const LOGGING = (name: string): string => join(BASELINE, `scripts.base.frameworks.logging.${name}`);
const ZED_JSON = join(ZEEK_CORPUS, 'zed-sample-data/zeek-json');

function linesOf(file: string): Buffer[] {
  const text = readLog(file).toString('latin1');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => Buffer.from(line, 'latin1'));
}

function parseAll(lines: Buffer[], parser = new ZeekJsonParser('hint')): ParseOutcome[] {
  return lines.map((line) => parser.parseLine(line));
}

function recordsOf(outcomes: ParseOutcome[]): ZeekRecord[] {
  return outcomes.flatMap((o) => (o.kind === 'record' ? [o.record] : []));
}

describe('ZeekJsonParser', () => {
  it('reads ts written as epoch seconds, milliseconds, wrapped unsigned milliseconds or ISO 8601', () => {
    const formats = ['ts_epoch', 'ts_millis', 'ts_millis_unsigned', 'ts_iso8601'];
    for (const format of formats) {
      const outcomes = parseAll(linesOf(join(LOGGING('ascii-negative-ts'), `test.log.${format}`)));
      expect(outcomes[0]).toEqual({ kind: 'header' });
      // All four files hold 1960-01-01T00:00:00Z.
      expect(recordsOf(outcomes).map((r) => r.fields.ts)).toEqual([Date.UTC(1960, 0, 1) / 1000]);
    }
  });

  it('converts ISO ts and _write_ts to epoch seconds, keeps _path as a field and takes the path from it', () => {
    const [record] = recordsOf(parseAll(linesOf(join(ZED_JSON, 'dns.json.gz')).slice(0, 1), new ZeekJsonParser('other')));
    expect(record.path).toBe('dns');
    expect(record.fields._path).toBe('dns');
    expect(record.fields.ts).toBeCloseTo(Date.UTC(2018, 2, 24, 17, 15, 20) / 1000 + 0.865716, 6);
    expect(record.fields._write_ts).toBeCloseTo(Date.UTC(2018, 2, 24, 17, 15, 20) / 1000 + 0.866586, 6);
    expect(record.fields.answers).toEqual(['ise.wrccdc.cpp.edu', '134.71.3.16']);
    expect(record.types).toBeUndefined();
  });

  it('leaves other time fields as JSON gave them', () => {
    const records = recordsOf(parseAll(linesOf(join(LOGGING('ascii-json-iso-timestamps'), 'ssh.log'))));
    expect(records[0].fields).toEqual({ t: '2008-07-09T16:13:30.005432Z' });
  });

  it('uses the file name hint when there is no _path and reads epoch seconds as they are', () => {
    const file = join(LABELED_CORPUS, 'stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log');
    const [record] = recordsOf(parseAll(linesOf(file).slice(0, 1), new ZeekJsonParser('conn')));
    expect(record.path).toBe('conn');
    expect(record.fields.ts).toBe(1664462456.755299);
    expect(record.fields['id.orig_h']).toBe('172.16.1.11');
  });

  it('leaves null fields and null vector elements out', () => {
    const [record] = recordsOf(parseAll(linesOf(join(LOGGING('ascii-json-optional'), 'testing_nullfields.log'))));
    expect(record.fields).toEqual({ msg: 'Testing 1 2 3 ' });
    // btest masks the time with text that is not JSON; with a time put back the line is Zeek's own.
    const line = linesOf(join(LOGGING('ascii-json'), 'ssh.log'))[1].toString().replace('XXXXXXXXXX.XXXXXX', '1.5');
    const [types] = recordsOf(parseAll([Buffer.from(line)]));
    expect(types.fields.vn).toEqual([0, 2]);
    expect(types.fields.se).toEqual([]);
    expect(types.fields.i).toBe(-42);
    expect(types.fields.t).toBe(1.5);
  });

  it('flattens nested objects to the dotted names Zeek uses', () => {
    const lines = linesOf(join(ZED_JSON, 'ssl.json.gz')).slice(0, 50);
    const flat = recordsOf(parseAll(lines));
    // The same lines with their dotted names nested, as some shippers write them.
    const nestedLines = lines.map((line) => {
      const nested: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(JSON.parse(line.toString()) as Record<string, unknown>)) {
        const parts = key.split('.');
        let at = nested;
        for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
        at[parts[parts.length - 1]] = value;
      }
      return Buffer.from(JSON.stringify(nested));
    });
    expect(nestedLines[0].toString()).toContain('"id":{"orig_h"');
    const unnested = recordsOf(parseAll(nestedLines));
    expect(unnested).toEqual(flat);
  });

  it('keeps a field named __proto__ as a field when it rebuilds the field map', () => {
    const [line] = linesOf(join(ZED_JSON, 'dns.json.gz'));
    // A real line with a null (which makes the parser rebuild the map) and its uid renamed.
    const renamed = line.toString().replace('"uid":', '"__proto__":').replace('"rejected":false', '"rejected":null');
    const [record] = recordsOf(parseAll([Buffer.from(renamed)]));
    expect(Object.getPrototypeOf(record.fields)).toBe(Object.prototype);
    expect(Object.keys(record.fields)).toContain('__proto__');
    expect('rejected' in record.fields).toBe(false);
  });

  it('treats blank and # lines as headers and fails what is not a JSON object with the reason', () => {
    const masked = parseAll(linesOf(join(LOGGING('json-non-printable-escaping'), 'http.log.json')));
    expect(masked[0]).toEqual({ kind: 'header' });
    // btest's masked time is not JSON.
    for (const outcome of masked.slice(1)) {
      expect(outcome).toMatchObject({ kind: 'error', reason: expect.stringMatching(/^invalid JSON: Unexpected token/) });
    }
    // The data lines of a TSV log of doubles are JSON numbers, except Zeek's `inf`, `-inf` and `nan`.
    const lines = linesOf(join(LOGGING('ascii-double'), 'test.log'));
    const outcomes = parseAll(lines);
    lines.forEach((line, i) => {
      const text = line.toString();
      if (text.startsWith('#')) expect(outcomes[i]).toEqual({ kind: 'header' });
      else if (['inf', '-inf', 'nan'].includes(text)) {
        expect(outcomes[i]).toMatchObject({ kind: 'error', reason: expect.stringMatching(/^invalid JSON: /) });
      } else expect(outcomes[i]).toEqual({ kind: 'error', reason: 'JSON line is not an object' });
    });
    expect(new ZeekJsonParser('x').parseLine(Buffer.alloc(0))).toEqual({ kind: 'header' });
  });

  it('has no header state', () => {
    const parser = new ZeekJsonParser('dns');
    parseAll(linesOf(join(ZED_JSON, 'dns.json.gz')).slice(0, 5), parser);
    expect(parser.headerLines()).toEqual([]);
  });
});
