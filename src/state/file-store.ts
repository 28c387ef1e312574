// Durable local state (SR-IOV allocations and the VF settings to restore): one versioned JSON document,
// replaced atomically — write a temp file, fsync it, rename it over, fsync the directory — so a crash leaves
// either the old or the new state, never a torn one. (The instance lock is state/instance-lock.ts.)
import { mkdir, open, readFile, rename } from 'node:fs/promises';
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
