import { IngestStats } from '../../ingest/stats';
import { formatSummary, zeekLogNames } from './ingest';

function summary(counts: Partial<Pick<IngestStats, 'filesFound' | 'filesRead' | 'linesRead' | 'documentsIndexed'>>) {
  return Object.assign(new IngestStats(), counts).summary();
}

describe('formatSummary', () => {
  const where = { paths: ['/srv/zeek/2026-11-24'], logs: zeekLogNames(false) };

  it('says where it looked and what for when it found no log, and how to read subdirectories', () => {
    expect(formatSummary(summary({}), where)).toBe(
      'no log file found in /srv/zeek/2026-11-24: looked for Zeek logs named like conn.log, dns.json or conn.log.labeled, rotated and .gz copies included; subdirectories are searched with --recursive\n',
    );
    expect(zeekLogNames(true)).toMatch(/, subdirectories included$/);
  });

  it('says how many files it found when all of them were read before', () => {
    expect(formatSummary(summary({ filesFound: 11 }), where)).toMatch(/^nothing new to read: the 11 log files found were read before/);
    expect(formatSummary(summary({ filesFound: 1 }), where)).toMatch(/^nothing new to read: the one log file found was read before/);
  });

  it('says that nothing was read by a run without paths (a syslog receiver that received nothing)', () => {
    expect(formatSummary(summary({}), { paths: [], logs: 'mail logs' })).toBe('nothing was read\n');
  });

  it('counts lines, files and documents when it read something', () => {
    expect(formatSummary(summary({ filesFound: 2, filesRead: 2, linesRead: 10, documentsIndexed: 9 }), where)).toMatch(/^read 10 lines from 2 files in [0-9.]+ s: 9 documents indexed/);
  });
});
