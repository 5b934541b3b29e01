import { isIP } from 'node:net';
import { join, relative } from 'node:path';
import { ZEEK_CORPUS, dataLines, filesBelow, readLog } from '../../../test/support/corpus';
import { ZeekLogParser } from './detect';
import { knownSchema } from './known-schemas';
import { logTypeFromFileName } from './name-hint';
import type { ParseOutcome, ZeekRecord } from './record';

const ICSNPP = join(ZEEK_CORPUS, 'icsnpp');

function textLines(file: string): string[] {
  return readLog(file)
    .toString('utf8')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.length > 0);
}

/** Corpus TSV logs whose first data line comes before any `#fields` header, with that line's column count. */
function headerlessLogs(): { file: string; path: string; columns: number }[] {
  return filesBelow(ZEEK_CORPUS).flatMap((file) => {
    const lines = textLines(file);
    const first = lines.findIndex((line) => !line.startsWith('#'));
    if (first < 0 || lines[first].startsWith('{') || lines.slice(0, first).some((l) => l.startsWith('#fields'))) return [];
    return [{ file, path: logTypeFromFileName(file), columns: lines[first].split('\t').length }];
  });
}

function parse(file: string): ParseOutcome[] {
  const parser = new ZeekLogParser(logTypeFromFileName(file));
  return textLines(file).map((line) => parser.parseLine(Buffer.from(line)));
}

function recordsOf(file: string): ZeekRecord[] {
  return parse(file).flatMap((o) => (o.kind === 'record' ? [o.record] : []));
}

function icsnppLog(repository: string, test: string, log: string): string {
  const baseline = filesBelow(join(ICSNPP, repository)).find((f) => f.endsWith(`/${test}/${log}`));
  if (baseline === undefined) throw new Error(`no ${test}/${log} in ${repository}`);
  return baseline;
}

describe('ZeekLogParser on logs written without a header block', () => {
  const headerless = headerlessLogs();
  const known = headerless.filter((h) => knownSchema(h.path, h.columns) !== undefined);

  it('knows the schema of every header-less ICS log of the corpus but the zeek-cut projections of conn', () => {
    const icsLogs = headerless.filter((h) => h.file.startsWith(ICSNPP) && h.file.endsWith('.log') && h.path !== 'conn');
    expect(icsLogs.length).toBeGreaterThan(120);
    expect(icsLogs.filter((h) => !known.includes(h)).map((h) => relative(ZEEK_CORPUS, h.file))).toEqual([]);
  });

  it('reads every header-less corpus log of a known schema into records without a single error', () => {
    for (const { file } of known) {
      const outcomes = parse(file);
      const errors = outcomes.flatMap((o) => (o.kind === 'error' ? [o.reason] : []));
      expect([relative(ZEEK_CORPUS, file), errors]).toEqual([relative(ZEEK_CORPUS, file), []]);
      expect(outcomes.filter((o) => o.kind === 'record').length).toBe(dataLines(readLog(file)));
    }
  });

  it('puts addresses in address fields and ports in port fields', () => {
    let addresses = 0;
    for (const { file } of known) {
      for (const record of recordsOf(file)) {
        for (const [name, value] of Object.entries(record.fields)) {
          const type = record.types![name];
          if (type === 'addr') {
            expect([name, isIP(value as string)]).not.toEqual([name, 0]);
            addresses++;
          } else if (type === 'port') {
            expect(value as number).toBeLessThanOrEqual(65535);
          }
        }
      }
    }
    expect(addresses).toBeGreaterThan(10000);
  });

  it('reads the ENIP and CIP logs into the fields their values belong to', () => {
    const cip = recordsOf(icsnppLog('icsnpp-enip', 'analyzer.basic', 'cip.log'));
    expect(cip.length).toBe(1158);
    expect(cip[0].path).toBe('cip');
    expect(cip[0].fields).toMatchObject({
      'id.orig_h': '192.168.10.105',
      'id.resp_p': 44818,
      is_orig: true,
      cip_sequence_count: 1929,
      direction: 'request',
      cip_service_code: '0x0a',
      cip_service: 'Multiple Service Packet',
    });
    for (const { fields } of cip) {
      expect(['request', 'response']).toContain(fields.direction);
      expect(fields.cip_service_code).toMatch(/^0x[0-9a-f]{2}$/);
      expect(fields.cip_service).not.toMatch(/^0x/);
      if (fields.direction === 'request') expect(fields.cip_status).toBeUndefined();
      if (fields.class_id !== undefined) expect(fields.class_id).toMatch(/^0x[0-9a-f]+$/);
    }
    for (const { fields } of recordsOf(icsnppLog('icsnpp-enip', 'analyzer.basic', 'cip_io.log'))) {
      expect(fields.connection_id).toMatch(/^0x[0-9a-f]{8}$/);
      expect((fields.io_data as string).length).toBe((fields.data_length as number) * 2);
    }
    for (const { fields } of recordsOf(icsnppLog('icsnpp-enip', 'analyzer.basic', 'enip.log'))) {
      expect(fields.enip_command_code).toMatch(/^0x[0-9a-f]{2}$/);
      expect(fields.session_handle).toMatch(/^0x[0-9a-f]{8}$/);
      expect(typeof fields.length).toBe('number');
    }
    const [identity] = recordsOf(icsnppLog('icsnpp-enip', 'analyzer.basic', 'cip_identity.log'));
    expect(identity.fields).toMatchObject({ vendor_name: 'Rockwell Automation/Allen-Bradley', product_name: '1756-ENBT/A' });
    expect(identity.fields.revision).toMatch(/^\d+\.\d+$/);
    expect(isIP(identity.fields.socket_address as string)).toBe(4);
  });

  it('reads the OPC UA, HART-IP, PROFINET and Modbus logs into the fields their values belong to', () => {
    const opcua = recordsOf(icsnppLog('icsnpp-opcua-binary', 'analyzer.basic', 'opcua_binary.log'));
    for (const { fields } of opcua) {
      expect(['HEL', 'ACK', 'OPN', 'MSG', 'CLO', 'ERR']).toContain(fields.msg_type);
      if (fields.req_identifier_str !== undefined) expect(fields.req_identifier_str).toMatch(/Request$/);
      if (fields.res_identifier_str !== undefined) expect(fields.res_identifier_str).toMatch(/Response$/);
      if (fields.res_msg_size !== undefined) {
        expect(fields.total_size).toBe((fields.req_msg_size as number) + (fields.res_msg_size as number));
      }
    }
    expect(opcua.filter(({ fields }) => fields.res_msg_size !== undefined).length).toBeGreaterThan(10);

    const general = recordsOf(icsnppLog('icsnpp-hart-ip', 'tests.publish_and_keepAlive_messages', 'hart_ip_general.log'));
    expect(general.length).toBe(2590);
    for (const { fields } of general) {
      expect(['Request', 'Response', 'Publish']).toContain(fields.header_message_type_message_type);
      expect(fields.header_message_id).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(fields.header_status_code).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(typeof fields.header_sequence_number).toBe('number');
      expect(fields.proto).toBe('tcp');
    }

    const profinet = recordsOf(icsnppLog('icsnpp-profinet-io-cm', 'tests.profinet_io_cm', 'profinet_io_cm.log'));
    for (const { fields } of profinet) {
      // The test suite cut ts and uid from this log.
      expect(fields.ts).toBeUndefined();
      expect(['Little Endian', 'Big Endian']).toContain(fields.integer_encoding);
      expect(fields.activity_uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    }

    for (const { fields } of recordsOf(icsnppLog('icsnpp-modbus', 'analyzer.basic', 'modbus.log'))) {
      expect(fields.func).toMatch(/^[A-Z_]+$/);
      expect(fields['id.resp_p']).toBe(502);
    }
  });

  it('restores the block it synthesized, so a parser resumed mid-file reads on', () => {
    const lines = textLines(icsnppLog('icsnpp-enip', 'analyzer.basic', 'cip.log'));
    const data = lines.filter((line) => !line.startsWith('#'));
    const parser = new ZeekLogParser('cip');
    for (const line of lines.slice(0, lines.indexOf(data[0]) + 1)) parser.parseLine(Buffer.from(line));
    const headers = parser.headerLines().map((line) => line.toString());
    expect(headers[0]).toBe('#separator \\x09');
    expect(headers).toContain(`#fields\t${knownSchema('cip', 23)!.fields.join('\t')}`);

    const resumed = new ZeekLogParser('cip');
    for (const header of parser.headerLines()) expect(resumed.parseLine(header).kind).toBe('header');
    const next = Buffer.from(data[1]);
    const outcome = resumed.parseLine(next);
    expect(outcome.kind).toBe('record');
    expect(outcome).toEqual(parser.parseLine(next));
  });

  it('reports the lines of a header-less log it knows no schema for, as before', () => {
    const conn = icsnppLog('icsnpp-ethercat', 'analyzer.basic', 'conn.log');
    const outcomes = parse(conn).filter((o) => o.kind !== 'header');
    expect(outcomes.length).toBe(dataLines(readLog(conn)));
    expect(outcomes.every((o) => o.kind === 'error' && o.reason === 'data line before any #fields header')).toBe(true);
  });
});
