import { spawn } from 'node:child_process';
import { LocalElasticsearchError } from '../../common/errors';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  /** Run as this user; libuv also drops the supplementary groups of the caller. */
  runAs?: RunAs | null;
  /** What the program is for, to tell the user what to install when it is missing. */
  missingHint?: string;
}

export interface CommandResult {
  code: number;
  output: string;
}

/** Runs a program to its end and returns its exit code with stdout and stderr interleaved as they came. */
export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      uid: options.runAs?.uid,
      gid: options.runAs?.gid,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const hint = options.missingHint ? ` ${options.missingHint}` : '';
        reject(new LocalElasticsearchError(`The program ${command} was not found.${hint}`, err, { command }));
      } else {
        reject(new LocalElasticsearchError(`The program ${command} could not be started: ${err.message}`, err, { command }));
      }
    });
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8') });
    });
    // A program that exits without reading its input makes the write fail with EPIPE; its exit code tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit is an error that carries the last lines the program printed. */
export async function runCommandOrThrow(
  command: string,
  args: string[],
  failure: string,
  options: CommandOptions = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new LocalElasticsearchError(`${failure} ${command} exited with code ${result.code}:\n${lastLines(result.output, 20)}`, undefined, {
      command,
      code: result.code,
    });
  }
  return result.output;
}

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}
