// Starts the real plugin the way an operator does — `node bin/kuryr.js serve --config-file F` — with a unique
// plugin name (socket /run/docker/plugins/<name>.sock) so test files can run side by side, and talks to it
// over its socket like dockerd does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface PluginProcess {
  name: string;
  socket: string;
  dir: string;
  configFile: string;
  child: ChildProcess;
  logs(): Promise<string>;
  call(method: string, body?: unknown, raw?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface PluginOptions {
  neutronUrl: string;
  host: string;
  /** extra INI text appended to the config */
  extraConfig?: string;
  name?: string;
  /** listen on http://127.0.0.1:<port> instead of the unix socket (the upstream kuryr.spec set-up) */
  tcpPort?: number;
  /** environment variables added to (or overriding) the test's own for the plugin process (e.g. PATH) */
  env?: Record<string, string>;
}

export async function startPlugin(opts: PluginOptions): Promise<PluginProcess> {
  const name = opts.name ?? `kuryr-t${Math.random().toString(16).slice(2, 8)}`;
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  const socket = `/run/docker/plugins/${name}.sock`;
  const configFile = join(dir, 'kuryr.conf');
  await writeFile(configFile, [
    '[DEFAULT]',
    `kuryr_uri = ${opts.tcpPort === undefined ? `unix://${socket}` : `http://127.0.0.1:${opts.tcpPort}`}`,
    `host = ${opts.host}`,
    `state_path = ${dir}/state`,
    `bindir = ${REPO}libexec/kuryr`,
    'debug = true',
    '[neutron]',
    'auth_type = none',
    `endpoint_override = ${opts.neutronUrl}`,
    opts.extraConfig ?? '',
  ].join('\n'));
  const logFile = join(dir, 'kuryr.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(REPO, 'bin/kuryr.js'), 'serve', '--config-file', configFile], {
    stdio: ['ignore', fd, fd],
    ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (opts.tcpPort === undefined) {
      if ((await stat(socket).catch(() => undefined))?.isSocket()) break;
    } else if (await fetch(`http://127.0.0.1:${opts.tcpPort}/Plugin.Activate`, { method: 'POST' }).then((r) => r.ok, () => false)) {
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`plugin did not start: ${await readFile(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const plugin: PluginProcess = {
    name, socket, dir, configFile, child,
    logs: () => readFile(logFile, 'utf8'),
    call: (method, body, raw) => callSocket(socket, method, raw ?? (body === undefined ? '' : JSON.stringify(body))),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      return code;
    },
  };
  return plugin;
}

export async function cleanupPluginDir(p: PluginProcess): Promise<void> {
  await rm(p.dir, { recursive: true, force: true });
}

export function callSocket(socket: string, method: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: `/${method}`, method: 'POST',
      headers: { Accept: 'application/vnd.docker.plugins.v1.2+json' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { data += c; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, body: data === '' ? {} : JSON.parse(data) as Record<string, unknown> }); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
