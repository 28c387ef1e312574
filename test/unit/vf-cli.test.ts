// `kuryr vf list` and `kuryr vf release` against a fake sysfs tree (two PFs, 4 VFs each), the FakeExec `ip`
// emulation (VF tables seeded with the operator's settings) and a REAL ledger file whose allocations were made
// through the sriov port driver by the Docker handlers (RequestPool … CreateEndpoint, Join). Release is
// exercised both ways: locally under the instance lock (no plugin) and through a running plugin's admin route
// (a real server on a unix socket, the lock held by a live process) — including the refusals.
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import pino from 'pino';
import { registerVfCommands, vfList, vfRelease, type VfReleaseRoute } from '../../src/cli/vf.ts';
import type { KuryrConfig } from '../../src/config/types.ts';
import type { HandlerContext } from '../../src/context.ts';
import { PluginError } from '../../src/errors.ts';
import { callPlugin } from '../../src/doctor/probes.ts';
import { renderVfListing } from '../../src/doctor/vf-list.ts';
import { RELEASE_VF_METHOD, vfAdminRoutes } from '../../src/doctor/vf-release.ts';
import { createIpLink } from '../../src/host/ip-link.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import { requestAddress } from '../../src/ipam/request-address.ts';
import { requestPool } from '../../src/ipam/request-pool.ts';
import { createEndpoint } from '../../src/network/create-endpoint.ts';
import { createNetwork } from '../../src/network/create-network.ts';
import { join } from '../../src/network/join.ts';
import { tagIdentity } from '../../src/neutron/identity.ts';
import { createPortDriverRegistry } from '../../src/port-drivers/registry.ts';
import { createSriovPortDriver } from '../../src/port-drivers/sriov.ts';
import * as s from '../../src/protocol/schemas.ts';
import { createServer } from '../../src/server/server.ts';
import { createFileVfLedger, type VfState } from '../../src/sriov/ledger.ts';
import { parsePhysicalDeviceMappings } from '../../src/sriov/mappings.ts';
import { acquireInstanceLock, instanceLockHeld } from '../../src/state/instance-lock.ts';
import { holdLock } from '../helpers/lock-holder.ts';
import { fakeClock, recordingPortDriver, testConfig } from '../../src/testing/context.ts';
import { createFakeExec, type FakeExec, type FakeVf } from '../../src/testing/fake-exec.ts';
import { createFakeNeutron, defaultVifTypeFor, type FakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree, netdevToContainer, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';
import { createKeyedMutex } from '../../src/util/keyed-mutex.ts';
import { silentLog } from '../../src/util/log.ts';

const HOST = 'host-a';
const id = () => randomBytes(32).toString('hex');
const INTEL_VFS = ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'];
const MLX_VFS = ['0000:82:00.2', '0000:82:00.3', '0000:82:00.4', '0000:82:00.5'];
const SPEC: SysfsTreeSpec = {
  pfs: [
    {
      name: 'ens1f0', pci: '0000:03:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
      vfs: INTEL_VFS.map((pci, index) => ({ index, pci, netdev: `ens1f0v${index}`, driver: 'ixgbevf' })),
    },
    {
      name: 'ens2f0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
      vfs: MLX_VFS.map((pci, index) => ({ index, pci, netdev: `ens2f0v${index}`, driver: 'mlx5_core' })),
    },
  ],
};
/** the VF tables as the operator left them: admin MACs, VLAN 7, spoof checking off, trust on */
const originalVfs = (pfNo: number): FakeVf[] => [0, 1, 2, 3].map((vf) => ({
  vf, mac: `02:0a:00:00:0${pfNo}:0${vf}`, vlan: 7, qos: 0, vlanProto: '802.1Q', spoofchk: false, trust: true,
  linkState: 'auto', minTxRate: 0, maxTxRate: 0,
}));

interface Rig {
  dir: string;
  sys: string;
  exec: FakeExec;
  neutron: FakeNeutron;
  config: KuryrConfig;
  ctx: HandlerContext;
  driver: ReturnType<typeof createSriovPortDriver>;
  /** live sandboxes: pathExists answers from this set */
  liveSandboxes: Set<string>;
  ledger(): Promise<VfState>;
  /** `docker run` on an SR-IOV network: RequestAddress, CreateEndpoint, Join (with this sandbox key) */
  run(sandboxKey: string): Promise<{ endpointId: string; portId: string; pci: string }>;
}

async function rig(t: TestContext, kuryrUri?: string): Promise<Rig> {
  const dir = await mkdtemp(pathJoin(tmpdir(), 'kuryr-vf-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sys = pathJoin(dir, 'sys');
  await buildSysfsTree(sys, SPEC);
  const exec = createFakeExec();
  exec.links.seed({ ifname: 'ens1f0', address: '02:5f:03:00:00:00', up: true, vfs: originalVfs(1) });
  exec.links.seed({ ifname: 'ens2f0', address: '02:5f:82:00:00:00', up: true, vfs: originalVfs(2) });
  for (const pf of ['ens1f0', 'ens2f0']) for (let i = 0; i < 4; i += 1) exec.links.seed({ ifname: `${pf}v${i}`, address: `02:bb:00:00:0${pf === 'ens1f0' ? 1 : 2}:0${i}`, mtu: 9000 });
  const neutron = createFakeNeutron();
  neutron.vifTypeFor = (port, host) => {
    if (port['binding:vnic_type'] !== 'direct') return defaultVifTypeFor(port, host);
    return { vif_type: 'hw_veb', vif_details: { port_filter: false, vlan: '100' } };
  };
  const net = await neutron.createNetwork({ name: 'sriov-net', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 });
  await neutron.createSubnet({ network_id: net.id, ip_version: 4, cidr: '10.50.0.0/24', gateway_ip: '10.50.0.1', name: 'sriov-subnet' });
  const config = testConfig({
    default: { enabledPortDrivers: ['veth', 'sriov'], host: HOST, statePath: pathJoin(dir, 'state'), ...(kuryrUri === undefined ? {} : { kuryrUri }) },
    binding: { enabledDrivers: ['veth', 'hw_veb'] },
    sriov: { sysfsRoot: sys, physicalDeviceMappings: parsePhysicalDeviceMappings(['physnet1:ens1f0', 'physnet1:ens2f0']), excludeDevices: new Map() },
  });
  const ledgerFile = pathJoin(config.default.statePath, 'sriov-state.json');
  const ledger = createFileVfLedger(ledgerFile);
  const driver = createSriovPortDriver({
    sysfs: createSysfs(sys), ipLink: createIpLink(exec), neutron, ledger, log: silentLog,
    settings: { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices },
  });
  const ctx: HandlerContext = {
    config, neutron, identity: tagIdentity,
    portDrivers: createPortDriverRegistry(config, { veth: () => recordingPortDriver(), sriov: () => driver }),
    locks: createKeyedMutex(), clock: fakeClock(), log: silentLog, pendingCidrs: new Set(), adoptedAddresses: new Set(),
  };
  const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'no_address_space', Pool: '10.50.0.0/24', SubPool: '', Options: {}, V6: false }));
  const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: '10.50.0.1', Options: { RequestAddressType: 'com.docker.network.gateway' } }));
  const networkId = id();
  await createNetwork(ctx, s.createNetworkRequest.parse({
    NetworkID: networkId, Options: { 'com.docker.network.generic': { 'neutron.net.uuid': net.id, 'kuryr.vnic_type': 'direct' } },
    IPv4Data: [{ AddressSpace: 'no_address_space', Pool: '10.50.0.0/24', Gateway: gw.Address }], IPv6Data: [],
  }));
  const liveSandboxes = new Set<string>();
  return {
    dir, sys, exec, neutron, config, ctx, driver, liveSandboxes,
    ledger: () => createFileVfLedger(ledgerFile).read(),
    async run(sandboxKey) {
      const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: '', Options: null }));
      const endpointId = id();
      await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: networkId, EndpointID: endpointId, Options: {},
        Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
      const joined = await join(ctx, s.joinRequest.parse({ NetworkID: networkId, EndpointID: endpointId, SandboxKey: sandboxKey, Options: {} }));
      // dockerd moves the VF netdev into the container: sysfs stops showing it on the host
      await netdevToContainer(sys, joined.InterfaceName.SrcName);
      liveSandboxes.add(sandboxKey);
      const rec = Object.values((await createFileVfLedger(ledgerFile).read()).endpoints).find((r) => r.endpointId === endpointId)!;
      return { endpointId, portId: rec.portId, pci: rec.pci };
    },
  };
}

/** release with no plugin running: this process takes the instance lock and edits the ledger */
function localRoute(r: Rig, calls: string[] = []): VfReleaseRoute {
  return {
    acquireLock: async (path) => { calls.push(`lock ${path}`); return acquireInstanceLock(path); },
    callPlugin: async () => { throw new Error('no plugin should be called'); },
    local: () => ({
      sysfs: createSysfs(r.sys), exec: r.exec, neutron: r.neutron, log: silentLog,
      pathExists: async (p) => r.liveSandboxes.has(p), close: async () => { calls.push('close'); },
    }),
  };
}

function vfState(r: Rig, pf: string, vf: number): FakeVf {
  return structuredClone(r.exec.links.get(pf)!.vfs![vf]!);
}

describe('kuryr vf list', () => {
  test('every VF of the mapped PFs: MAC and VLAN from ip, free or held by endpoint/port/container, with the saved state', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    const b = await r.run('/var/run/docker/netns/bbbbbbbbbbbb');
    const listing = await vfList(r.config, { sysfs: createSysfs(r.sys), exec: r.exec, containers: async () => new Map([[a.endpointId, 'web1']]) });
    assert.deepEqual(listing.problems, []);
    assert.equal(listing.rows.length, 8);
    assert.deepEqual(listing.rows.map((x) => `${x.pf}/${x.vf} ${x.state}`), [
      'ens1f0/0 held', 'ens1f0/1 free', 'ens1f0/2 free', 'ens1f0/3 free', 'ens2f0/0 held', 'ens2f0/1 free', 'ens2f0/2 free', 'ens2f0/3 free',
    ], 'one VF per PF (the allocator spreads them)');
    const held = listing.rows.find((x) => x.pci === a.pci)!;
    const port = r.neutron.state.ports.get(a.portId)!;
    assert.equal(held.netdev, null, 'the netdev is in the container');
    assert.equal(held.mac, port.mac_address, 'the admin MAC is the port\'s');
    assert.equal(held.vlan, 100);
    assert.deepEqual({ ...held.holder, since: '' }, {
      endpointId: a.endpointId, portId: a.portId, netdev: a.pci === INTEL_VFS[0] ? 'ens1f0v0' : 'ens2f0v0',
      sandboxKey: '/var/run/docker/netns/aaaaaaaaaaaa', container: 'web1', since: '', allocated: true,
    });
    assert.deepEqual(held.saved, {
      mac: a.pci === INTEL_VFS[0] ? '02:0a:00:00:01:00' : '02:0a:00:00:02:00', vlan: 7, qos: 0, vlanProto: '802.1Q', spoofchk: false, trust: true,
      linkState: 'auto', minTxRate: 0, maxTxRate: 0, mtu: 9000, netdevMac: a.pci === INTEL_VFS[0] ? '02:bb:00:00:01:00' : '02:bb:00:00:02:00',
    });
    const other = listing.rows.find((x) => x.pci === b.pci)!;
    assert.equal(other.holder?.container, null, 'dockerd did not name it');
    const free = listing.rows.find((x) => x.pf === 'ens1f0' && x.vf === 1)!;
    assert.deepEqual({ netdev: free.netdev, mac: free.mac, vlan: free.vlan, holder: free.holder, saved: free.saved },
      { netdev: 'ens1f0v1', mac: '02:0a:00:00:01:01', vlan: 7, holder: null, saved: null });

    const text = renderVfListing(listing);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^PF +VF +PCI +NETDEV +MAC +VLAN +STATE +ENDPOINT +PORT +CONTAINER +SAVED$/);
    const heldLine = lines.find((l) => l.includes(a.pci))!;
    assert.match(heldLine, new RegExp(`held +${a.endpointId.slice(0, 12)} +${a.portId.slice(0, 8)} +web1 +mac 02:0a:00:00:0[12]:00 vlan 7 spoofchk off trust on state auto mtu 9000`));
    assert.match(heldLine, /\((ens1f0v0|ens2f0v0)\)/, 'the netdev name it had, in parentheses');
    assert.match(lines.find((l) => l.includes(b.pci))!, /\/var\/run\/docker\/netns\/bbbbbbbbbbbb/, 'sandbox key when the container is unknown');
    assert.match(text, /\n8 VFs: 6 free, 2 held, 0 excluded, 0 no-netdev\n$/);
  });

  test('a PF that cannot be read, and a ledger record whose VF left sysfs, are shown', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    const config = { ...r.config, sriov: { ...r.config.sriov, physicalDeviceMappings: parsePhysicalDeviceMappings(['physnet1:ens9f9']) } };
    const listing = await vfList(config, { sysfs: createSysfs(r.sys), exec: r.exec, containers: async () => new Map() });
    assert.ok(listing.problems.some((p) => p.startsWith('PF ens9f9: ERR_SRIOV_DEVICE')), listing.problems.join('\n'));
    const row = listing.rows.find((x) => x.pci === a.pci)!;
    assert.equal(row.state, 'held');
    assert.equal(row.physnet, null, 'its PF is only in the ledger now');
  });
});

describe('kuryr vf list through the CLI', () => {
  test('mapped PFs that do not exist on the host: said so, with a fix, and exit status 1', async (t) => {
    const dir = await mkdtemp(pathJoin(tmpdir(), 'kuryr-vflist-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(pathJoin(dir, 'sys'));
    const conf = pathJoin(dir, 'kuryr.conf');
    await writeFile(conf, `[DEFAULT]\nstate_path = ${pathJoin(dir, 'state')}\nenabled_port_drivers = veth, sriov\n` +
      `[binding]\nenabled_drivers = veth, hw_veb\n[sriov]\nsysfs_root = ${pathJoin(dir, 'sys')}\n` +
      'physical_device_mappings = physnet1:ens9f0, physnet1:ens9f1\n[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n');
    let out = '';
    const program = new Command('kuryr').exitOverride();
    registerVfCommands(program, { out: (x) => { out += x; }, err: () => undefined });
    const before = process.exitCode;
    try {
      await program.parseAsync(['node', 'kuryr', 'vf', 'list', '--config-file', conf]);
      assert.equal(process.exitCode, 1);
    } finally {
      process.exitCode = before;
    }
    assert.match(out, /^no VF: none of the PFs ens9f0, ens9f1 has a VF this plugin can read/m);
    assert.match(out, /^problem: PF ens9f0: ERR_SRIOV_DEVICE: /m);
    assert.match(out, /^problem: PF ens9f1: ERR_SRIOV_DEVICE: /m);
    assert.match(out, /^fix: check \[sriov\] physical_device_mappings/m);
  });
});

describe('kuryr vf release (no plugin running: under the instance lock)', () => {
  test('refused while the endpoint is alive (port bound here, sandbox exists); nothing changes', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    const pf = a.pci === INTEL_VFS[0] ? 'ens1f0' : 'ens2f0';
    const before = vfState(r, pf, 0);
    const calls: string[] = [];
    await assert.rejects(vfRelease(r.config, a.pci, { force: false }, localRoute(r, calls)), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'ERR_VF_IN_USE');
      assert.match(e.message, new RegExp(`VF ${a.pci.replace(/\./g, '\\.')} is held by endpoint ${a.endpointId}, which is alive: port ${a.portId} is bound here and sandbox /var/run/docker/netns/aaaaaaaaaaaa exists`));
      return true;
    });
    assert.deepEqual(vfState(r, pf, 0), before);
    assert.equal(Object.keys((await r.ledger()).endpoints).length, 1);
    assert.deepEqual(calls, [`lock ${pathJoin(r.config.default.statePath, 'kuryr.lock')}`, 'close']);
    assert.equal(await instanceLockHeld(pathJoin(r.config.default.statePath, 'kuryr.lock')), false, 'the lock is given back');
  });

  test('--force: the saved settings are put back exactly, the VF is free, the port is left for DeleteEndpoint', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    const pfNo = a.pci === INTEL_VFS[0] ? 1 : 2;
    const res = await vfRelease(r.config, a.pci, { force: true }, localRoute(r));
    assert.equal(res.released, true);
    assert.equal(res.via, 'local');
    assert.equal(res.endpointId, a.endpointId);
    assert.match(res.reason, /^forced: port .* is bound here and sandbox .* exists$/);
    assert.match(res.note ?? '', /still bound to host-a: DeleteEndpoint/);
    assert.deepEqual(vfState(r, `ens${pfNo}f0`, 0), originalVfs(pfNo)[0], 'PF-side VF settings as the operator left them');
    assert.deepEqual((await r.ledger()).endpoints, {});
    const port = r.neutron.state.ports.get(a.portId)!;
    assert.deepEqual(port['binding:profile'], {}, 'the allocated VF\'s pci_slot is taken back out of the profile');
    assert.equal(port['binding:host_id'], HOST, 'the port itself is not touched');
  });

  test('a dead endpoint (sandbox gone / port gone) is released without --force; a free VF is "nothing to do"', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    const b = await r.run('/var/run/docker/netns/bbbbbbbbbbbb');
    r.liveSandboxes.delete('/var/run/docker/netns/aaaaaaaaaaaa');
    const ra = await vfRelease(r.config, a.pci.toUpperCase(), { force: false }, localRoute(r));
    assert.equal(ra.released, true);
    assert.equal(ra.reason, 'the endpoint is dead: sandbox /var/run/docker/netns/aaaaaaaaaaaa is gone');
    await r.neutron.deletePort(b.portId);
    const rb = await vfRelease(r.config, b.pci, { force: false }, localRoute(r));
    assert.equal(rb.reason, `the endpoint is dead: port ${b.portId} is gone`);
    assert.equal(rb.note, undefined);
    assert.deepEqual((await r.ledger()).endpoints, {});
    assert.deepEqual(r.exec.links.get('ens1f0')!.vfs, originalVfs(1));
    assert.deepEqual(r.exec.links.get('ens2f0')!.vfs, originalVfs(2));
    const none = await vfRelease(r.config, INTEL_VFS[3]!, { force: false }, localRoute(r));
    assert.deepEqual({ released: none.released, reason: none.reason }, { released: false, reason: `VF ${INTEL_VFS[3]} is not held by any endpoint: nothing to release` });
    await assert.rejects(vfRelease(r.config, 'eth0', { force: false }, localRoute(r)), (e: unknown) => e instanceof PluginError && e.code === 'ERR_INVALID_NAME');
  });

  test('Neutron unreachable: refused (liveness unknown) unless --force', async (t) => {
    const r = await rig(t);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    r.neutron.failOn('getPort', new PluginError('ERR_NEUTRON_UNAVAILABLE', 'down'), 1);
    await assert.rejects(vfRelease(r.config, a.pci, { force: false }, localRoute(r)), /cannot tell whether endpoint .* is alive/);
    r.neutron.failOn('getPort', new PluginError('ERR_NEUTRON_UNAVAILABLE', 'down'), 1);
    const res = await vfRelease(r.config, a.pci, { force: true }, localRoute(r));
    assert.equal(res.released, true);
    assert.match(res.reason, /^forced: liveness unknown/);
  });
});

describe('kuryr vf release while a plugin runs: through its admin route', () => {
  async function runningPlugin(t: TestContext, r: Rig, socket: string): Promise<void> {
    const app = createServer(r.ctx, {
      logger: pino({ level: 'silent' }),
      adminRoutes: vfAdminRoutes({
        ledger: createFileVfLedger(pathJoin(r.config.default.statePath, 'sriov-state.json')), neutron: r.neutron, host: HOST,
        pathExists: async (p) => r.liveSandboxes.has(p), release: r.driver.release, locks: r.ctx.locks,
      }),
    });
    await app.listen({ path: socket });
    t.after(() => app.close());
    // the plugin's instance lock, held by a live process that is not us
    await mkdir(r.config.default.statePath, { recursive: true });
    const holder = await holdLock(pathJoin(r.config.default.statePath, 'kuryr.lock'));
    t.after(() => holder.release());
  }
  function pluginRoute(): VfReleaseRoute & { used: string[] } {
    const used: string[] = [];
    return {
      used,
      acquireLock: acquireInstanceLock,
      callPlugin: async (target, method, body) => { used.push(method); return callPlugin(target, method, body); },
      local: () => { throw new Error('must not edit the ledger while a plugin runs'); },
    };
  }

  test('released by the plugin; refused with ERR_VF_IN_USE from the plugin; the lock file stays the plugin\'s', async (t) => {
    const socketDir = await mkdtemp(pathJoin(tmpdir(), 'kuryr-admin-'));
    t.after(() => rm(socketDir, { recursive: true, force: true }));
    const socket = pathJoin(socketDir, 'kuryr.sock');
    const r = await rig(t, `unix://${socket}`);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    await runningPlugin(t, r, socket);
    const lockBefore = await readFile(pathJoin(r.config.default.statePath, 'kuryr.lock'), 'utf8');

    const route = pluginRoute();
    await assert.rejects(vfRelease(r.config, a.pci, { force: false }, route),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_VF_IN_USE' && /which is alive/.test(e.message));
    const res = await vfRelease(r.config, a.pci, { force: true }, route);
    assert.equal(res.via, 'plugin');
    assert.equal(res.released, true);
    assert.deepEqual(route.used, [RELEASE_VF_METHOD, RELEASE_VF_METHOD]);
    assert.deepEqual((await r.ledger()).endpoints, {});
    const pfNo = a.pci === INTEL_VFS[0] ? 1 : 2;
    assert.deepEqual(vfState(r, `ens${pfNo}f0`, 0), originalVfs(pfNo)[0]);
    assert.equal(await readFile(pathJoin(r.config.default.statePath, 'kuryr.lock'), 'utf8'), lockBefore);

    // a malformed request is the caller's fault (400), not the plugin's
    const bad = await callPlugin({ kind: 'unix', path: socket }, RELEASE_VF_METHOD, { pci: 7 });
    assert.equal(bad.status, 400);
    assert.match(String((bad.body as { Err: string }).Err), /^ERR_INVALID_REQUEST: /);
  });

  test('a running plugin that does not answer, or does not serve the route → ERR_PLUGIN_UNREACHABLE', async (t) => {
    const socketDir = await mkdtemp(pathJoin(tmpdir(), 'kuryr-admin-'));
    t.after(() => rm(socketDir, { recursive: true, force: true }));
    const socket = pathJoin(socketDir, 'kuryr.sock');
    const r = await rig(t, `unix://${socket}`);
    const a = await r.run('/var/run/docker/netns/aaaaaaaaaaaa');
    await mkdir(r.config.default.statePath, { recursive: true });
    const holder = await holdLock(pathJoin(r.config.default.statePath, 'kuryr.lock'));
    t.after(() => holder.release());
    await assert.rejects(vfRelease(r.config, a.pci, { force: false }, pluginRoute()),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_PLUGIN_UNREACHABLE' && /another kuryr plugin \(pid \d+\) holds .* but it does not answer/.test(e.message));

    // a plugin without the sriov driver serves no admin route: dockerd-style 404
    const app = createServer(r.ctx, { logger: pino({ level: 'silent' }) });
    await app.listen({ path: socket });
    t.after(() => app.close());
    await assert.rejects(vfRelease(r.config, a.pci, { force: false }, pluginRoute()),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_PLUGIN_UNREACHABLE' && /does not serve \/Kuryr\.ReleaseVf/.test(e.message));
    assert.equal(Object.keys((await r.ledger()).endpoints).length, 1, 'nothing was released');
  });
});
