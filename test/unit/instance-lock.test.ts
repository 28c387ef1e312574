// The single-instance lock (src/state/instance-lock.ts) with the real util-linux flock and real processes:
// a live holder refuses a second start and is named; a holder killed with SIGKILL frees the lock at once,
// before anyone reaps it; a stale pid in the file — even the pid of a live, unrelated process, as after pid
// reuse — does not block; release gives the lock back; instanceLockHeld reads the recorded pid's fdinfo.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PluginError } from '../../src/errors.ts';
import { acquireInstanceLock, instanceLockHeld } from '../../src/state/instance-lock.ts';
import { holdLock } from '../helpers/lock-holder.ts';

const locked = (e: unknown) => e instanceof PluginError && e.code === 'ERR_STATE_LOCKED';

describe('instance lock (flock on <state_path>/kuryr.lock)', () => {
  const dirs: string[] = [];
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
  const lockPath = async () => {
    const d = await mkdtemp(join(tmpdir(), 'kuryr-lock-'));
    dirs.push(d);
    return join(d, 'state', 'kuryr.lock');
  };

  test('taken, recorded with our pid, refused to a second taker while held, given back on release', async () => {
    const path = await lockPath();
    assert.equal(await instanceLockHeld(path), undefined, 'no file yet');
    const release = await acquireInstanceLock(path);
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
    assert.equal(await instanceLockHeld(path), true);
    // a second open file description in this very process is refused too: flock is per description
    await assert.rejects(acquireInstanceLock(path), (e: unknown) => locked(e) && new RegExp(`\\(pid ${process.pid}\\) holds`).test((e as Error).message));
    await release();
    assert.equal(await instanceLockHeld(path), false);
    assert.equal(await readFile(path, 'utf8'), '', 'the pid is cleared on release');
    const again = await acquireInstanceLock(path);
    await again();
    await again(); // idempotent
  });

  test('another live process holding it: refused, naming its pid; the file is left as the holder wrote it', async () => {
    const path = await lockPath();
    await acquireInstanceLock(path).then((r) => r()); // creates the directory
    const holder = await holdLock(path);
    try {
      await assert.rejects(acquireInstanceLock(path), (e: unknown) => locked(e) && (e as Error).message.includes(`(pid ${holder.pid})`));
      assert.equal((await readFile(path, 'utf8')).trim(), String(holder.pid));
    } finally {
      await holder.release();
    }
    const release = await acquireInstanceLock(path);
    await release();
  });

  test('a stale lock file naming a live, unrelated pid (pid reuse) does not block start-up', async () => {
    const path = await lockPath();
    await acquireInstanceLock(path).then((r) => r());
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await writeFile(path, `${unrelated.pid}\n`);
      assert.equal(await instanceLockHeld(path), false);
      const release = await acquireInstanceLock(path);
      assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
      await release();
      await writeFile(path, '1\n'); // init: always alive
      await (await acquireInstanceLock(path))();
    } finally {
      unrelated.kill();
    }
  });

  test('a holder killed with SIGKILL frees the lock at once, even while it is an unreaped zombie', async () => {
    const path = await lockPath();
    await acquireInstanceLock(path).then((r) => r());
    // the shell starts `flock PATH sleep` in the background and then execs sleep, so flock's parent is a
    // process that never waits: killed, flock stays a zombie (state Z) while we try
    const parent = spawn('sh', ['-c', `flock --exclusive --nonblock "$0" sleep 600 & echo $!; exec sleep 600`, path], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await writeFile(path, `${pid}\n`);
      const deadline = Date.now() + 10_000;
      while (!(await instanceLockHeld(path)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await instanceLockHeld(path), true);
      // kill the flock and its sleep (the sleep inherited the locked descriptor)
      const sleeper = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number);
      for (const p of [pid, ...sleeper]) process.kill(p, 'SIGKILL');
      const waitState = async () => {
        for (let i = 0; i < 200; i++) {
          const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
          if (/\) Z /.test(st)) return 'Z';
          await new Promise((r) => setTimeout(r, 10));
        }
        return 'not a zombie';
      };
      assert.equal(await waitState(), 'Z', 'the killed holder is a zombie: nobody reaped it');
      const release = await acquireInstanceLock(path);
      assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
      await release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
