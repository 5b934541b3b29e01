import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs as JSON lines on stderr, so stdout stays free for command output such as the `--json` summary.
 * Messages are sentences; the facts go in fields.
 */
export function createLogger(level: string, name = 'vigil'): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
