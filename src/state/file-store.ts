// Durable local state (SR-IOV allocations and the VF settings to restore): one versioned JSON document,
// replaced atomically — write a temp file, fsync it, rename it over, fsync the directory — so a crash leaves
// either the old or the new state, never a torn one. Plus the instance lock: a pid file created with O_EXCL;
// a lock whose owner is dead is taken over, a live owner makes start-up fail.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PluginError } from '../errors.ts';

export interface StateStore<T> {
  load(): Promise<T | undefined>;
  save(state: T): Promise<void>;
}

export function createFileStateStore<T>(path: string, parse: (raw: unknown) => T): StateStore<T> {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      try {
        return parse(JSON.parse(text));
      } catch (cause) {
        throw new PluginError('ERR_STATE_CORRUPT', `state file ${path} is not valid: ${(cause as Error).message}`, { cause });
      }
    },
    async save(state) {
      const dir = dirname(path);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.${process.pid}.${Date.now()}.tmp`);
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      const dh = await open(dir, 'r');
      try { await dh.sync(); } finally { await dh.close(); }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the instance lock at `path`; returns the release function. A second live instance is refused. */
export async function acquireInstanceLock(path: string): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
      await fh.close();
      return async () => { await unlink(path).catch(() => undefined); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new PluginError('ERR_STATE_LOCKED',
          `another kuryr plugin (pid ${owner}) holds ${path}; only one instance may run per host and state_path`);
      }
      await unlink(path).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new PluginError('ERR_STATE_LOCKED', `could not take the instance lock ${path}`);
}
