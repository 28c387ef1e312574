// Checks of the host deployment files under deploy/: the systemd unit (directives, ordering before dockerd,
// capabilities; `systemd-analyze verify` must not complain about it), the legacy plugin discovery files
// (kuryr.spec, kuryr.json) against what the plugin listens on, and the managed (v2) plugin config.json
// against the fields Docker documents for it (shared reference peers-and-docker-protocol.md §1.8) and against
// the plugin's own configuration (socket, mounts, OS_* environment names the loader reads).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { buildCli } from '../../src/cli/index.ts';
import { DEFAULT_CONFIG_FILE } from '../../src/cli/config.ts';
import { envNameFor, parseConfigText } from '../../src/config/load.ts';
import { ALL_OPTIONS, OPTIONS, types } from '../../src/config/options.ts';
import { parseKuryrUri } from '../../src/server/listener.ts';

const UNIT = 'deploy/systemd/kuryr-libnetwork.service';
const SPEC = 'deploy/docker/kuryr.spec';
const SPEC_JSON = 'deploy/docker/kuryr.json';
const PLUGIN_CONFIG = 'deploy/docker/managed-plugin/config.json';
const TMPFILES = 'deploy/docker/managed-plugin/kuryr-libnetwork-tmpfiles.conf';
const DEFAULT_SOCKET_URI = OPTIONS.kuryrUri.default;

/** systemd unit syntax: [Section] then Key=Value lines; `#`/`;` comments; repeated keys accumulate */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      out.set(header[1]!, section);
      continue;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    assert.ok(kv !== null && section !== undefined, `${UNIT}:${i + 1}: not Key=Value inside a section: ${line}`);
    const values = section.get(kv[1]!) ?? [];
    values.push(kv[2]!);
    section.set(kv[1]!, values);
  }
  return out;
}

describe('systemd unit deploy/systemd/kuryr-libnetwork.service', () => {
  const text = readFileSync(UNIT, 'utf8');
  const unit = parseUnit(text);
  const get = (section: string, key: string): string[] => unit.get(section)?.get(key) ?? [];
  const words = (section: string, key: string): string[] => get(section, key).flatMap((v) => v.split(/\s+/)).filter((w) => w !== '');

  it('has exactly the [Unit], [Service] and [Install] sections, with known directives only', () => {
    assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install']);
    const known: Record<string, string[]> = {
      Unit: ['Description', 'Documentation', 'Wants', 'After', 'Before'],
      Service: ['Type', 'EnvironmentFile', 'ExecStart', 'KillMode', 'TimeoutStopSec', 'Restart', 'RestartSec',
        'CapabilityBoundingSet', 'AmbientCapabilities', 'NoNewPrivileges'],
      Install: ['WantedBy'],
    };
    for (const [section, keys] of unit) {
      for (const key of keys.keys()) assert.ok(known[section]?.includes(key), `[${section}] ${key} is not an expected directive`);
    }
  });

  it('starts after the network is online and before dockerd (plugins start first, stop last)', () => {
    assert.ok(words('Unit', 'After').includes('network-online.target'));
    assert.ok(words('Unit', 'Wants').includes('network-online.target'));
    assert.ok(words('Unit', 'Before').includes('docker.service'));
    assert.deepEqual(words('Install', 'WantedBy'), ['multi-user.target']);
  });

  it('runs `kuryr serve --config-file /etc/kuryr/kuryr.conf`, a command line the CLI accepts', () => {
    assert.deepEqual(get('Service', 'ExecStart'), ['/usr/local/bin/kuryr serve --config-file /etc/kuryr/kuryr.conf']);
    const [, command, flag, file] = get('Service', 'ExecStart')[0]!.split(' ');
    const serve = buildCli().commands.find((c) => c.name() === command);
    assert.ok(serve, 'the CLI has no serve command');
    assert.ok(serve.options.some((o) => o.long === flag), `serve has no ${flag} option`);
    assert.equal(file, DEFAULT_CONFIG_FILE);
  });

  it('restarts on failure and keeps only CAP_NET_ADMIN (CAP_SYS_ADMIN deliberately not granted, and explained)', () => {
    assert.deepEqual(get('Service', 'Restart'), ['on-failure']);
    assert.deepEqual(words('Service', 'CapabilityBoundingSet'), ['CAP_NET_ADMIN']);
    assert.deepEqual(words('Service', 'AmbientCapabilities'), ['CAP_NET_ADMIN']);
    assert.match(text, /CAP_SYS_ADMIN is NOT granted/);
  });

  it('can take the Keystone password from an optional environment file as $OS_NEUTRON__PASSWORD', () => {
    assert.deepEqual(get('Service', 'EnvironmentFile'), ['-/etc/kuryr/kuryr.env']);
    assert.match(text, new RegExp(envNameFor('neutron', 'password')));
  });

  describe('systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kuryr-unit-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reports nothing about the unit (ExecStart pointed at a stub, since kuryr is not installed here)', () => {
      const stub = join(dir, 'kuryr');
      writeFileSync(stub, '#!/bin/sh\nexit 0\n');
      chmodSync(stub, 0o755);
      const unitPath = join(dir, 'kuryr-libnetwork.service');
      writeFileSync(unitPath, text.replace('ExecStart=/usr/local/bin/kuryr ', `ExecStart=${stub} `));
      const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
      assert.equal(r.error, undefined, `systemd-analyze (Debian package systemd) could not be run: ${String(r.error)}`);
      const aboutUs = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('kuryr-libnetwork.service') || l.includes(unitPath));
      assert.deepEqual(aboutUs, []);
      assert.equal(r.status, 0, r.stderr);
    });
  });
});

describe('legacy (v1) plugin discovery files', () => {
  it('kuryr.spec holds one URL: the default listen socket (unix:///run/docker/plugins/kuryr.sock)', () => {
    const text = readFileSync(SPEC, 'utf8');
    assert.equal(text, `${DEFAULT_SOCKET_URI}\n`);
    assert.equal(DEFAULT_SOCKET_URI, 'unix:///run/docker/plugins/kuryr.sock');
    assert.deepEqual(parseKuryrUri(text.trim()), { kind: 'unix', path: '/run/docker/plugins/kuryr.sock' });
  });

  it('kuryr.json ({Name, Addr}) points dockerd at the upstream TCP listener, which kuryr_uri accepts', () => {
    const json = JSON.parse(readFileSync(SPEC_JSON, 'utf8')) as Record<string, unknown>;
    const spec = z.object({
      Name: z.string(),
      Addr: z.string(),
      TLSConfig: z.object({
        InsecureSkipVerify: z.boolean().optional(), CAFile: z.string().optional(),
        CertFile: z.string().optional(), KeyFile: z.string().optional(),
      }).strict().optional(),
    }).strict().parse(json);
    assert.equal(spec.Name, basename(SPEC_JSON, '.json'));
    assert.equal(spec.Addr, 'http://127.0.0.1:23750');
    assert.deepEqual(types.listenUri().parse([spec.Addr]), { ok: true, value: spec.Addr });
    assert.deepEqual(parseKuryrUri(spec.Addr), { kind: 'tcp', host: '127.0.0.1', port: 23750, tls: false });
  });
});

// Docker's plugin config (v1 media type application/vnd.docker.plugin.v1+json), as documented in
// docs/extend/config.md and moby's types.PluginConfig; lower-case names, as the docs write them.
const mountSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  settable: z.array(z.enum(['source', 'destination', 'type', 'options'])).optional(),
  source: z.string().startsWith('/'),
  destination: z.string().startsWith('/'),
  type: z.literal('bind'),
  options: z.array(z.string()),
}).strict();
const envSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  description: z.string(),
  settable: z.array(z.literal('value')).optional(),
  value: z.string().optional(),
}).strict();
const pluginConfigSchema = z.object({
  description: z.string().min(1),
  documentation: z.string(),
  entrypoint: z.array(z.string()).min(1),
  workdir: z.string().optional(),
  user: z.object({ uid: z.number().int(), gid: z.number().int() }).strict().optional(),
  interface: z.object({
    types: z.array(z.string().regex(/^docker\.[a-z]+\/1\.0$/)).min(1),
    socket: z.string().regex(/^[^/]+\.sock$/),
    protocolscheme: z.string().optional(),
  }).strict(),
  network: z.object({ type: z.enum(['bridge', 'host', 'none']) }).strict(),
  linux: z.object({
    capabilities: z.array(z.string().regex(/^CAP_[A-Z_]+$/)),
    allowAllDevices: z.boolean().optional(),
    devices: z.array(z.unknown()).optional(),
  }).strict(),
  mounts: z.array(mountSchema),
  env: z.array(envSchema),
  args: z.object({ name: z.string(), description: z.string(), settable: z.array(z.string()), value: z.array(z.string()) }).strict().optional(),
  propagatedMount: z.string().optional(),
  ipchost: z.boolean().optional(),
  pidhost: z.boolean().optional(),
}).strict();

describe('managed (v2) plugin deploy/docker/managed-plugin/config.json', () => {
  const config = pluginConfigSchema.parse(JSON.parse(readFileSync(PLUGIN_CONFIG, 'utf8')));
  const mount = (dest: string) => config.mounts.find((m) => m.destination === dest);

  it('has only the documented fields, with documented types', () => {
    assert.ok(config);
  });

  it('is a network driver and an IPAM driver', () => {
    assert.deepEqual([...config.interface.types].sort(), ['docker.ipamdriver/1.0', 'docker.networkdriver/1.0']);
  });

  it('listens on kuryr.sock, which dockerd mounts at /run/docker/plugins inside the plugin: forced through OS_DEFAULT__KURYR_URI', () => {
    assert.equal(config.interface.socket, 'kuryr.sock');
    const uriEnv = config.env.find((e) => e.name === envNameFor('DEFAULT', 'kuryr_uri'));
    assert.equal(uriEnv?.value, `unix:///run/docker/plugins/${config.interface.socket}`);
    assert.equal(uriEnv?.settable, undefined, 'the socket must not be changeable');
    // the environment source wins over a kuryr.conf that says otherwise (e.g. an upstream http:// listener)
    const { config: loaded } = parseConfigText(
      '[DEFAULT]\nkuryr_uri = http://127.0.0.1:23750\n[neutron]\nauth_type = none\nendpoint_override = http://n:9696\n', 'kuryr.conf',
      { env: { [uriEnv!.name]: uriEnv!.value } });
    assert.equal(loaded.default.kuryrUri, uriEnv?.value);
  });

  it('uses the host network, CAP_NET_ADMIN (VF settings over netlink) and CAP_SYS_ADMIN', () => {
    assert.equal(config.network.type, 'host');
    assert.ok(config.linux.capabilities.includes('CAP_NET_ADMIN'));
    assert.ok(config.linux.capabilities.includes('CAP_SYS_ADMIN'));
  });

  it('mounts /sys read-write (SR-IOV), /var/lib/kuryr read-write, /etc/kuryr read-only, the sandbox netns dir read-only', () => {
    assert.equal(new Set(config.mounts.map((m) => m.name)).size, config.mounts.length, 'mount names must be unique');
    const rw = (dest: string) => mount(dest)?.options.includes('rw') === true && mount(dest)?.options.includes('ro') === false;
    const ro = (dest: string) => mount(dest)?.options.includes('ro') === true && mount(dest)?.options.includes('rw') === false;
    assert.ok(rw('/sys'));
    assert.equal(mount('/sys')?.source, '/sys');
    assert.ok(rw(OPTIONS.statePath.default), 'the [DEFAULT] state_path default must be a rw mount');
    assert.ok(ro('/etc/kuryr'));
    assert.ok(ro('/var/run/docker/netns'));
    for (const m of config.mounts) assert.ok(m.options.includes('rbind'), `${m.name}: rbind`);
  });

  it('runs `kuryr serve` on a kuryr.conf inside the /etc/kuryr mount', () => {
    assert.deepEqual(config.entrypoint, ['/usr/local/bin/kuryr', 'serve', '--config-file', DEFAULT_CONFIG_FILE]);
    assert.ok(DEFAULT_CONFIG_FILE.startsWith(`${mount('/etc/kuryr')?.destination}/`));
  });

  it('every env entry is an OS_<SECTION>__<OPTION> name our loader reads; the password has no default value', () => {
    const known = new Set(ALL_OPTIONS.map((o) => envNameFor(o.section, o.name)));
    for (const e of config.env) assert.ok(known.has(e.name), `${e.name} is not an option the loader reads`);
    const password = config.env.find((e) => e.name === envNameFor('neutron', 'password'));
    assert.ok(password, 'OS_NEUTRON__PASSWORD should be settable');
    assert.deepEqual(password.settable, ['value']);
    // Docker passes an env entry only when it has a value: without one, a password in kuryr.conf still applies
    assert.equal(password.value, undefined);
  });

  it('the tmpfiles.d snippet creates every bind source but /sys before dockerd starts the plugin', () => {
    const dirs = readFileSync(TMPFILES, 'utf8').split('\n').filter((l) => l.startsWith('d ')).map((l) => l.split(/\s+/)[1]);
    for (const m of config.mounts.filter((x) => x.source !== '/sys')) {
      const source = m.source.replace(/^\/var\/run\//, '/run/');
      assert.ok(dirs.includes(source), `${TMPFILES} does not create ${source}`);
    }
  });
});
