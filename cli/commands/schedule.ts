import type { Client } from '@elastic/elasticsearch';
import { createTask } from 'node-cron';
import { PassRunningError } from '../../common/errors';
import type { Logger } from '../../common/log';

/** One kind of pass run by `--once` or on a cron schedule: the detection pass, the inventory pass. */
export interface ScheduledPass<T> {
  /** Task name, and the word for it in log lines ("detection pass", "inventory pass"). */
  name: string;
  what: string;
  /** What the log says when a scheduled pass fails: where the next one resumes. */
  resumes: string;
  run(): Promise<T>;
  print(summary: T): void;
}

/**
 * Runs the passes once (`--once`, errors propagate) or on the schedule until SIGINT or SIGTERM. node-cron's
 * `noOverlap` skips a tick while the previous passes still run; a lease in Elasticsearch stops passes of other
 * processes. Passes of one tick run in order, and one failing does not stop the next.
 */
export async function runPasses(options: { client: Client; log: Logger; schedule: string; once: boolean; passes: Array<ScheduledPass<any>> }): Promise<void> {
  const { client, log, passes } = options;
  if (options.once) {
    try {
      for (const pass of passes) pass.print(await pass.run());
    } finally {
      await client.close();
    }
    return;
  }
  const task = createTask(
    options.schedule,
    async () => {
      for (const pass of passes) {
        try {
          pass.print(await pass.run());
        } catch (err) {
          if (err instanceof PassRunningError) log.warn({ err: err.message }, `${pass.what} skipped`);
          else log.error({ err }, `${pass.what} failed; ${pass.resumes}`);
        }
      }
    },
    { name: `vigil-${passes.map((p) => p.name).join('-')}`, noOverlap: true },
  );
  log.info({ schedule: options.schedule, passes: passes.map((p) => p.name) }, 'passes scheduled');
  await task.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await task.stop();
  await client.close();
}
