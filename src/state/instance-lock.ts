// The single-instance lock of a state_path: an advisory flock(2) on <state_path>/kuryr.lock, held by this
// process's open file description for as long as the process lives. The kernel drops it the moment the
// holder exits (kill -9 included, before the process is even reaped), so a dead holder never blocks a start,
// and a recycled pid in the file means nothing. Node has no flock(); util-linux `flock 3`, run through the
// Exec seam with our descriptor as its fd 3, takes the lock on that description and exits, leaving it ours.
// The file also holds the holder's pid, for messages and `kuryr doctor` only.
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
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
 * Whether the process whose pid the lock file records holds the flock on it, read without taking any lock:
 * one of its open descriptors is this file (same device and inode) and that descriptor's fdinfo lists an
 * FLOCK. (Not /proc/locks: inside a pid namespace it hides locks whose locking process is gone, and here
 * the locker is the short-lived flock(1).) undefined: no lock file; false: no pid, a dead pid, a recycled
 * pid, or a pid this process cannot see (another pid namespace, or not root).
 */
export async function instanceLockHeld(path: string, proc = '/proc'): Promise<boolean | undefined> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const pid = await recordedPid(path);
  if (pid === undefined) return false;
  let fds: string[];
  try {
    fds = await readdir(`${proc}/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    const target = await stat(`${proc}/${pid}/fd/${fd}`).catch(() => undefined);
    if (target === undefined || target.dev !== st.dev || target.ino !== st.ino) continue;
    const info = await readFile(`${proc}/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    if (/^lock:\s+\d+:\s+FLOCK\s/m.test(info)) return true;
  }
  return false;
}
