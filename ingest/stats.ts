/** Counters of one ingest run, reported as the `--json` summary line and mirrored in the Prometheus metrics. */
export interface LogTypeStats {
  lines: number;
  indexed: number;
  duplicates: number;
  deadLettered: number;
}

export interface IngestSummary {
  linesRead: number;
  /** Documents Elasticsearch created in this run. */
  documentsIndexed: number;
  /** Documents already present with the same id (a replay): not written twice. */
  duplicates: number;
  deadLettered: number;
  headersSkipped: number;
  /** Log files the run found in its paths, read before or not. */
  filesFound: number;
  filesRead: number;
  retries: number;
  perLogType: Record<string, LogTypeStats>;
  seconds: number;
  /** Peak resident memory of this process so far, in MB. */
  peakRssMb: number;
}

export class IngestStats {
  linesRead = 0;
  documentsIndexed = 0;
  duplicates = 0;
  deadLettered = 0;
  headersSkipped = 0;
  retries = 0;
  filesFound = 0;
  filesRead = 0;
  private readonly byType = new Map<string, LogTypeStats>();
  private readonly started = process.hrtime.bigint();

  logType(name: string): LogTypeStats {
    let s = this.byType.get(name);
    if (!s) this.byType.set(name, (s = { lines: 0, indexed: 0, duplicates: 0, deadLettered: 0 }));
    return s;
  }

  summary(): IngestSummary {
    const perLogType: Record<string, LogTypeStats> = {};
    for (const name of [...this.byType.keys()].sort()) perLogType[name] = { ...this.byType.get(name)! };
    return {
      linesRead: this.linesRead,
      documentsIndexed: this.documentsIndexed,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered,
      headersSkipped: this.headersSkipped,
      filesFound: this.filesFound,
      filesRead: this.filesRead,
      retries: this.retries,
      perLogType,
      seconds: Math.round(Number(process.hrtime.bigint() - this.started) / 1e6) / 1e3,
      // maxRSS is in kilobytes.
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  }
}
