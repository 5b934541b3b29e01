import { SingleBar, Presets } from 'cli-progress';

export interface ProgressSource {
  progress(): { bytesRead: number; bytesTotal: number; files: number };
}

/** A progress bar on stderr for `--once` runs on a terminal: bytes read of the bytes known, and files. */
export function startProgress(source: ProgressSource): { stop(): void } {
  const bar = new SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} MiB | {files} files | {eta_formatted} left', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
  let p = source.progress();
  bar.start(mib(p.bytesTotal), mib(p.bytesRead), { files: p.files });
  const timer = setInterval(() => {
    p = source.progress();
    bar.setTotal(mib(p.bytesTotal));
    bar.update(mib(p.bytesRead), { files: p.files });
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      p = source.progress();
      bar.update(mib(p.bytesRead), { files: p.files });
      bar.stop();
    },
  };
}
