// The only module that may spawn processes. Commands are argv arrays run with execFile (never a shell);
// a non-zero exit outside okCodes becomes a HostCommandError carrying argv, exit code and trimmed stderr.
import { execFile } from 'node:child_process';
import { HostCommandError } from '../errors.ts';

export interface ExecResult { code: number; stdout: string; stderr: string }

export interface ExecOptions {
  /** exit codes treated as success (default [0]) */
  okCodes?: readonly number[];
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export interface Exec {
  run(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
}

const MAX_STDERR = 2000;

export function createExec(defaults: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Exec {
  return {
    run(argv, opts = {}) {
      const [file, ...args] = argv;
      if (file === undefined || file === '') throw new HostCommandError('ERR_HOST_COMMAND', 'empty command');
      const okCodes = opts.okCodes ?? [0];
      return new Promise<ExecResult>((resolve, reject) => {
        const child = execFile(
          file, args,
          { timeout: opts.timeoutMs ?? defaults.timeoutMs ?? 30_000, env: opts.env ?? defaults.env ?? process.env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
          (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
            let code = 0;
            if (e) {
              if (typeof e.code === 'number') code = e.code;
              else {
                reject(new HostCommandError('ERR_HOST_COMMAND',
                  `${argv.join(' ')}: ${e.killed ? 'timed out' : e.message}`,
                  { cause: e, details: { argv: [...argv] } }));
                return;
              }
            }
            const result = { code, stdout, stderr };
            if (!okCodes.includes(code)) {
              reject(new HostCommandError('ERR_HOST_COMMAND',
                `${argv.join(' ')} exited ${code}: ${stderr.trim().slice(0, MAX_STDERR)}`,
                { details: { argv: [...argv], code, stderr: stderr.trim().slice(0, MAX_STDERR) } }));
              return;
            }
            resolve(result);
          });
        if (opts.input !== undefined) child.stdin?.end(opts.input);
      });
    },
  };
}
