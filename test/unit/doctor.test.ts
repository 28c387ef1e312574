// `kuryr doctor`'s verdicts, each driven through the injected seams: the real config loader over INI text, the
// stateful fake Neutron (agents with device_mappings, extensions, failure injection), a fake sysfs tree, a
// real VF ledger file, scripted /proc/cmdline, socket and docker probes. Wrong password and Neutron down also
// run through the real Neutron HTTP client against a local Keystone stand-in / a closed port, to prove the
// verdict and that no secret reaches the report. Plus the real probes against local sockets, and rendering.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { doctorCommand, realDoctorDeps } from '../../src/cli/doctor.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError, PluginError, UnavailableError } from '../../src/errors.ts';
import { describeTarget, pluginName } from '../../src/doctor/checks-plugin.ts';
import { dockerContainersByEndpoint, probeDocker, probeSocket } from '../../src/doctor/probes.ts';
import { renderHuman, renderJson } from '../../src/doctor/render.ts';
import { CHECK_IDS, runDoctor } from '../../src/doctor/run.ts';
import type { CheckStatus, DockerProbe, DoctorDeps, DoctorNeutron, DoctorReport, SocketProbe } from '../../src/doctor/types.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import type { NeutronAgent } from '../../src/neutron/types.ts';
import { createServer } from '../../src/server/server.ts';
import { createFileVfLedger } from '../../src/sriov/ledger.ts';
import { testContext } from '../../src/testing/context.ts';
import { createFakeNeutron, type FakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';
import { ZED_EXTENSIONS } from '../../src/testing/fake-neutron/types.ts';
import pino from 'pino';

const HOST = 'host-a';
const INTEL_VFS = ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'];
const MLX_VFS = ['0000:82:00.2', '0000:82:00.3', '0000:82:00.4', '0000:82:00.5'];

function spec(o: { numVfs?: number; vfio?: boolean } = {}): SysfsTreeSpec {
  const n = o.numVfs ?? 4;
  return {
    pfs: [
      {
        name: 'ens1f0', pci: '0000:03:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
        vfs: INTEL_VFS.slice(0, n).map((pci, index) => (o.vfio === true
          ? { index, pci, driver: 'vfio-pci' } : { index, pci, netdev: `ens1f0v${index}`, driver: 'ixgbevf' })),
      },
      {
        name: 'ens2f0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
        vfs: MLX_VFS.map((pci, index) => ({ index, pci, netdev: `ens2f0v${index}`, driver: 'mlx5_core' })),
      },
    ],
    nics: [{ name: 'eno1', pci: '0000:01:00.0', vendor: '8086', device: '1533', driver: 'igb' }],
  };
}

function nicSwitchAgent(host: string, mappings: Record<string, string[]> = { physnet1: ['ens1f0', 'ens2f0'], physnet2: ['ens1f1'] },
  extra: Partial<NeutronAgent> = {}): NeutronAgent {
  return {
    id: `agent-${host}`, agent_type: 'NIC Switch agent', binary: 'neutron-sriov-nic-agent', host, alive: true, admin_state_up: true,
    topic: 'N/A', heartbeat_timestamp: '2099-01-01 00:00:00', configurations: { device_mappings: mappings, extensions: [], devices: 0 }, ...extra,
  };
}

interface Fixture {
  dir: string;
  sys: string;
  statePath: string;
  neutron: FakeNeutron;
  deps: DoctorDeps;
}

interface FixtureOptions {
  spec?: SysfsTreeSpec;
  /** [sriov] physical_device_mappings */
  mappings?: string;
  agents?: NeutronAgent[];
  extensions?: readonly string[];
  cmdline?: string;
  iommuGroups?: number;
  socket?: SocketProbe;
  docker?: DockerProbe;
  /** extra INI appended to the generated config */
  extra?: string;
  /** replaces the generated config altogether */
  configText?: (paths: { sys: string; statePath: string }) => string;
  lockPid?: number;
}

const HEALTHY_SOCKET: SocketProbe = { kind: 'answered', status: 200, body: { Implements: ['NetworkDriver', 'IpamDriver'] } };
const HEALTHY_DOCKER: DockerProbe = {
  kind: 'answered', where: 'unix:///run/docker.sock', version: '20.10.24', networkPlugins: ['bridge', 'host', 'null'],
  networks: [{ name: 'sriov-net', driver: 'kuryr', ipamDriver: 'kuryr' }],
};

async function fixture(t: TestContext, o: FixtureOptions = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'kuryr-doctor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sys = join(dir, 'sys');
  const statePath = join(dir, 'state');
  await buildSysfsTree(sys, o.spec ?? spec());
  for (let i = 0; i < (o.iommuGroups ?? 3); i += 1) await mkdir(join(sys, 'kernel/iommu_groups', String(i)), { recursive: true });
  await mkdir(join(sys, 'kernel/iommu_groups'), { recursive: true });
  const text = o.configText?.({ sys, statePath }) ?? [
    '[DEFAULT]', `host = ${HOST}`, `state_path = ${statePath}`, 'kuryr_uri = unix:///run/docker/plugins/kuryr.sock',
    'enabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov',
    '[binding]', 'enabled_drivers = kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb',
    '[neutron]', 'auth_type = none', 'endpoint_override = http://neutron.test:9696',
    '[sriov]', `sysfs_root = ${sys}`, `physical_device_mappings = ${o.mappings ?? 'physnet1:ens1f0,physnet1:ens2f0'}`,
    o.extra ?? '',
  ].join('\n');
  const neutron = createFakeNeutron({ agents: o.agents ?? [nicSwitchAgent(HOST), nicSwitchAgent('host-b')], extensions: o.extensions ?? ZED_EXTENSIONS });
  const files = new Map<string, string>([['/proc/cmdline', o.cmdline ?? 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet']]);
  if (o.lockPid !== undefined) files.set(join(statePath, 'kuryr.lock'), `${o.lockPid}\n`);
  const deps: DoctorDeps = {
    loadConfig: async () => parseConfigText(text, '/etc/kuryr/kuryr.conf', { hostname: HOST }),
    configSources: ['/etc/kuryr/kuryr.conf'],
    neutron: (): DoctorNeutron => ({
      hasExtension: (alias) => neutron.hasExtension(alias),
      listAgents: (q) => neutron.listAgents(q),
      describe: () => 'Neutron http://neutron.test:9696/ (noauth)',
      close: async () => {},
    }),
    sysfs: (root) => createSysfs(root),
    readFile: async (path) => {
      const v = files.get(path);
      if (v === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return v;
    },
    readLedger: (sp) => createFileVfLedger(join(sp, 'sriov-state.json')).read(),
    lockHeld: async (path) => (files.has(path) ? files.get(path) === '4242\n' : undefined),
    probeSocket: async () => o.socket ?? HEALTHY_SOCKET,
    probeDocker: async () => o.docker ?? HEALTHY_DOCKER,
    root: true,
  };
  return { dir, sys, statePath, neutron, deps };
}

function statuses(r: DoctorReport): Record<string, CheckStatus> {
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
}
function find(r: DoctorReport, id: string) {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
}

const HEALTHY: Record<string, CheckStatus> = {
  config: 'ok', drivers: 'ok', state: 'ok', 'neutron.api': 'ok', 'neutron.ext.subnet_allocation': 'ok', 'neutron.ext.binding': 'ok',
  'neutron.ext.standard-attr-tag': 'ok', 'neutron.ext.trunk': 'skip', 'sriov.agent': 'ok', 'sriov.mappings': 'ok',
  'sriov.pf.ens1f0': 'ok', 'sriov.pf.ens2f0': 'ok', 'host.iommu': 'ok', 'plugin.socket': 'ok', docker: 'ok',
};

describe('doctor: progress while it runs', () => {
  test('a line per step and verdict on stderr as it goes: while Neutron does not answer, the last line says so', async (t) => {
    const f = await fixture(t);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => { answer = resolve; });
    let askedNeutron!: () => void;
    const neutronAsked = new Promise<void>((resolve) => { askedNeutron = resolve; });
    const slow: DoctorDeps = {
      ...f.deps,
      neutron: (config) => {
        const n = f.deps.neutron(config);
        return { ...n, hasExtension: async (alias) => { askedNeutron(); await answered; return n.hasExtension(alias); } };
      },
    };
    let err = '';
    let out = '';
    const run = doctorCommand({ configFile: [], configDir: [], json: false, verbose: false }, slow, { out: (x) => { out += x; }, err: (x) => { err += x; } });
    await neutronAsked;
    // Neutron has not answered: what was printed so far ends with the step that waits for it
    const lines = err.trimEnd().split('\n');
    assert.equal(lines.at(-1), '… asking Neutron (Neutron http://neutron.test:9696/ (noauth))');
    assert.ok(lines.includes('  ok   config'), err);
    assert.ok(lines.includes('  ok   state'), err);
    assert.equal(out, '', 'the table comes at the end');
    answer();
    const report = await run;
    assert.equal(report.exitCode, 0);
    assert.match(err, /^ {2}ok {3}neutron\.api$/m);
    assert.match(err, /^… asking dockerd which networks use the plugin\n {2}ok {3}docker\n$/m);
    assert.match(out, /^kuryr doctor: host /);
  });

  test('--json prints no progress (stdout is one JSON document, stderr stays empty)', async (t) => {
    const f = await fixture(t);
    let err = '';
    let out = '';
    await doctorCommand({ configFile: [], configDir: [], json: true, verbose: false }, f.deps, { out: (x) => { out += x; }, err: (x) => { err += x; } });
    assert.equal(err, '');
    assert.equal((JSON.parse(out) as { v: number }).v, 1);
  });
});

describe('doctor: healthy host', () => {
  test('every check ok (trunk not needed), exit 0, the evidence shows what was looked at', async (t) => {
    const f = await fixture(t, { lockPid: 4242 });
    const r = await runDoctor(f.deps);
    assert.deepEqual(statuses(r), HEALTHY);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.counts, { ok: 14, warn: 0, fail: 0, skip: 1 });
    assert.equal(r.host, HOST);
    assert.ok(find(r, 'sriov.agent').evidence.some((e) => e.includes('agent_type=NIC Switch agent&host=host-a')));
    assert.deepEqual(find(r, 'sriov.pf.ens1f0').evidence, [
      `${f.sys}/class/net/ens1f0: PCI 0000:03:00.0, driver ixgbe, 8086:10fb, physnet physnet1`,
      'sriov_numvfs 4 (sriov_totalvfs 63)', 'VFs with a netdev on the host: 4 of 4', 'held (VF ledger): 0',
      'excluded ([sriov] exclude_devices): 0', 'free: 4',
    ]);
    assert.match(find(r, 'plugin.socket').evidence.join('\n'), /kuryr\.lock: pid 4242 \(held: a plugin is running\)/);
    assert.match(find(r, 'docker').evidence.join('\n'), /sriov-net \(driver kuryr, ipam kuryr\)/);
    assert.ok(r.checks.every((c) => c.status !== 'ok' || c.fix === ''), 'no fix line for ok checks');
  });

  test('held and excluded VFs are counted from the ledger and [sriov] exclude_devices', async (t) => {
    const f = await fixture(t, { extra: '\n[sriov]\nexclude_devices = ens1f0:0000:03:10.6' });
    await mkdir(f.statePath, { recursive: true });
    await writeFile(join(f.statePath, 'sriov-state.json'), JSON.stringify({
      v: 1, endpoints: {
        ep1: { endpointId: 'ep1'.padEnd(64, '0'), portId: 'p1', pci: '0000:03:10.2', pf: 'ens1f0', vfIndex: 1, vnicType: 'direct', allocated: true, since: '2025-01-01T00:00:00Z' },
      },
    }));
    const r = await runDoctor(f.deps);
    const pf = find(r, 'sriov.pf.ens1f0');
    assert.equal(pf.status, 'ok');
    assert.equal(pf.summary, 'PF ens1f0: 4 VFs, 2 free, 1 held');
    assert.ok(pf.evidence.includes('excluded ([sriov] exclude_devices): 1'));
    assert.ok(pf.evidence.some((e) => e.startsWith('held (VF ledger): 1 — 0000:03:10.2 by endpoint ep1000000000')));
    assert.equal(find(r, 'state').summary, 'state_path readable; 1 VF(s) held in the ledger');
  });
});

describe('doctor: broken states, one verdict each', () => {
  test('NIC Switch agent missing for the configured host → sriov.agent fail, mappings skipped, exit 2', async (t) => {
    const f = await fixture(t, { agents: [nicSwitchAgent('host-b'), nicSwitchAgent('host-c')] });
    const r = await runDoctor(f.deps);
    const s = statuses(r);
    assert.equal(s['sriov.agent'], 'fail');
    assert.equal(s['sriov.mappings'], 'skip');
    assert.equal(r.exitCode, 2);
    const c = find(r, 'sriov.agent');
    assert.match(c.summary, /no NIC Switch agent on host host-a/);
    assert.ok(c.evidence.includes('NIC Switch agents exist on: host-b, host-c'), c.evidence.join('\n'));
    assert.match(c.fix, /neutron-sriov-nic-agent.*\[DEFAULT\] host/);
    // the host-side checks still run
    assert.equal(s['sriov.pf.ens1f0'], 'ok');
  });

  test('an agent that is not alive → fail', async (t) => {
    const f = await fixture(t, { agents: [nicSwitchAgent(HOST, undefined, { alive: false, heartbeat_timestamp: '2025-01-01 00:00:00' })] });
    const r = await runDoctor(f.deps);
    const c = find(r, 'sriov.agent');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /not alive/);
    assert.ok(c.evidence.some((e) => e.includes('alive=false, last heartbeat 2025-01-01 00:00:00')));
  });

  test('an agent administratively down → warn', async (t) => {
    const f = await fixture(t, { agents: [nicSwitchAgent(HOST, undefined, { admin_state_up: false })] });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'sriov.agent').status, 'warn');
    assert.equal(r.exitCode, 1);
  });

  test('physnet mismatch → sriov.mappings fail, both sides shown', async (t) => {
    const f = await fixture(t, { mappings: 'physnet9:ens1f0' });
    const r = await runDoctor(f.deps);
    const c = find(r, 'sriov.mappings');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /physnet9 are not in the agent's device_mappings/);
    assert.deepEqual(c.evidence, [
      'ours ([sriov] physical_device_mappings): physnet9:[ens1f0]',
      'agent agent-host-a device_mappings: physnet1:[ens1f0,ens2f0] physnet2:[ens1f1]',
    ]);
    assert.equal(r.exitCode, 2);
  });

  test('a PF the agent does not manage → sriov.mappings warn', async (t) => {
    const f = await fixture(t, { agents: [nicSwitchAgent(HOST, { physnet1: ['ens1f0'] })] });
    const r = await runDoctor(f.deps);
    const c = find(r, 'sriov.mappings');
    assert.equal(c.status, 'warn');
    assert.match(c.summary, /physnet1:ens2f0 are not managed by the agent/);
    assert.equal(r.exitCode, 1);
  });

  test('no [sriov] physical_device_mappings → warn (only pci_slot ports), no PF checks', async (t) => {
    const f = await fixture(t, { mappings: '' });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'sriov.mappings').status, 'warn');
    assert.equal(find(r, 'sriov.pf').status, 'skip');
  });

  test('PF without VFs (sriov_numvfs 0) → sriov.pf fail with the sysfs fix', async (t) => {
    const s = spec();
    s.pfs![0] = { ...s.pfs![0]!, vfs: [], numVfs: 0 };
    const f = await fixture(t, { spec: s });
    const r = await runDoctor(f.deps);
    const c = find(r, 'sriov.pf.ens1f0');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, 'PF ens1f0 has no VFs (sriov_numvfs is 0)');
    assert.ok(c.evidence.includes('sriov_numvfs 0 (sriov_totalvfs 63)'));
    assert.equal(c.fix.startsWith(`echo <n> > ${f.sys}/class/net/ens1f0/device/sriov_numvfs (n ≤ 63)`), true, c.fix);
    assert.equal(find(r, 'sriov.pf.ens2f0').status, 'ok');
    assert.equal(r.exitCode, 2);
  });

  test('a mapped PF that does not exist, and a NIC that is not SR-IOV capable → fail', async (t) => {
    const f = await fixture(t, { mappings: 'physnet1:ens9f9,physnet1:eno1', agents: [nicSwitchAgent(HOST, { physnet1: ['ens9f9', 'eno1'] })] });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'sriov.pf.ens9f9').summary, `PF ens9f9 does not exist (no ${f.sys}/class/net/ens9f9)`);
    assert.equal(find(r, 'sriov.pf.eno1').summary, 'eno1 is not SR-IOV capable (no sriov_totalvfs)');
    assert.equal(find(r, 'sriov.pf.ens9f9').status, 'fail');
  });

  test('VFs without netdevs (vfio-pci) → fail; every VF held → warn', async (t) => {
    const f = await fixture(t, { spec: spec({ vfio: true }) });
    const r = await runDoctor(f.deps);
    assert.match(find(r, 'sriov.pf.ens1f0').summary, /none of the 4 VFs of ens1f0 has a netdev/);
    assert.equal(find(r, 'sriov.pf.ens1f0').status, 'fail');

    const g = await fixture(t, { mappings: 'physnet1:ens2f0' });
    await mkdir(g.statePath, { recursive: true });
    const endpoints = Object.fromEntries(MLX_VFS.map((pci, i) => [`ep${i}`, {
      endpointId: `ep${i}`, portId: `p${i}`, pci, pf: 'ens2f0', vfIndex: i, vnicType: 'direct', allocated: true, since: '2025-01-01T00:00:00Z',
    }]));
    await writeFile(join(g.statePath, 'sriov-state.json'), JSON.stringify({ v: 1, endpoints }));
    const r2 = await runDoctor(g.deps);
    const c = find(r2, 'sriov.pf.ens2f0');
    assert.equal(c.status, 'warn');
    assert.match(c.summary, /no free VF \(4 held, 0 excluded/);
    assert.match(c.fix, /kuryr vf list/);
  });

  test('socket gone (plugin not running) → plugin.socket fail; a stale socket → fail; permission → skip', async (t) => {
    const f = await fixture(t, { socket: { kind: 'missing' }, lockPid: 999999 });
    const r = await runDoctor(f.deps);
    const c = find(r, 'plugin.socket');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, 'the plugin socket /run/docker/plugins/kuryr.sock does not exist: the plugin is not running');
    assert.ok(c.evidence.some((e) => /kuryr\.lock: pid 999999 \(not held: a stale lock/.test(e)), c.evidence.join('\n'));
    assert.equal(r.exitCode, 2);

    const stale = await runDoctor((await fixture(t, { socket: { kind: 'refused', detail: 'ECONNREFUSED' } })).deps);
    assert.match(find(stale, 'plugin.socket').summary, /a stale socket file/);
    assert.equal(find(stale, 'plugin.socket').status, 'fail');

    const denied = await runDoctor((await fixture(t, { socket: { kind: 'denied', detail: 'EACCES' } })).deps);
    assert.equal(find(denied, 'plugin.socket').status, 'skip');
    assert.equal(denied.exitCode, 0);

    const foreign = await runDoctor((await fixture(t, { socket: { kind: 'answered', status: 200, body: { Implements: ['VolumeDriver'] } } })).deps);
    assert.equal(find(foreign, 'plugin.socket').status, 'fail');
  });

  test('wrong password (fake Neutron refuses) → neutron.api fail, everything Neutron-side skipped', async (t) => {
    const f = await fixture(t);
    f.neutron.failOn('hasExtension', new PluginError('ERR_NEUTRON_AUTH', 'Keystone refused the credentials for user kuryr at http://ks.test/v3 (401)'));
    const r = await runDoctor(f.deps);
    const s = statuses(r);
    assert.equal(s['neutron.api'], 'fail');
    assert.equal(find(r, 'neutron.api').summary, 'Keystone refused the credentials (authentication failed)');
    for (const id of ['neutron.ext.subnet_allocation', 'neutron.ext.binding', 'neutron.ext.standard-attr-tag', 'sriov.agent', 'sriov.mappings']) {
      assert.equal(s[id], 'skip', id);
    }
    assert.equal(s['sriov.pf.ens1f0'], 'ok', 'host checks do not need Neutron');
  });

  test('Neutron down (fake Neutron unreachable) → neutron.api fail', async (t) => {
    const f = await fixture(t);
    f.neutron.failOn('hasExtension', new UnavailableError('ERR_NEUTRON_UNAVAILABLE', 'GET /v2.0/extensions/subnet_allocation: Neutron unreachable (ECONNREFUSED)'));
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'neutron.api').summary, 'Neutron (or Keystone) is not reachable');
    assert.match(find(r, 'neutron.api').evidence.join('\n'), /ECONNREFUSED/);
    assert.equal(r.exitCode, 2);
  });

  test('agents not listable (policy) → sriov.agent warn', async (t) => {
    const f = await fixture(t);
    f.neutron.failOn('listAgents', new PluginError('ERR_NEUTRON_FORBIDDEN', 'GET /v2.0/agents: 403'));
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'sriov.agent').status, 'warn');
    assert.equal(find(r, 'sriov.mappings').status, 'skip');
  });

  test('extensions: subnet_allocation or binding missing → fail; standard-attr-tag missing → warn (names mode)', async (t) => {
    const f = await fixture(t, { extensions: ZED_EXTENSIONS.filter((e) => e !== 'standard-attr-tag') });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'neutron.ext.standard-attr-tag').status, 'warn');
    assert.match(find(r, 'neutron.ext.standard-attr-tag').evidence.join('\n'), /names mode/);
    assert.equal(r.exitCode, 1);
    const g = await fixture(t, { extensions: ZED_EXTENSIONS.filter((e) => e !== 'subnet_allocation' && e !== 'binding') });
    const r2 = await runDoctor(g.deps);
    assert.equal(find(r2, 'neutron.ext.subnet_allocation').status, 'fail');
    assert.equal(find(r2, 'neutron.ext.binding').status, 'fail');
  });

  test('IOMMU: none → warn; on the kernel command line → ok', async (t) => {
    const off = await runDoctor((await fixture(t, { iommuGroups: 0 })).deps);
    assert.equal(find(off, 'host.iommu').status, 'warn');
    assert.ok(find(off, 'host.iommu').evidence.includes('/proc/cmdline IOMMU flags: (none)'));
    const on = await runDoctor((await fixture(t, { iommuGroups: 0, cmdline: 'ro quiet intel_iommu=on iommu=pt' })).deps);
    assert.equal(find(on, 'host.iommu').status, 'ok');
    assert.equal(find(on, 'host.iommu').summary, 'IOMMU enabled on the kernel command line (intel_iommu=on)');
    const amdOff = await runDoctor((await fixture(t, { iommuGroups: 0, cmdline: 'amd_iommu=off' })).deps);
    assert.equal(find(amdOff, 'host.iommu').status, 'warn');
  });

  test('dockerd: absent → skip, down → warn, socket outside /run/docker/plugins → warn', async (t) => {
    const absent = await runDoctor((await fixture(t, { docker: { kind: 'absent', where: 'unix:///run/docker.sock' } })).deps);
    assert.equal(find(absent, 'docker').status, 'skip');
    const down = await runDoctor((await fixture(t, { docker: { kind: 'unreachable', where: 'unix:///x/docker.sock', detail: 'ECONNREFUSED', explicit: true } })).deps);
    assert.equal(find(down, 'docker').status, 'warn');
    assert.match(find(down, 'docker').fix, /DOCKER_HOST/);
    const elsewhere = await runDoctor((await fixture(t, { extra: '\n[DEFAULT]\nkuryr_uri = unix:///tmp/kuryr.sock' })).deps);
    assert.equal(find(elsewhere, 'docker').status, 'warn');
    assert.match(find(elsewhere, 'docker').summary, /does not look for plugin sockets in \/tmp/);
  });

  test('state: a corrupt ledger → fail; an unreadable one → skip', async (t) => {
    const f = await fixture(t);
    await mkdir(f.statePath, { recursive: true });
    await writeFile(join(f.statePath, 'sriov-state.json'), '{not json');
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'state').status, 'fail');
    assert.match(find(r, 'state').fix, /move .*sriov-state\.json aside/);

    const g = await fixture(t);
    g.deps.readLedger = async () => { throw new PluginError('ERR_STATE_CORRUPT', 'x', { cause: Object.assign(new Error('EACCES'), { code: 'EACCES' }) }); };
    g.deps.root = false;
    const readAsUser = g.deps.readFile;
    g.deps.readFile = async (p) => {
      if (p.endsWith('kuryr.lock')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      return readAsUser(p);
    };
    const r2 = await runDoctor(g.deps);
    assert.equal(find(r2, 'state').status, 'skip');
    assert.match(find(r2, 'state').summary, /EACCES.*run doctor as root/);
    assert.deepEqual(find(r2, 'state').evidence, [`instance lock ${join(g.statePath, 'kuryr.lock')}: cannot be read (EACCES)`]);
    assert.match(renderHuman(r2).split('\n')[0]!, /\(not root: some checks may be skipped\)$/);
    assert.equal(find(r2, 'sriov.pf.ens1f0').summary, 'PF ens1f0: 4 VFs, 4 with a netdev on the host (held unknown: ledger unread)');
  });
});

describe('doctor: configuration and drivers', () => {
  test('a file that does not parse → config fail, everything else skip, exit 2', async (t) => {
    const f = await fixture(t, { configText: () => 'orphan = 1\n[DEFAULT]\n' });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'config').status, 'fail');
    assert.match(find(r, 'config').evidence.join('\n'), /ERR_CONFIG_PARSE/);
    assert.ok(r.checks.slice(1).every((c) => c.status === 'skip'), JSON.stringify(statuses(r)));
    assert.equal(r.exitCode, 2);
  });

  test('sriov without hw_veb → drivers fail (config read fine)', async (t) => {
    const f = await fixture(t, { configText: ({ statePath }) => `[DEFAULT]\nstate_path = ${statePath}\nenabled_port_drivers = veth, sriov\n[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n` });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'config').status, 'ok');
    assert.equal(find(r, 'drivers').status, 'fail');
    assert.match(find(r, 'drivers').summary, /sriov is not compatible/);
  });

  test('hw_veb without the sriov port driver → warn; a port driver this build lacks → fail; trunk then checked', async (t) => {
    const f = await fixture(t, { configText: ({ statePath }) => `[DEFAULT]\nstate_path = ${statePath}\n[binding]\nenabled_drivers = veth, hw_veb\n[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n` });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'drivers').status, 'warn');
    assert.equal(find(r, 'sriov.agent').status, 'skip');
    assert.equal(find(r, 'sriov.agent').summary, 'not checked: the sriov port driver is not enabled');

    const g = await fixture(t, {
      extensions: ZED_EXTENSIONS.filter((e) => e !== 'trunk'),
      configText: ({ statePath }) => `[DEFAULT]\nstate_path = ${statePath}\nenabled_port_drivers = veth, nested\n[binding]\nenabled_drivers = veth, macvlan\n[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n`,
    });
    const r2 = await runDoctor(g.deps);
    assert.equal(find(r2, 'drivers').status, 'fail');
    assert.match(find(r2, 'drivers').summary, /nested are not implemented in this build/);
    assert.equal(find(r2, 'neutron.ext.trunk').status, 'fail');
  });

  test('configuration warnings → config warn', async (t) => {
    const f = await fixture(t, { extra: '\n[DEFAULT]\nno_such_option = 1' });
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'config').status, 'warn');
    assert.match(find(r, 'config').evidence.join('\n'), /warning: .*no_such_option/);
  });
});

describe('doctor through the real Neutron client', () => {
  async function listen(t: TestContext, handler: Parameters<typeof createHttpServer>[1]): Promise<string> {
    const server: Server = createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { server.close(() => resolve()); }));
    const a = server.address();
    return `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  }

  test('wrong Keystone password → neutron.api fail (authentication), no secret anywhere in the report', async (t) => {
    const seen: string[] = [];
    const keystone = await listen(t, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        assert.match(body, /S3cret-pw!/, 'the password went to Keystone (and only there)');
        res.writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }));
      });
    });
    const f = await fixture(t, {
      configText: ({ sys, statePath }) => [
        '[DEFAULT]', `host = ${HOST}`, `state_path = ${statePath}`, 'enabled_port_drivers = veth, sriov', '[binding]', 'enabled_drivers = veth, hw_veb',
        '[neutron]', 'auth_type = password', `auth_url = ${keystone}/v3`, 'username = kuryr', 'password = S3cret-pw!',
        'user_domain_name = Default', 'project_name = service', 'project_domain_name = Default',
        '[sriov]', `sysfs_root = ${sys}`, 'physical_device_mappings = physnet1:ens1f0',
      ].join('\n'),
    });
    f.deps.neutron = realDoctorDeps({ configFile: [], configDir: [] }).neutron;
    const r = await runDoctor(f.deps);
    const c = find(r, 'neutron.api');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, 'Keystone refused the credentials (authentication failed)');
    assert.ok(c.evidence.some((e) => e.includes(`Keystone ${keystone}/v3`)), c.evidence.join('\n'));
    assert.match(c.evidence.join('\n'), /ERR_NEUTRON_AUTH: Keystone refused the credentials for user kuryr/);
    assert.deepEqual(seen, ['POST /v3/auth/tokens'], 'one attempt, no retries');
    for (const text of [renderJson(r), renderHuman(r, { verbose: true })]) assert.doesNotMatch(text, /S3cret/);
    assert.equal(r.exitCode, 2);
  });

  test('Neutron down (nothing listens) → neutron.api fail within one attempt', async (t) => {
    const f = await fixture(t, { extra: '\n[neutron]\nendpoint_override = http://127.0.0.1:1' });
    f.deps.neutron = realDoctorDeps({ configFile: [], configDir: [] }).neutron;
    const started = Date.now();
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'neutron.api').summary, 'Neutron (or Keystone) is not reachable');
    assert.match(find(r, 'neutron.api').evidence.join('\n'), /target: Neutron http:\/\/127\.0\.0\.1:1\/ \(noauth\)/);
    assert.ok(Date.now() - started < 5000, 'no retry back-off');
  });

  test('a real Neutron answer (extensions, agents) through the HTTP client → ok', async (t) => {
    const agents = [nicSwitchAgent(HOST)];
    const neutron = await listen(t, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (url.pathname.startsWith('/v2.0/extensions/')) {
        res.end(JSON.stringify({ extension: { alias: url.pathname.split('/').pop() } }));
      } else if (url.pathname === '/v2.0/agents') {
        res.end(JSON.stringify({ agents: agents.filter((a) => a.host === url.searchParams.get('host') && a.agent_type === url.searchParams.get('agent_type')) }));
      } else {
        res.writeHead(404).end('{}');
      }
    });
    const f = await fixture(t, { extra: `\n[neutron]\nendpoint_override = ${neutron}` });
    f.deps.neutron = realDoctorDeps({ configFile: [], configDir: [] }).neutron;
    const r = await runDoctor(f.deps);
    assert.deepEqual(statuses(r), HEALTHY);
  });
});

describe('doctor probes (real sockets)', () => {
  test('probeSocket: a serving plugin answers Activate; a missing socket is "missing"', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kuryr-probe-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'p.sock');
    const app = createServer(testContext(createFakeNeutron()), { logger: pino({ level: 'silent' }) });
    await app.listen({ path });
    t.after(() => app.close());
    const p = await probeSocket({ kind: 'unix', path });
    assert.deepEqual(p, { kind: 'answered', status: 200, body: { Implements: ['NetworkDriver', 'IpamDriver'] } });
    assert.deepEqual(await probeSocket({ kind: 'unix', path: join(dir, 'gone.sock') }), { kind: 'missing' });
    const refused = await probeSocket({ kind: 'tcp', host: '127.0.0.1', port: 1, tls: false });
    assert.equal(refused.kind, 'refused');
    assert.equal(pluginName({ kind: 'unix', path }), 'p');
    assert.equal(describeTarget({ kind: 'tcp', host: '127.0.0.1', port: 23750, tls: false }), 'http://127.0.0.1:23750');
  });

  test('probeDocker / container lookup against a dockerd stand-in on a unix socket', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kuryr-dockerd-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const sock = join(dir, 'docker.sock');
    const server = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/info') res.end(JSON.stringify({ ServerVersion: '20.10.24', Plugins: { Network: ['bridge', 'host', 'kuryr'] } }));
      else if (req.url === '/networks') {
        res.end(JSON.stringify([
          { Id: 'n1', Name: 'sriov-net', Driver: 'kuryr', IPAM: { Driver: 'kuryr' } },
          { Id: 'n2', Name: 'bridge', Driver: 'bridge', IPAM: { Driver: 'default' } },
        ]));
      } else if (req.url === '/networks/n1') {
        res.end(JSON.stringify({ Id: 'n1', Containers: { c0ffee1234567890: { Name: 'web1', EndpointID: 'ep-1' } } }));
      } else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    t.after(() => new Promise<void>((resolve) => { server.close(() => resolve()); }));
    const env = { DOCKER_HOST: `unix://${sock}` };
    assert.deepEqual(await probeDocker(env, 'kuryr'), {
      kind: 'answered', where: `unix://${sock}`, version: '20.10.24', networkPlugins: ['bridge', 'host', 'kuryr'],
      networks: [{ name: 'sriov-net', driver: 'kuryr', ipamDriver: 'kuryr' }],
    });
    assert.deepEqual([...await dockerContainersByEndpoint(env, 'kuryr')], [['ep-1', 'web1']]);
    const gone = await probeDocker({ DOCKER_HOST: `unix://${join(dir, 'nope.sock')}` }, 'kuryr');
    assert.equal(gone.kind, 'unreachable');
    assert.equal((await probeDocker({ DOCKER_HOST: 'ssh://me@host' }, 'kuryr')).kind, 'unreachable');
  });
});

describe('doctor output', () => {
  test('human table: warn/fail carry evidence and fix; JSON round-trips; exit codes 0/1/2', async (t) => {
    const f = await fixture(t, { iommuGroups: 0, socket: { kind: 'missing' } });
    const r = await runDoctor(f.deps);
    assert.equal(r.exitCode, 2);
    const text = renderHuman(r);
    assert.match(text, /^kuryr doctor: host host-a\n\nSTATUS {2}CHECK {2,}SUMMARY\n/);
    assert.match(text, /\nFAIL {4}plugin\.socket {2,}the plugin socket \/run\/docker\/plugins\/kuryr\.sock does not exist: the plugin is not running\n {10}· POST unix:\/\/\/run\/docker\/plugins\/kuryr\.sock \/Plugin\.Activate → no such socket\n/);
    assert.match(text, /\n {10}fix: start the plugin/);
    assert.match(text, /\nWARN {4}host\.iommu /);
    assert.match(text, /\nok {6}neutron\.api {2,}Neutron answered and accepted the credentials\n/);
    assert.doesNotMatch(text, /· target: Neutron/, 'ok evidence only with --verbose');
    assert.match(renderHuman(r, { verbose: true }), /· target: Neutron/);
    assert.match(text, /\n12 ok, 1 warn, 1 fail, 1 skip — exit 2\n$/);
    assert.deepEqual(JSON.parse(renderJson(r)), JSON.parse(JSON.stringify(r)));

    const w = await runDoctor((await fixture(t, { iommuGroups: 0 })).deps);
    assert.equal(w.exitCode, 1);
  });

  test('a ConfigError from the loader is a verdict, not a crash', async (t) => {
    const f = await fixture(t);
    f.deps.loadConfig = async () => { throw new ConfigError('ERR_CONFIG_VALUE', '[neutron] insecure = maybe: not a boolean'); };
    const r = await runDoctor(f.deps);
    assert.equal(find(r, 'config').status, 'fail');
    assert.match(find(r, 'config').fix, /correct the option/);
    assert.equal(renderHuman(r).split('\n')[0], 'kuryr doctor: host (unknown: no configuration)');
  });
});

test('docs/troubleshooting.md has a section for every check id', async () => {
  const doc = await readFile(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
  const headings = doc.split('\n').filter((l) => l.startsWith('## '));
  const missing = CHECK_IDS.filter((id) => !headings.some((h) => h.includes(`\`${id === 'sriov.pf' ? 'sriov.pf.<pf>' : id}\``)));
  assert.deepEqual(missing, []);
});
