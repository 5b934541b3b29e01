import { isUtf8 } from 'node:buffer';
import type { SourceLine } from '../../source/line';

export type DeadLetterStage = 'parse' | 'index' | 'source';

export interface DeadLetterInput {
  stage: DeadLetterStage;
  reason: string;
  /** Error code: a stable identifier users can filter on. */
  code: string;
  logType: string;
  /** Where the bytes came from; absent for errors not tied to one line (a file that could not be read). */
  line?: Pick<SourceLine, 'file' | 'offset' | 'end' | 'bytes'>;
  path?: string;
  targetIndex?: string;
  httpStatus?: number;
  sensor?: string;
}

/** Cap on the original bytes kept in one dead letter: enough for any log line, bounded for binary junk. */
const MAX_ORIGINAL_BYTES = 64 * 1024;

/** Builds the dead-letter document. The original is kept as text when it is UTF-8, and as base64 when not. */
export function deadLetterDocument(input: DeadLetterInput, now: string): Record<string, unknown> {
  const bytes = input.line?.bytes;
  const kept = bytes && bytes.length > MAX_ORIGINAL_BYTES ? bytes.subarray(0, MAX_ORIGINAL_BYTES) : bytes;
  const text = kept && isUtf8(kept);
  return {
    '@timestamp': now,
    event: { dataset: 'vigil.dead_letter', kind: 'pipeline_error', ingested: now },
    error: { type: input.stage, message: input.reason, code: input.code },
    ...(input.sensor ? { observer: { name: input.sensor } } : {}),
    log: {
      file: { path: input.line?.file.path ?? input.path },
      ...(input.line ? { offset: input.line.offset } : {}),
    },
    vigil: {
      dead_letter: {
        stage: input.stage,
        log_type: input.logType,
        ...(input.line ? { source_key: input.line.file.key, end_offset: input.line.end } : {}),
        ...(input.targetIndex ? { target_index: input.targetIndex } : {}),
        ...(input.httpStatus ? { http_status: input.httpStatus } : {}),
        ...(kept ? (text ? { original: kept.toString('utf8') } : { original_base64: kept.toString('base64') }) : {}),
        ...(bytes ? { original_bytes: bytes.length } : {}),
      },
    },
  };
}
