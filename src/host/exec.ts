// The only module that may spawn processes. Commands are argv arrays run with execFile (never a shell);
// a non-zero exit outside okCodes becomes a HostCommandError carrying argv, exit code and trimmed stderr.
import { execFile, spawn } from 'node:child_process';
import { HostCommandError } from '../errors.ts';

export interface ExecResult { code: number; stdout: string; stderr: string }

export interface ExecOptions {
  /** exit codes treated as success (default [0]) */
  okCodes?: readonly number[];
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /**
   * an open file descriptor of this process the command gets as its fd 3 (e.g. `flock 3` locks our open file
   * description, and the lock stays with us after flock exits); every other fd of ours is close-on-exec
   */
  passFd?: number;
}

export interface Exec {
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
}

const MAX_STDERR = 2000;
const MAX_OUTPUT = 64 * 1024 * 1024;

export function createExec(defaults: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Exec {
  return {
    run(argv, opts = {}) {
      const [file, ...args] = argv;
      if (file === undefined || file === '') throw new HostCommandError('ERR_HOST_COMMAND', 'empty command');
      const okCodes = opts.okCodes ?? [0];
      const timeout = opts.timeoutMs ?? defaults.timeoutMs ?? 30_000;
      const env = opts.env ?? defaults.env ?? process.env;
      return new Promise<ExecResult>((resolve, reject) => {
        const failed = (e: NodeJS.ErrnoException & { killed?: boolean }) => reject(new HostCommandError('ERR_HOST_COMMAND',
          `${argv.join(' ')}: ${e.killed ? 'timed out' : e.message}`, { cause: e, details: { argv: [...argv] } }));
        const finish = (code: number, stdout: string, stderr: string) => {
          if (!okCodes.includes(code)) {
            reject(new HostCommandError('ERR_HOST_COMMAND',
              `${argv.join(' ')} exited ${code}: ${stderr.trim().slice(0, MAX_STDERR)}`,
              { details: { argv: [...argv], code, stderr: stderr.trim().slice(0, MAX_STDERR) } }));
            return;
          }
          resolve({ code, stdout, stderr });
        };
        if (opts.passFd !== undefined) {
          // execFile does not hand extra fds to the child: spawn with a stdio array does
          const child = spawn(file, args, { env, timeout, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', opts.passFd] });
          let stdout = '';
          let stderr = '';
          child.stdout?.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < MAX_OUTPUT) stdout += d; });
          child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < MAX_OUTPUT) stderr += d; });
          child.once('error', failed);
          child.once('close', (code, signal) => {
            if (code === null) failed(Object.assign(new Error(`killed by ${signal ?? 'a signal'}`), { killed: signal === 'SIGTERM' }));
            else finish(code, stdout, stderr);
          });
          if (opts.input !== undefined) child.stdin?.end(opts.input);
          return;
        }
        const child = execFile(file, args, { timeout, env, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (err, stdout, stderr) => {
          const e = err as (Omit<NodeJS.ErrnoException, 'code'> & { code?: string | number; killed?: boolean }) | null;
          if (e === null) {
            finish(0, stdout, stderr);
          } else if (typeof e.code === 'number') {
            finish(e.code, stdout, stderr);
          } else {
            failed(e as NodeJS.ErrnoException & { killed?: boolean });
          }
        });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
      });
    },
  };
}

/** A long-running command fed lines on its stdin (logger(1), systemd-cat): the log sinks. */
export interface LineSink {
  write(line: string): void;
  /** end its stdin and wait for it to exit */
  close(): Promise<void>;
}

export interface LineSinkOptions {
  /** told once when the command exits or cannot start while we still write to it (stderr text, or the error) */
  onExit?(reason: string): void;
}

export function startLineSink(argv: readonly string[], opts: LineSinkOptions = {}): LineSink {
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new HostCommandError('ERR_HOST_COMMAND', 'empty command');
  const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  let done = false;
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < MAX_STDERR) stderr += d; });
  const exited = new Promise<void>((resolve) => {
    const finish = (reason: string) => {
      if (!done) { done = true; opts.onExit?.(reason); }
      resolve();
    };
    child.once('error', (e) => finish(`${argv.join(' ')}: ${e.message}`));
    child.once('close', (code, signal) => finish(`${argv.join(' ')} exited ${code ?? signal}: ${stderr.trim().slice(0, MAX_STDERR)}`));
  });
  child.stdin?.on('error', () => undefined); // EPIPE after the command died: reported through onExit
  return {
    write(line) { if (!done) child.stdin?.write(line); },
    async close() {
      done = true;
      child.stdin?.end();
      await exited;
    },
  };
}
