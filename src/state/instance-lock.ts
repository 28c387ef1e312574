// The single-instance lock of a state_path: an advisory flock(2) on <state_path>/kuryr.lock, held by this
// process's open file description for as long as the process lives. The kernel drops it the moment the
// holder exits (kill -9 included, before the process is even reaped), so a dead holder never blocks a start,
// and a recycled pid in the file means nothing. Node has no flock(); util-linux `flock 3`, run through the
// Exec seam with our descriptor as its fd 3, takes the lock on that description and exits, leaving it ours.
// The file also holds the holder's pid, for messages and `kuryr doctor` only.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PluginError } from '../errors.ts';
import { createExec, type Exec } from '../host/exec.ts';

/** flock's exit status when the lock is held elsewhere (its default, 1, is also its usage-error status) */
const CONFLICT = 75;

export interface InstanceLockDeps {
  exec: Exec;
  pid: number;
}

const realDeps = (): InstanceLockDeps => ({ exec: createExec({ timeoutMs: 10_000 }), pid: process.pid });

/** the pid recorded in a lock file (undefined when there is none) */
async function recordedPid(path: string): Promise<number | undefined> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Take the instance lock at `path`; returns the release function. ERR_STATE_LOCKED while another process holds it. */
export async function acquireInstanceLock(path: string, deps: InstanceLockDeps = realDeps()): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // a+: create if missing, never truncate before we hold the lock (the holder's pid stays readable)
  const fh = await open(path, 'a+', 0o600);
  let r;
  try {
    r = await deps.exec.run(['flock', '--nonblock', '--exclusive', '--conflict-exit-code', String(CONFLICT), '3'],
      { passFd: fh.fd, okCodes: [0, CONFLICT] });
  } catch (err) {
    await fh.close();
    throw err; // flock could not run (ERR_HOST_COMMAND): not a held lock
  }
  if (r.code === CONFLICT) {
    await fh.close();
    const owner = await recordedPid(path);
    throw new PluginError('ERR_STATE_LOCKED',
      `another kuryr plugin${owner === undefined ? '' : ` (pid ${owner})`} holds ${path}; only one instance may run per host and state_path`);
  }
  await fh.truncate(0);
  await fh.write(`${deps.pid}\n`);
  await fh.sync();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // empty the file while still holding the lock, then let go: closing the description drops the flock
    await fh.truncate(0).catch(() => undefined);
    await fh.close();
  };
}

/**
 * Whether some process holds an flock on `path`, read from /proc/locks (device and inode of the file) without
 * taking any lock; undefined when the file does not exist.
 */
export async function instanceLockHeld(path: string, procLocks: () => Promise<string> = () => readFile('/proc/locks', 'utf8')): Promise<boolean | undefined> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // major/minor as /proc/locks prints them (hex), from the Linux encoding of st_dev
  const dev = st.dev;
  const major = ((dev >> 8) & 0xfff) | Math.floor(dev / 2 ** 32) & ~0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  for (const line of (await procLocks()).split('\n')) {
    // "3: FLOCK  ADVISORY  WRITE 1234 fe:00:2146364 0 EOF" (a blocked waiter is "3: -> FLOCK ...": not a holder)
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+-?\d+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m === null) continue;
    if (parseInt(m[1]!, 16) === major && parseInt(m[2]!, 16) === minor && Number(m[3]) === st.ino) return true;
  }
  return false;
}
