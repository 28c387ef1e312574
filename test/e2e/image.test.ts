// The container image (deploy/docker/Dockerfile) and the Docker managed (v2) plugin made from it
// (deploy/docker/managed-plugin/config.json), built and run against the testbed's dockerd 20.10 and Neutron:
//   1. scripts/image/build.sh: base image by debootstrap + `docker import` (cached in $KURYR_TESTBED/image),
//      then the image itself; it carries Node >= 20, iproute2 and `kuryr`;
//   2. the image run as a legacy plugin (socket in the host's /run/docker/plugins): its HEALTHCHECK probe says
//      healthy (and unhealthy for a dead socket), `docker network create -d <socket name>`, a container with a
//      Neutron port, `docker stop` removes the socket;
//   3. scripts/image/build-plugin.sh: `docker plugin create kuryr/libnetwork:test`, `docker plugin set` of the
//      config/state mounts, `docker plugin enable`, a network with `-d/--ipam-driver kuryr/libnetwork:test`,
//      a container on it, then everything removed (network, plugin disable + rm).
// CIDRs of this file: 10.86.0.0/24 (image), 10.87.0.0/24 (managed plugin).
//
// Not `--privileged`: this VM's capability bounding set lacks CAP_SYS_RESOURCE (CapBnd 0x1fffeffffff), and
// dockerd 20.10 gives a privileged container every capability up to cap_last_cap, so runc fails ("unable to
// apply caps: operation not permitted"). The image runs with the one capability it needs on top of Docker's
// default set, CAP_NET_ADMIN (links, bridges, VF settings), which is also what docs/image.md recommends; the
// managed plugin gets CAP_NET_ADMIN + CAP_SYS_ADMIN from its config.json.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Cleanup, dockerNetworkId, endpointOf, getNetworks, networksForDocker, poolsNamed, portsForEndpoint, suffix, waitFor } from '../helpers/e2e.ts';
import { callSocket } from '../helpers/plugin-process.ts';
import { docker, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `kuryr-libnetwork:${VERSION}`; // what scripts/image/build.sh tags
const BASE_IMAGE = 'kuryr-base:bookworm';
const PLUGIN = 'kuryr/libnetwork:test';
const NETNS_DIR = '/run/docker/netns'; // config.json's /var/run/docker/netns mount source (/var/run -> /run)

/** run a script of this repository; on failure the error carries its output */
function script(path: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // nice: the image build compiles and packs while other test files run next to this one
    execFile('nice', ['-n', '10', join(REPO, path), ...args], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function kuryrConf(dir: string, lines: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kuryr.conf'), `${lines.join('\n')}\n`);
}

/** the in-container eth0 IPv4 address, and its Neutron port (found through the endpoint id tags) */
async function containerPort(tb: Testbed, container: string, net: string) {
  const ep = await endpointOf(tb, container, net);
  const out = (await inNetns(tb, container, ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout;
  const ip = /inet ([0-9.]+)\//.exec(out)?.[1];
  const ports = await portsForEndpoint(tb, ep.EndpointID);
  return { ep, ip, ports };
}

describe('container image and managed (v2) plugin', { concurrency: false }, () => {
  let tb: Testbed;
  let env: NodeJS.ProcessEnv;
  const id = suffix();
  const work: string[] = [];
  const cleanup = new Cleanup();

  before(async () => {
    tb = testbed();
    env = { ...process.env, DOCKER_HOST: tb.dockerHost, DOCKER_CLI: tb.dockerCli, KURYR_TESTBED: tb.dir };
  });

  after(async () => {
    const errors = await cleanup.run();
    for (const d of work) await rm(d, { recursive: true, force: true });
    assert.deepEqual(errors, [], 'clean-up');
  });

  test('scripts/image/build.sh builds the image on a debootstrapped base (cached)', { timeout: 20 * 60_000 }, async (t) => {
    const build = await script('scripts/image/build.sh', [], env);
    t.diagnostic(`build.sh: ${sec(build.ms)}`);
    for (const line of build.stderr.split('\n').filter((l) => /debootstrap|upgrade|cached|imported|present|built in|^\s+\S+\s+[0-9.]+s$/.test(l))) {
      t.diagnostic(line.trim());
    }
    // a second run finds the base image by its cache key, and reuses the cached rootfs tarball
    const again = await script('scripts/image/build-base.sh', [], env);
    assert.match(again.stderr, /base image kuryr-base:bookworm present \(key [0-9a-f]{16}\)/);
    t.diagnostic(`build-base.sh again: ${sec(again.ms)}`);
    const cache = await readdir(join(tb.dir, 'image'));
    assert.ok(cache.some((f) => /^base-[0-9a-f]{16}\.tar$/.test(f)), `cached rootfs tarball in ${tb.dir}/image: ${cache.join(' ')}`);
    assert.ok(!cache.some((f) => f.startsWith('context.') || f.startsWith('rootfs.')), `staging dirs left behind: ${cache.join(' ')}`);

    const [img] = JSON.parse((await docker(tb, ['image', 'inspect', IMAGE])).stdout) as {
      Size: number; Config: { Entrypoint: string[]; Cmd: string[] | null; Healthcheck?: { Test: string[] }; Labels: Record<string, string> } }[];
    const [base] = JSON.parse((await docker(tb, ['image', 'inspect', BASE_IMAGE])).stdout) as { Size: number }[];
    t.diagnostic(`sizes: ${IMAGE} ${(img!.Size / 1e6).toFixed(1)} MB, ${BASE_IMAGE} ${(base!.Size / 1e6).toFixed(1)} MB`);
    assert.deepEqual(img!.Config.Entrypoint, ['/usr/local/bin/kuryr', 'serve', '--config-file', '/etc/kuryr/kuryr.conf']);
    assert.equal(img!.Config.Cmd, null, "the base's CMD must not be appended to the entrypoint");
    assert.deepEqual(img!.Config.Healthcheck?.Test, ['CMD', '/usr/local/bin/kuryr-healthcheck']);
    assert.equal(img!.Config.Labels['org.opencontainers.image.version'], VERSION);
    assert.ok(img!.Size < 250e6, `image is ${img!.Size} bytes`);

    // the runtime inside: Node >= 20 (bookworm's own nodejs is 18), iproute2, kuryr on PATH, Debian 12
    const r = await docker(tb, ['run', '--rm', '--net', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c',
      'node --version; ip -V; command -v kuryr; kuryr --help | head -1; . /etc/os-release; echo "$PRETTY_NAME"; ls /opt/kuryr']);
    const [nodeVersion, ipVersion, kuryrPath, usage, os, ...optKuryr] = r.stdout.split('\n');
    assert.match(nodeVersion!, /^v(2\d|[3-9]\d)\./);
    assert.match(ipVersion!, /iproute2/);
    assert.equal(kuryrPath, '/usr/local/bin/kuryr');
    assert.match(usage!, /Usage: kuryr/);
    assert.match(os!, /Debian GNU\/Linux 12 \(bookworm\)/);
    assert.deepEqual(optKuryr.sort(), ['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json']);
    // production dependencies only
    const dev = await docker(tb, ['run', '--rm', '--net', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c',
      'ls /opt/kuryr/node_modules/typescript /opt/kuryr/node_modules/tsx 2>&1 || true']);
    assert.match(dev.stdout, /No such file/);
  });

  test('the image serves as a legacy plugin: its health probe passes, network + container through Neutron, clean stop', { timeout: 5 * 60_000 }, async (t) => {
    const name = `kuryr-img-${id}`;
    const socket = `/run/docker/plugins/${name}.sock`;
    const net = `${name}-net`;
    const container = `${name}-c`;
    const pluginContainer = `${name}-plugin`;
    const dir = await mkdtemp(join(tmpdir(), `${name}-`));
    work.push(dir);
    await kuryrConf(join(dir, 'etc'), [
      '[DEFAULT]',
      `kuryr_uri = unix://${socket}`,
      `host = ${tb.host}`,
      'debug = true',
      '[neutron]',
      'auth_type = none',
      `endpoint_override = ${tb.neutronUrl}`,
    ]);
    await mkdir(join(dir, 'state'));

    // stop first (SIGTERM: kuryr removes its socket), then remove; `rm -f` alone would leave a stale socket
    cleanup.add('plugin container', async () => {
      await docker(tb, ['stop', '-t', '10', pluginContainer], { allowFail: true });
      await docker(tb, ['rm', '-f', pluginContainer], { allowFail: true });
    });
    const t0 = performance.now();
    await docker(tb, ['run', '-d', '--name', pluginContainer, '--net', 'host', '--cap-add', 'NET_ADMIN',
      '-v', '/run/docker/plugins:/run/docker/plugins', '-v', `${join(dir, 'etc')}:/etc/kuryr:ro`,
      '-v', `${join(dir, 'state')}:/var/lib/kuryr`, '-v', '/sys:/sys', IMAGE]);
    const logs = async () => (await docker(tb, ['logs', '--tail', '40', pluginContainer], { allowFail: true })).stderr;
    await waitFor('the plugin in the container to answer on its socket', async () => {
      const s = JSON.parse((await docker(tb, ['inspect', '-f', '{{json .State}}', pluginContainer])).stdout) as { Running: boolean };
      if (!s.Running) throw new Error(`the plugin container exited:\n${await logs()}`);
      return (await callSocket(socket, 'Plugin.Activate', '').catch(() => undefined))?.status === 200 || undefined;
    }, 60_000, 250).catch(async (e: Error) => { throw new Error(`${e.message}\n${await logs()}`); });
    t.diagnostic(`plugin container serving after ${sec(performance.now() - t0)}`);
    assert.ok((await stat(socket)).isSocket());

    // The image's HEALTHCHECK command, run from the image in the plugin container's pid namespace (so its PID 1
    // is `kuryr serve`, whose --config-file it reads, as under dockerd's own health checks) with the same
    // config mount. Not through dockerd's HEALTHCHECK runs: those are `docker exec`s, which start their process
    // at the top of the mount namespace, and under a chroot (a fresh-machine root) that is the outer machine's /,
    // where the probe does not exist. The HEALTHCHECK declaration itself is checked in the build test.
    const probe = (extra: string[]) => docker(tb, ['run', '--rm', '--net', 'host', '--pid', `container:${pluginContainer}`,
      '-v', '/run/docker/plugins:/run/docker/plugins', '-v', `${join(dir, 'etc')}:/etc/kuryr:ro`, ...extra,
      '--entrypoint', '/usr/local/bin/kuryr-healthcheck', IMAGE], { allowFail: true });
    const good = await probe([]);
    assert.equal(good.code, 0, `${good.stdout}\n${good.stderr}`);
    assert.match(good.stdout, new RegExp(`^healthy: unix://${socket} implements NetworkDriver, IpamDriver`));
    t.diagnostic(`probe: ${good.stdout}`);

    // the probe fails when nothing answers (it does not just test for a file)
    const bad = await probe(['-e', 'KURYR_HEALTHCHECK_URI=unix:///run/docker/plugins/nobody-here.sock']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^unhealthy: unix:\/\/\/run\/docker\/plugins\/nobody-here\.sock: .*ENOENT/);

    cleanup.add('network', () => docker(tb, ['network', 'rm', net], { allowFail: true }));
    cleanup.add('container', () => docker(tb, ['rm', '-f', container], { allowFail: true }));
    const t1 = performance.now();
    await docker(tb, ['network', 'create', '-d', name, '--ipam-driver', name, '--subnet', '10.86.0.0/24', net]);
    const dockerNet = await dockerNetworkId(tb, net);
    await docker(tb, ['run', '-d', '--name', container, '--net', net, tb.image, 'sleep', '300']);
    t.diagnostic(`network create + docker run through the image: ${sec(performance.now() - t1)}`);
    const { ep, ip, ports } = await containerPort(tb, container, net);
    assert.match(ip ?? '', /^10\.86\.0\.\d+$/);
    assert.equal(ports.length, 1, 'one Neutron port for the endpoint');
    assert.equal(ports[0]!.fixed_ips[0]?.ip_address, ip);
    assert.equal(ports[0]!['binding:host_id'], tb.host);
    assert.equal(ports[0]!.mac_address, ep.MacAddress);
    assert.equal((await networksForDocker(tb, dockerNet)).length, 1);

    await docker(tb, ['rm', '-f', container]);
    await docker(tb, ['network', 'rm', net]);
    assert.equal((await networksForDocker(tb, dockerNet)).length, 0, 'Neutron network removed');
    assert.equal((await poolsNamed(tb, 'kuryrPool-10.86.0.0/24')).length, 0, 'subnetpool removed');

    // docker stop = SIGTERM: kuryr serve finishes and removes its socket
    await docker(tb, ['stop', pluginContainer]);
    await assert.rejects(stat(socket), { code: 'ENOENT' });
    assert.match(await logs(), /"msg":"stopped"/);
    await docker(tb, ['rm', pluginContainer]);
  });

  test('managed plugin: docker plugin create + set + enable, network with -d kuryr/libnetwork:test, removal', { timeout: 5 * 60_000 }, async (t) => {
    const net = `kuryr-mp-${id}-net`;
    const container = `kuryr-mp-${id}-c`;
    const dir = await mkdtemp(join(tmpdir(), `kuryr-mp-${id}-`));
    work.push(dir);
    const confDir = join(dir, 'etc');
    const stateDir = join(dir, 'state');
    // no kuryr_uri: config.json forces unix:///run/docker/plugins/kuryr.sock through OS_DEFAULT__KURYR_URI
    await kuryrConf(confDir, [
      '[DEFAULT]',
      `host = ${tb.host}`,
      '[neutron]',
      'auth_type = none',
      `endpoint_override = ${tb.neutronUrl}`,
    ]);
    await mkdir(stateDir);
    // A bind source that is missing makes `docker plugin enable` fail; on a host the tmpfiles.d snippet
    // creates it. The testbed dockerd keeps its sandboxes under its own exec-root, so this may not exist.
    const madeNetns = await stat(NETNS_DIR).then(() => false, () => true);
    if (madeNetns) {
      await mkdir(NETNS_DIR, { recursive: true });
      cleanup.add(NETNS_DIR, () => rmdir(NETNS_DIR).catch(() => undefined));
    }

    cleanup.add('plugin', () => docker(tb, ['plugin', 'rm', '-f', PLUGIN], { allowFail: true }));
    const created = await script('scripts/image/build-plugin.sh', ['--name', PLUGIN, '--image', IMAGE, '--replace'], env);
    t.diagnostic(`build-plugin.sh (docker create + export + plugin create): ${sec(created.ms)}`);
    t.diagnostic(created.stderr.split('\n').find((l) => l.includes('created (disabled)'))?.trim() ?? created.stderr);

    const inspect = async () => JSON.parse((await docker(tb, ['plugin', 'inspect', PLUGIN])).stdout)[0] as {
      Id: string; Enabled: boolean;
      Config: { Interface: { Types: string[]; Socket: string }; Network: { Type: string }; Linux: { Capabilities: string[] } };
      Settings: { Mounts: { Name: string; Source: string }[]; Env: string[] } };
    let p = await inspect();
    assert.equal(p.Enabled, false);
    assert.deepEqual(p.Config.Interface.Types.sort(), ['docker.ipamdriver/1.0', 'docker.networkdriver/1.0']);
    assert.equal(p.Config.Interface.Socket, 'kuryr.sock');
    assert.equal(p.Config.Network.Type, 'host');

    // the Neutron URL reaches the plugin as a kuryr.conf of our own, mounted at /etc/kuryr
    await docker(tb, ['plugin', 'set', PLUGIN, `config.source=${confDir}`, `state.source=${stateDir}`, 'OS_DEFAULT__DEBUG=true']);
    const t0 = performance.now();
    const enabled = await docker(tb, ['plugin', 'enable', PLUGIN], { allowFail: true });
    if (enabled.code !== 0) {
      const log = await readFile(join(tb.dir, 'docker', 'dockerd.log'), 'utf8').catch(() => '');
      assert.fail(`docker plugin enable ${PLUGIN} failed: ${enabled.stderr}\ndockerd log (tail):\n${log.split('\n').slice(-30).join('\n')}`);
    }
    t.diagnostic(`docker plugin enable: ${sec(performance.now() - t0)}`);
    p = await inspect();
    assert.equal(p.Enabled, true);
    assert.ok(p.Settings.Mounts.some((m) => m.Name === 'config' && m.Source === confDir));
    assert.ok(p.Settings.Env.includes('OS_DEFAULT__KURYR_URI=unix:///run/docker/plugins/kuryr.sock'));

    // dockerd's socket dir for this plugin is /run/docker/plugins/<id>/, the plugin's /run/docker/plugins
    const socket = `/run/docker/plugins/${p.Id}/kuryr.sock`;
    assert.ok((await stat(socket)).isSocket(), `${socket} is a socket`);
    const caps = await callSocket(socket, 'NetworkDriver.GetCapabilities', '');
    assert.deepEqual(caps, { status: 200, body: { Scope: 'local', ConnectivityScope: 'local' } });

    cleanup.add('network', () => docker(tb, ['network', 'rm', net], { allowFail: true }));
    cleanup.add('container', () => docker(tb, ['rm', '-f', container], { allowFail: true }));
    const t1 = performance.now();
    await docker(tb, ['network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.87.0.0/24', net]);
    const dockerNet = await dockerNetworkId(tb, net);
    const driver = (await docker(tb, ['network', 'inspect', '-f', '{{.Driver}} {{.IPAM.Driver}}', net])).stdout;
    assert.equal(driver, `${PLUGIN} ${PLUGIN}`);
    await docker(tb, ['run', '-d', '--name', container, '--net', net, tb.image, 'sleep', '300']);
    t.diagnostic(`network create + docker run through the managed plugin: ${sec(performance.now() - t1)}`);
    const { ep, ip, ports } = await containerPort(tb, container, net);
    assert.match(ip ?? '', /^10\.87\.0\.\d+$/);
    assert.equal(ports.length, 1, 'one Neutron port for the endpoint');
    assert.equal(ports[0]!.fixed_ips[0]?.ip_address, ip);
    assert.equal(ports[0]!['binding:host_id'], tb.host);
    assert.equal(ports[0]!.mac_address, ep.MacAddress);
    const [neutronNet] = await networksForDocker(tb, dockerNet);
    assert.ok(neutronNet, 'a Neutron network tagged with the Docker network id');

    await docker(tb, ['rm', '-f', container]);
    await docker(tb, ['network', 'rm', net]);
    assert.equal((await getNetworks(tb, `id=${neutronNet.id}`)).length, 0, 'Neutron network removed');
    assert.equal((await poolsNamed(tb, 'kuryrPool-10.87.0.0/24')).length, 0, 'subnetpool removed');

    await docker(tb, ['plugin', 'disable', PLUGIN]);
    await assert.rejects(stat(socket), 'the socket is gone once the plugin is disabled');
    await docker(tb, ['plugin', 'rm', PLUGIN]);
    const left = (await docker(tb, ['plugin', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    assert.ok(!left.includes(PLUGIN), `plugin still listed: ${left.join(' ')}`);
  });
});
