// A second, private dockerd for tests that must stop and start the Docker daemon (the testbed's shared dockerd
// must never be restarted). Same flags as scripts/testbed/dockerd.sh, everything (data-root, exec-root, pidfile,
// API socket, log) under one temp dir. Plugin discovery stays machine-wide (/run/docker/plugins), so it finds
// the plugin a test started. The busybox test image is copied from the shared dockerd (save | load).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { docker, type Testbed } from './testbed.ts';

const run = promisify(execFile);

export interface PrivateDockerd {
  dir: string;
  /** a Testbed whose docker() calls go to this daemon */
  tb: Testbed;
  pid(): number | undefined;
  start(): Promise<void>;
  /** SIGTERM, wait for dockerd and its containerd to exit, unmount what they leave below `dir` */
  stop(): Promise<void>;
  log(): Promise<string>;
  /** remove containers, stop, unmount, delete the directory */
  dispose(): Promise<void>;
}

function alive(pid: number): Promise<boolean> {
  // PID 1 here reaps orphans slowly: a zombie counts as gone
  return readFile(`/proc/${pid}/stat`, 'utf8').then((s) => !/\) [ZX] /.test(s), () => false);
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function pidFromFile(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** mount points below dir, deepest first */
async function mountsBelow(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`)).sort().reverse();
}

export async function unmountBelow(dir: string): Promise<void> {
  for (const m of await mountsBelow(dir)) {
    await run('umount', [m]).catch(() => run('umount', ['-l', m])).catch(() => undefined);
  }
}

export async function startPrivateDockerd(shared: Testbed, opts: { name?: string } = {}): Promise<PrivateDockerd> {
  const dir = await mkdtemp(join('/tmp', `${opts.name ?? 'kuryr-dd'}-`));
  const sock = join(dir, 'docker.sock');
  const tb: Testbed = { ...shared, dockerHost: `unix://${sock}` };
  const args = ['--storage-driver=overlay2', '--iptables=false', '--ip6tables=false', '--bridge=none',
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function answering(): Promise<boolean> {
    return (await docker(tb, ['version', '--format', '{{.Server.Version}}'], { allowFail: true })).code === 0;
  }

  const d: PrivateDockerd = {
    dir, tb,
    pid: () => child?.pid,
    async start() {
      const fd = openSync(join(dir, 'dockerd.log'), 'a');
      child = spawn('dockerd', args, { stdio: ['ignore', fd, fd], detached: true });
      closeSync(fd);
      const c = child;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      while (!(await answering())) {
        if (c.exitCode !== null || Date.now() > deadline) {
          throw new Error(`private dockerd did not come up: ${(await d.log()).split('\n').slice(-20).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const c = child;
      if (c === undefined || c.pid === undefined) return;
      const ctrd = await pidFromFile(join(dir, 'exec', 'containerd', 'containerd.pid'));
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 60_000); })]);
        clearTimeout(timer);
        if (!done) { c.kill('SIGKILL'); await exited; }
      }
      child = undefined;
      // dockerd stops the containerd it started; make sure, then kill shims a forced stop may have left
      if (ctrd !== undefined && !(await waitGone(ctrd, 5_000))) {
        process.kill(ctrd, 'SIGKILL');
        await waitGone(ctrd, 5_000);
      }
      const shims = await run('pgrep', ['-f', `-address ${join(dir, 'exec', 'containerd', 'containerd.sock')}`]).then(
        (r) => r.stdout.split('\n').filter(Boolean).map(Number), () => [] as number[]);
      for (const p of shims) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      await unmountBelow(dir);
    },
    log: () => readFile(join(dir, 'dockerd.log'), 'utf8').catch(() => ''),
    async dispose() {
      if (child !== undefined && (await answering())) {
        const ids = (await docker(tb, ['ps', '-aq'], { allowFail: true })).stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await docker(tb, ['rm', '-f', ...ids], { allowFail: true });
      }
      await d.stop();
      await unmountBelow(dir);
      if ((await mountsBelow(dir)).length === 0) await rm(dir, { recursive: true, force: true });
    },
  };
  await d.start();
  return d;
}

/** copy an image from one dockerd to another (docker save | docker load) */
export async function copyImage(from: Testbed, to: Testbed, image: string): Promise<void> {
  await run('sh', ['-c', '"$CLI" -H "$FROM" save "$IMG" | "$CLI" -H "$TO" load -q >/dev/null'], {
    env: { ...process.env, CLI: from.dockerCli, FROM: from.dockerHost, TO: to.dockerHost, IMG: image },
  });
}
