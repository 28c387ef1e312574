// A real other process holding an instance lock file (util-linux `flock PATH sleep`), for tests of what
// meets a running plugin's lock: it writes its pid into the file as a plugin does, and is killed with its
// whole process group (flock and its sleep) by release().
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { instanceLockHeld } from '../../src/state/instance-lock.ts';

export interface LockHolder { pid: number; release(): Promise<void> }

export async function holdLock(path: string): Promise<LockHolder> {
  const child = spawn('flock', ['--exclusive', '--nonblock', path, 'sleep', '600'], { stdio: 'ignore', detached: true });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // the pid first (as a plugin records it), then wait until that process holds the lock
  await writeFile(path, `${pid}\n`);
  const deadline = Date.now() + 10_000;
  while (!(await instanceLockHeld(path))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`flock ${path} did not take the lock`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid,
    async release() {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    },
  };
}
