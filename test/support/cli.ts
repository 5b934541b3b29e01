import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(__dirname, '..', '..', 'bin', 'vigil.js');

export interface VigilRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real `vigil` command (the built one, as users run it) with extra environment. */
export function startVigil(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams & { output: Promise<VigilRun> } {
  // Run as users run it: the file itself, so that its interpreter line (with its heap cap) applies.
  const child = spawn(BIN, args, {
    env: { ...process.env, VIGIL_CONFIG: '', VIGIL_LOG_LEVEL: 'warn', ...env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const output = new Promise<VigilRun>((resolveRun) => child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr })));
  return Object.assign(child, { output });
}

export async function runVigil(args: string[], env: Record<string, string>): Promise<VigilRun> {
  return startVigil(args, env).output;
}

/** The last stdout line parsed as JSON: the `--json` summary. */
export function jsonSummary<T>(run: VigilRun): T {
  const last = run.stdout.trim().split('\n').pop();
  if (!last) throw new Error(`no JSON summary on stdout; stderr:\n${run.stderr}`);
  return JSON.parse(last) as T;
}
