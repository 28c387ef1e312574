// `kuryr doctor` (and `kuryr vf`, and the metrics listener) as an operator runs them — `node bin/kuryr.js …`
// — against the real testbed: real Neutron (with the fake, alive NIC Switch agents of $KURYR_TEST_HOST and
// kuryr-test-other: device_mappings physnet1:[ens1f0,ens2f0], physnet2:[ens1f1]), real Keystone, the real
// dockerd, and the real plugin started from its CLI with SR-IOV on over a fake sysfs tree (PFs ens1f0 and
// ens2f0, 4 VFs each, IOMMU groups present). Healthy first, then one broken state per case, each with its
// expected verdict: NIC Switch agent missing for the configured host, physnet mismatch, PF without VFs, wrong
// Keystone password, socket gone (plugin stopped).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSysfsTree, writeFakeSriovState, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { testbed, type Testbed } from '../helpers/testbed.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin/kuryr.js');
const FAKE_IP_DIR = join(REPO, 'test/helpers/fake-ip');

type Status = 'ok' | 'warn' | 'fail' | 'skip';
interface Check { id: string; status: Status; summary: string; evidence: string[]; fix: string }
interface Report { host: string; checks: Check[]; exitCode: number; counts: Record<Status, number> }

function kuryr(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function doctor(configFiles: string[]): Promise<{ code: number; report: Report }> {
  const r = await kuryr(['doctor', ...configFiles.flatMap((f) => ['--config-file', f]), '--json']);
  assert.equal(r.stderr, '', 'doctor writes nothing to stderr');
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

function statuses(r: Report): Record<string, Status> {
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
}
function find(r: Report, id: string): Check {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id}`);
  return c;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const INTEL_VFS = ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'];
const MLX_VFS = ['0000:82:00.2', '0000:82:00.3', '0000:82:00.4', '0000:82:00.5'];
function spec(intelVfs: number): SysfsTreeSpec {
  return {
    pfs: [
      {
        name: 'ens1f0', pci: '0000:03:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
        numVfs: intelVfs,
        vfs: INTEL_VFS.slice(0, intelVfs).map((pci, index) => ({ index, pci, netdev: `kdoc1v${index}`, driver: 'ixgbevf' })),
      },
      {
        name: 'ens2f0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
        vfs: MLX_VFS.map((pci, index) => ({ index, pci, netdev: `kdoc2v${index}`, driver: 'mlx5_core' })),
      },
    ],
  };
}

describe('kuryr doctor against the testbed', () => {
  let tb: Testbed;
  let dir = '';
  let plugin: PluginProcess | undefined;
  let baseConfig = '';
  let metricsPort = 0;
  const fakeIpEnv: Record<string, string> = {};
  /** a config override file (later --config-file wins) */
  async function override(name: string, text: string): Promise<string> {
    const f = join(dir, `${name}.conf`);
    await writeFile(f, `${text}\n`);
    return f;
  }

  before(async () => {
    tb = testbed();
    dir = await mkdtemp(join(tmpdir(), 'kuryr-doctor-e2e-'));
    const sys = join(dir, 'sys');
    await buildSysfsTree(sys, spec(4));
    for (let i = 0; i < 3; i += 1) await mkdir(join(sys, 'kernel/iommu_groups', String(i)), { recursive: true });
    await buildSysfsTree(join(dir, 'sys-novfs'), spec(0));
    await writeFakeSriovState(join(dir, 'pf'), spec(4));
    Object.assign(fakeIpEnv, {
      PATH: `${FAKE_IP_DIR}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      KURYR_FAKE_SRIOV_DIR: join(dir, 'pf'), KURYR_FAKE_SYSFS: sys, KURYR_FAKE_IP_NODE: process.execPath,
    });
    metricsPort = await freePort();
    plugin = await startPlugin({
      neutronUrl: tb.neutronUrl, host: tb.host, env: fakeIpEnv,
      extraConfig: [
        '[DEFAULT]',
        `metrics_uri = http://127.0.0.1:${metricsPort}`,
        'enabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov',
        '[binding]', 'enabled_drivers = kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb',
        '[sriov]', `sysfs_root = ${sys}`, 'physical_device_mappings = physnet1:ens1f0,physnet1:ens2f0',
      ].join('\n'),
    });
    baseConfig = plugin.configFile;
  });

  after(async () => {
    if (plugin !== undefined) {
      await plugin.stop();
      await cleanupPluginDir(plugin);
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('healthy: every check ok (trunk not needed), exit 0; the human table says so', async () => {
    const { code, report } = await doctor([baseConfig]);
    assert.deepEqual(statuses(report), {
      config: 'ok', drivers: 'ok', state: 'ok', 'neutron.api': 'ok', 'neutron.ext.subnet_allocation': 'ok', 'neutron.ext.binding': 'ok',
      'neutron.ext.standard-attr-tag': 'ok', 'neutron.ext.trunk': 'skip', 'sriov.agent': 'ok', 'sriov.mappings': 'ok',
      'sriov.pf.ens1f0': 'ok', 'sriov.pf.ens2f0': 'ok', 'host.iommu': 'ok', 'plugin.socket': 'ok', docker: 'ok',
    }, JSON.stringify(report, null, 2));
    assert.equal(code, 0);
    assert.equal(report.exitCode, 0);
    assert.equal(report.host, tb.host);
    assert.match(find(report, 'plugin.socket').evidence.join('\n'), /kuryr\.lock: pid \d+ \(held: a plugin is running\)/);
    assert.match(find(report, 'docker').summary, /^dockerd .* answers; 0 network\(s\) use driver kuryr-t/);

    const human = await kuryr(['doctor', '--config-file', baseConfig]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`^kuryr doctor: host ${tb.host}\\n`));
    assert.match(human.stdout, /\nok {6}sriov\.agent {2,}NIC Switch agent alive on host /);
    assert.match(human.stdout, /\n14 ok, 0 warn, 0 fail, 1 skip — exit 0\n$/);
  });

  test('the plugin\'s /metrics: Docker calls (doctor\'s Activate), Neutron calls, VFs per PF', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /\nkuryr_plugin_requests_total\{method="Plugin\.Activate",outcome="ok"\} [1-9]\d*\n/);
    assert.match(text, /\nkuryr_neutron_requests_total\{method="GET",path="\/v2\.0\/extensions\/\{alias\}",status="200"\} [1-9]\d*\n/);
    assert.match(text, /\nkuryr_sriov_vfs\{pf="ens1f0",physnet="physnet1"\} 4\n/);
    assert.match(text, /\nkuryr_sriov_vfs_free\{pf="ens2f0",physnet="physnet1"\} 4\n/);
    assert.match(text, /\nkuryr_sriov_reconcile_runs_total\{outcome="ok"\} [1-9]\d*\n/);
  });

  test('kuryr vf list / vf release with the plugin running: read-only listing, release through the plugin', async () => {
    const list = await kuryr(['vf', 'list', '--config-file', baseConfig, '--json'], fakeIpEnv);
    assert.equal(list.code, 0, list.stderr);
    const listing = JSON.parse(list.stdout) as { rows: { pf: string; pci: string; state: string; mac: string | null; vlan: number | null }[]; problems: string[] };
    assert.deepEqual(listing.problems, []);
    assert.equal(listing.rows.length, 8);
    assert.ok(listing.rows.every((r) => r.state === 'free' && r.mac === '00:00:00:00:00:00' && r.vlan === 0), list.stdout);
    const rel = await kuryr(['vf', 'release', INTEL_VFS[0]!, '--config-file', baseConfig]);
    assert.equal(rel.code, 0, rel.stderr);
    assert.equal(rel.stdout, `VF ${INTEL_VFS[0]} is not held by any endpoint: nothing to release (through the running plugin)\n`);
  });

  test('NIC Switch agent missing for the configured host → sriov.agent fail, exit 2', async () => {
    const { code, report } = await doctor([baseConfig, await override('noagent', '[DEFAULT]\nhost = kuryr-doctor-noagent')]);
    const c = find(report, 'sriov.agent');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, 'no NIC Switch agent on host kuryr-doctor-noagent: Neutron cannot bind direct ports here (vif_type binding_failed)');
    assert.ok(c.evidence.some((e) => e.startsWith('NIC Switch agents exist on: ') && e.includes(tb.host)), c.evidence.join('\n'));
    assert.equal(find(report, 'sriov.mappings').status, 'skip');
    assert.equal(code, 2);
  });

  test('physnet mismatch → sriov.mappings fail with both sides, exit 2', async () => {
    const { code, report } = await doctor([baseConfig, await override('physnet', '[sriov]\nphysical_device_mappings = physnet9:ens1f0')]);
    const c = find(report, 'sriov.mappings');
    assert.equal(c.status, 'fail');
    assert.match(c.summary, /physnet9 are not in the agent's device_mappings/);
    assert.equal(c.evidence[0], 'ours ([sriov] physical_device_mappings): physnet9:[ens1f0]');
    assert.match(c.evidence[1]!, /device_mappings: physnet1:\[ens1f0,ens2f0\] physnet2:\[ens1f1\]$/);
    assert.equal(find(report, 'sriov.agent').status, 'ok');
    assert.equal(code, 2);
  });

  test('PF without VFs (sriov_numvfs 0) → sriov.pf.ens1f0 fail, ens2f0 still ok, exit 2', async () => {
    const { code, report } = await doctor([baseConfig, await override('novfs', `[sriov]\nsysfs_root = ${join(dir, 'sys-novfs')}`)]);
    assert.equal(find(report, 'sriov.pf.ens1f0').status, 'fail');
    assert.equal(find(report, 'sriov.pf.ens1f0').summary, 'PF ens1f0 has no VFs (sriov_numvfs is 0)');
    assert.equal(find(report, 'sriov.pf.ens2f0').status, 'ok');
    assert.equal(find(report, 'host.iommu').status, 'warn', 'that tree has no iommu_groups (and this kernel line no intel_iommu=on)');
    assert.equal(code, 2);
  });

  test('Keystone: the right password → neutron.api ok; a wrong one → fail (authentication), the password never printed', async () => {
    const ks = (password: string) => [
      '[neutron]', 'auth_type = password', `auth_url = ${process.env['KURYR_TEST_KEYSTONE_URL']}`,
      `region_name = ${process.env['KURYR_TEST_KEYSTONE_REGION']}`,
      `username = ${process.env['KURYR_TEST_KEYSTONE_USERNAME']}`, `password = ${password}`,
      `user_domain_name = ${process.env['KURYR_TEST_KEYSTONE_USER_DOMAIN_NAME']}`,
      `project_name = ${process.env['KURYR_TEST_KEYSTONE_PROJECT_NAME']}`,
      `project_domain_name = ${process.env['KURYR_TEST_KEYSTONE_PROJECT_DOMAIN_NAME']}`,
      'endpoint_override =',
    ].join('\n');
    const right = await doctor([baseConfig, await override('ks-right', ks(process.env['KURYR_TEST_KEYSTONE_PASSWORD'] ?? ''))]);
    assert.equal(find(right.report, 'neutron.api').status, 'ok', JSON.stringify(find(right.report, 'neutron.api')));
    assert.match(find(right.report, 'neutron.api').evidence[0]!, /catalog network\/public\/RegionOne \(Keystone http:\/\/127\.0\.0\.1:\d+\/v3, user kuryr\)/);
    assert.equal(right.code, 0);

    const wrong = 'Wr0ng-doctor-pw';
    const out = await kuryr(['doctor', '--config-file', baseConfig, '--config-file', await override('ks-wrong', ks(wrong)), '--json']);
    const report = JSON.parse(out.stdout) as Report;
    const c = find(report, 'neutron.api');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, 'Keystone refused the credentials (authentication failed)');
    assert.match(c.evidence.join('\n'), /ERR_NEUTRON_AUTH: Keystone refused the credentials for user kuryr \(domain Default\) at http:\/\/127\.0\.0\.1:\d+\/v3 \(401\)/);
    assert.equal(find(report, 'sriov.agent').status, 'skip');
    assert.equal(out.code, 2);
    const human = await kuryr(['doctor', '-v', '--config-file', baseConfig, '--config-file', join(dir, 'ks-wrong.conf')]);
    for (const text of [out.stdout, out.stderr, human.stdout, human.stderr]) assert.doesNotMatch(text, /Wr0ng/);
  });

  test('socket gone (plugin stopped) → plugin.socket fail, exit 2; vf release then works offline under the lock', async () => {
    assert.ok(plugin);
    await plugin.stop();
    const { code, report } = await doctor([baseConfig]);
    const c = find(report, 'plugin.socket');
    assert.equal(c.status, 'fail');
    assert.equal(c.summary, `the plugin socket ${plugin.socket} does not exist: the plugin is not running`);
    assert.match(c.evidence.join('\n'), /kuryr\.lock: not held/);
    assert.equal(code, 2);
    const others = Object.entries(statuses(report)).filter(([id, s]) => id !== 'plugin.socket' && s !== 'ok' && s !== 'skip');
    assert.deepEqual(others, [], 'everything else still healthy');
    const rel = await kuryr(['vf', 'release', INTEL_VFS[1]!, '--config-file', baseConfig]);
    assert.equal(rel.code, 0, rel.stderr);
    assert.match(rel.stdout, /nothing to release \(no plugin running: ledger edited under the instance lock\)/);
  });
});
