// Test-side access to the testbed started by scripts/testbed/up.sh (real Neutron + real dockerd). Tests that
// need it fail loudly when it is not running: run them through `npm test`, which starts it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Testbed {
  dir: string;
  neutronUrl: string;
  dockerHost: string;
  dockerCli: string;
  image: string;
  host: string;
}

export function testbed(): Testbed {
  const env = process.env;
  const missing = ['KURYR_TESTBED', 'NEUTRON_URL', 'DOCKER_HOST', 'KURYR_TEST_IMAGE'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`the testbed is not running (missing ${missing.join(', ')}): run the tests with \`npm test\`, ` +
      'or start it with scripts/testbed/up.sh and source $KURYR_TESTBED/env');
  }
  return {
    dir: env['KURYR_TESTBED']!,
    neutronUrl: env['NEUTRON_URL']!.replace(/\/$/, ''),
    dockerHost: env['DOCKER_HOST']!,
    dockerCli: env['DOCKER_CLI'] ?? 'docker',
    image: env['KURYR_TEST_IMAGE']!,
    host: env['KURYR_TEST_HOST'] ?? '',
  };
}

type Captured = { stdout: string; stderr: string; code: number };

/** run FILE ARGS; a failure throws naming WHAT, unless allowFail, which returns its output and exit code */
async function captured(file: string, args: string[], what: string, opts: { allowFail?: boolean; env?: NodeJS.ProcessEnv }): Promise<Captured> {
  try {
    const r = await run(file, args, { ...(opts.env === undefined ? {} : { env: opts.env }), maxBuffer: 16 << 20 });
    return { stdout: r.stdout.trim(), stderr: r.stderr.trim(), code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    if (!opts.allowFail) throw new Error(`${what} failed (${err.code}): ${err.stderr ?? ''}`, { cause: e });
    return { stdout: (err.stdout ?? '').trim(), stderr: (err.stderr ?? '').trim(), code: typeof err.code === 'number' ? err.code : 1 };
  }
}

export async function docker(tb: Testbed, args: string[], opts: { allowFail?: boolean } = {}): Promise<Captured> {
  return captured(tb.dockerCli, args, `docker ${args.join(' ')}`, { ...opts, env: { ...process.env, DOCKER_HOST: tb.dockerHost } });
}

/**
 * Run ARGV (the testbed machine's own iproute2/ping) in a running container's network namespace:
 * `nsenter --target <its pid> --net`. Used instead of `docker exec` for network facts and pings, because
 * `docker exec` starts its process in the mount namespace's top root, which is the container's rootfs on a
 * normal host but the outer machine's / when dockerd itself runs in a chroot (as in a fresh-machine root), so
 * the container's own binaries are not found there. The network namespace is the container's either way.
 */
export async function inNetns(tb: Testbed, container: string, argv: string[], opts: { allowFail?: boolean } = {}): Promise<Captured> {
  const pid = (await docker(tb, ['inspect', '-f', '{{.State.Pid}}', container])).stdout;
  if (!/^[1-9]\d*$/.test(pid)) throw new Error(`container ${container} is not running (pid ${pid})`);
  return captured('nsenter', ['--target', pid, '--net', '--', ...argv], `${argv.join(' ')} in ${container}'s netns`, opts);
}

export async function neutronGet<T>(tb: Testbed, path: string): Promise<T> {
  const res = await fetch(`${tb.neutronUrl}/v2.0/${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function neutronSend(tb: Testbed, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${tb.neutronUrl}/v2.0/${path}`, {
    method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

export async function hostLinks(): Promise<{ ifname: string; master?: string; address?: string; ifalias?: string }[]> {
  const r = await run('ip', ['-json', 'link', 'show']);
  return JSON.parse(r.stdout) as { ifname: string; master?: string }[];
}
