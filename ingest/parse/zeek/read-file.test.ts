import { join } from 'node:path';
import { dataLines, readLog, ZEEK_CORPUS } from '../../../test/support/corpus';
import { readZeekFile } from './read-file';

const ZED = join(ZEEK_CORPUS, 'zed-sample-data');
const BTEST = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');

describe('readZeekFile', () => {
  it('reads a gzip TSV log and its gzip JSON twin into the same records, one per data line', () => {
    const tsv = readZeekFile(join(ZED, 'zeek-default/dns.log.gz'));
    const json = readZeekFile(join(ZED, 'zeek-json/dns.json.gz'));
    expect(tsv.length).toBe(dataLines(readLog(join(ZED, 'zeek-default/dns.log.gz'))));
    expect(json.length).toBe(tsv.length);
    expect(json.map((r) => r.fields.uid)).toEqual(tsv.map((r) => r.fields.uid));
    expect(tsv[0].path).toBe('dns');
  });

  it('restores the header of a log written without one, from its file name', () => {
    const file = join(ZEEK_CORPUS, 'icsnpp/icsnpp-modbus/testing/baseline/analyzer.basic/modbus.log');
    const records = readZeekFile(file);
    expect(records.length).toBe(dataLines(readLog(file)));
    expect(records[0].fields.func).toBe('READ_COILS');
    expect(records[0].fields['id.resp_p']).toBe(502);
  });

  it('reads a log with CRLF line ends without the carriage returns', () => {
    const [record, ...rest] = readZeekFile(join(BTEST, 'scripts.base.protocols.dns.edns-bad-length/weird.log'));
    expect(rest).toEqual([]);
    // The last column: a `\r` left on the line would end up in its name and value.
    expect(record.fields.source).toBe('DNS');
    expect(record.fields.name).toBe('EDNS_truncated_option');
  });
});
