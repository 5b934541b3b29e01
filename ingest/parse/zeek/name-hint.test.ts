import { join } from 'node:path';
import { LABELED_CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { logTypeFromFileName } from './name-hint';

describe('logTypeFromFileName', () => {
  it('reads the path from the names Zeek, zeekctl and Stratosphere give logs', () => {
    expect(logTypeFromFileName('conn.log')).toBe('conn');
    expect(logTypeFromFileName('conn.2026-11-24-10-00-00.log.gz')).toBe('conn');
    expect(logTypeFromFileName('logs/2026-11-24/conn.10:00:00-11:00:00.log.gz')).toBe('conn');
    expect(logTypeFromFileName('dns.json.gz')).toBe('dns');
    expect(logTypeFromFileName('conn.log.labeled')).toBe('conn');
    expect(logTypeFromFileName('labeled-conn.log')).toBe('conn');
    expect(logTypeFromFileName('modbus_detailed.log')).toBe('modbus_detailed');
  });

  it('gives unknown for names that are not log names', () => {
    expect(logTypeFromFileName('out')).toBe('unknown');
    expect(logTypeFromFileName('output')).toBe('unknown');
    expect(logTypeFromFileName('.conn.log')).toBe('unknown');
  });

  it('agrees with the #path of every TSV log outside Zeek test baselines', () => {
    const files = [
      ...filesBelow(join(ZEEK_CORPUS, 'zed-sample-data/zeek-default')),
      ...filesBelow(join(ZEEK_CORPUS, 'icsnpp')),
      ...filesBelow(LABELED_CORPUS),
    ];
    let compared = 0;
    for (const file of files) {
      const path = /^#path\t(.*)$/m.exec(readLog(file).toString('utf8'))?.[1];
      if (path === undefined) continue;
      expect([file, logTypeFromFileName(file)]).toEqual([file, path]);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });
});
