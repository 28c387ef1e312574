// The SR-IOV path through the Docker handlers (RequestPool/RequestAddress/CreateNetwork/CreateEndpoint/Join/
// DeleteEndpoint/ReleaseAddress) with the REAL sriov port driver over a fake sysfs tree (two PFs: Intel
// 82599 + ixgbevf, Mellanox ConnectX-5 + mlx5 VFs, 4 VFs each), the in-memory `ip` (VF tables seeded with
// non-default original settings), the stateful fake Neutron (a VLAN provider network, hw_veb binding with
// vif_details.vlan) and the VF ledger on a temp file. Asserts on resulting state: the PF-side VF table, the VF
// netdev, the Neutron ports and the ledger.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { KuryrConfig } from '../../src/config/types.ts';
import type { HandlerContext } from '../../src/context.ts';
import { PluginError } from '../../src/errors.ts';
import { createIpLink } from '../../src/host/ip-link.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import { releaseAddress } from '../../src/ipam/release-address.ts';
import { requestAddress } from '../../src/ipam/request-address.ts';
import { requestPool } from '../../src/ipam/request-pool.ts';
import { createEndpoint } from '../../src/network/create-endpoint.ts';
import { createNetwork } from '../../src/network/create-network.ts';
import { deleteEndpoint } from '../../src/network/delete-endpoint.ts';
import { join } from '../../src/network/join.ts';
import { tagIdentity } from '../../src/neutron/identity.ts';
import type { NeutronClient } from '../../src/neutron/client.ts';
import type { NeutronNetwork, NeutronPort } from '../../src/neutron/types.ts';
import { createPortDriverRegistry } from '../../src/port-drivers/registry.ts';
import { createSriovPortDriver } from '../../src/port-drivers/sriov.ts';
import * as s from '../../src/protocol/schemas.ts';
import { createFileVfLedger, type VfLedger } from '../../src/sriov/ledger.ts';
import { parseExcludeDevices, parsePhysicalDeviceMappings } from '../../src/sriov/mappings.ts';
import { isLiveNetns, reconcileVfs } from '../../src/sriov/reconcile.ts';
import { fakeClock, recordingPortDriver, testConfig } from '../../src/testing/context.ts';
import { argvIncludes, createFakeExec, type FakeExec, type FakeVf } from '../../src/testing/fake-exec.ts';
import { createFakeNeutron, defaultVifTypeFor, type FakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree, netdevToContainer, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';
import { createKeyedMutex } from '../../src/util/keyed-mutex.ts';
import { silentLog } from '../../src/util/log.ts';

const id = () => randomBytes(32).toString('hex');
const GW = { RequestAddressType: 'com.docker.network.gateway' };
const HOST = 'host-a';

const INTEL_VFS = ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'];
const MLX_VFS = ['0000:82:00.2', '0000:82:00.3', '0000:82:00.4', '0000:82:00.5'];

const SPEC: SysfsTreeSpec = {
  pfs: [
    {
      name: 'ens1f0', pci: '0000:03:00.0', vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 63,
      vfs: INTEL_VFS.map((pci, index) => ({ index, pci, netdev: `ens1f0v${index}`, driver: 'ixgbevf' })),
    },
    {
      name: 'ens2f0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
      vfs: MLX_VFS.map((pci, index) => ({ index, pci, netdev: `ens2f0v${index}`, driver: 'mlx5_core' })),
    },
  ],
};

/** the VF table as the operator left it: an admin MAC, VLAN 7, spoof checking off, trust on */
function originalVfs(pfNo: number): FakeVf[] {
  return [0, 1, 2, 3].map((vf) => ({
    vf, mac: `02:0a:00:00:0${pfNo}:0${vf}`, vlan: 7, qos: 0, vlanProto: '802.1Q', spoofchk: false, trust: true,
    linkState: 'auto', minTxRate: 0, maxTxRate: 0,
  }));
}
/** the VF netdevs before anything touched them: their own MACs and non-default MTUs */
const ORIGINAL_NETDEV = (pf: string, i: number) => ({ address: `02:bb:00:00:${pf === 'ens1f0' ? '01' : '02'}:0${i}`, mtu: pf === 'ens1f0' ? 9000 : 1400 });

interface Rig {
  root: string;
  exec: FakeExec;
  neutron: FakeNeutron;
  ledgerPath: string;
  ledger: VfLedger;
  ctx: HandlerContext;
  config: KuryrConfig;
  /** a fresh driver + context over the same host, Neutron and ledger file (a plugin restart) */
  restart(): { ctx: HandlerContext; ledger: VfLedger; driver: ReturnType<typeof createSriovPortDriver> };
  driver: ReturnType<typeof createSriovPortDriver>;
  physnet1: NeutronNetwork;
  subnetId: string;
}

async function rig(t: TestContext, opts: { exclude?: string[]; mappings?: string[] } = {}): Promise<Rig> {
  const root = await mkdtemp(pathJoin(tmpdir(), 'kv-sriov-drv-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await buildSysfsTree(pathJoin(root, 'sys'), SPEC);
  const exec = createFakeExec();
  exec.links.seed({ ifname: 'ens1f0', address: '02:5f:03:00:00:00', up: true, vfs: originalVfs(1) });
  exec.links.seed({ ifname: 'ens2f0', address: '02:5f:82:00:00:00', up: true, vfs: originalVfs(2) });
  for (const pf of ['ens1f0', 'ens2f0']) {
    for (let i = 0; i < 4; i += 1) exec.links.seed({ ifname: `${pf}v${i}`, ...ORIGINAL_NETDEV(pf, i) });
  }
  const neutron = createFakeNeutron();
  // sriovnicswitch: a direct port binds as hw_veb, vif_details.vlan = the segmentation id of a VLAN network
  neutron.vifTypeFor = (port, host) => {
    if (port['binding:vnic_type'] !== 'direct') return defaultVifTypeFor(port, host);
    const net = neutron.state.networks.get(port.network_id);
    const vlan = net?.['provider:network_type'] === 'vlan' ? String(net['provider:segmentation_id']) : '0';
    return { vif_type: 'hw_veb', vif_details: { port_filter: false, vlan } };
  };
  const physnet1 = await neutron.createNetwork({
    name: 'sriov-net', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100,
  });
  const subnet = await neutron.createSubnet({ network_id: physnet1.id, ip_version: 4, cidr: '10.50.0.0/24', gateway_ip: '10.50.0.1', name: 'sriov-subnet' });
  const config = testConfig({
    default: { enabledPortDrivers: ['veth', 'sriov'], host: HOST, statePath: root },
    binding: { enabledDrivers: ['veth', 'hw_veb'] },
    sriov: {
      sysfsRoot: pathJoin(root, 'sys'),
      physicalDeviceMappings: parsePhysicalDeviceMappings(opts.mappings ?? ['physnet1:ens1f0', 'physnet1:ens2f0']),
      excludeDevices: parseExcludeDevices(opts.exclude ?? []),
    },
  });
  const ledgerPath = pathJoin(root, 'state', 'sriov-state.json');
  function build(): { ctx: HandlerContext; ledger: VfLedger; driver: ReturnType<typeof createSriovPortDriver> } {
    const ledger = createFileVfLedger(ledgerPath);
    const driver = createSriovPortDriver({
      sysfs: createSysfs(config.sriov.sysfsRoot), ipLink: createIpLink(exec), neutron, ledger, log: silentLog,
      settings: { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices },
    });
    const ctx: HandlerContext = {
      config, neutron, identity: tagIdentity,
      portDrivers: createPortDriverRegistry(config, { veth: () => recordingPortDriver(), sriov: () => driver }),
      locks: createKeyedMutex(), clock: fakeClock(), log: silentLog, pendingCidrs: new Set(), adoptedAddresses: new Set(),
    };
    return { ctx, ledger, driver };
  }
  const first = build();
  return { root, exec, neutron, ledgerPath, config, physnet1, subnetId: subnet.id, restart: build, ...first };
}

// ---- the Docker call sequences --------------------------------------------------------------------------

interface DockerNet { networkId: string; poolId: string }

/** `docker network create -d kuryr --ipam-driver kuryr --subnet … --gateway … -o neutron.net.uuid=… [-o kuryr.vnic_type=…]` */
async function dockerNetworkCreate(ctx: HandlerContext, generic: Record<string, string>, cidr = '10.50.0.0/24', gateway = '10.50.0.1'): Promise<DockerNet> {
  const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'no_address_space', Pool: cidr, SubPool: '', Options: {}, V6: false }));
  const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: gateway, Options: GW }));
  const networkId = id();
  await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId, Options: { 'com.docker.network.generic': generic },
    IPv4Data: [{ AddressSpace: 'no_address_space', Pool: cidr, Gateway: gw.Address }], IPv6Data: [] }));
  return { networkId, poolId: pool.PoolID };
}

interface Run { endpointId: string; address: string; reply: unknown; srcName: string; sandboxKey: string }

/** RequestAddress + CreateEndpoint (+ Join unless join: false), as `docker run --net … [--ip …]` */
async function dockerRun(ctx: HandlerContext, net: DockerNet, opts: { ip?: string; sandboxKey?: string; join?: boolean } = {}): Promise<Run> {
  const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: opts.ip ?? '', Options: null }));
  const endpointId = id();
  try {
    const reply = await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId,
      Options: {}, Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
    const sandboxKey = opts.sandboxKey ?? `/var/run/docker/netns/${endpointId.slice(0, 12)}`;
    let srcName = '';
    if (opts.join !== false) {
      const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId, SandboxKey: sandboxKey, Options: {} }));
      srcName = joined.InterfaceName.SrcName;
    }
    return { endpointId, address: addr.Address, reply, srcName, sandboxKey };
  } catch (err) {
    // dockerd gives the address back when the endpoint cannot be created
    await releaseAddress(ctx, { PoolID: net.poolId, Address: addr.Address.split('/')[0]! });
    throw err;
  }
}

/** `docker rm`: DeleteEndpoint, then ReleaseAddress */
async function dockerRm(ctx: HandlerContext, net: DockerNet, run: Run): Promise<void> {
  await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: run.endpointId, Options: {} });
  await releaseAddress(ctx, { PoolID: net.poolId, Address: run.address.split('/')[0]! });
}

// ---- state helpers ----------------------------------------------------------------------------------------

function vfTable(r: Rig, pf: string): FakeVf[] {
  return structuredClone(r.exec.links.get(pf)!.vfs!);
}
function vfOf(r: Rig, pci: string): FakeVf {
  const pf = pfOfPci(pci);
  return vfTable(r, pf)[(pf === 'ens1f0' ? INTEL_VFS : MLX_VFS).indexOf(pci)]!;
}
function netdev(r: Rig, name: string): { address: string; mtu: number } {
  const l = r.exec.links.get(name)!;
  return { address: l.address, mtu: l.mtu };
}
/** every VF of both PFs and every VF netdev exactly as the operator left them */
function assertAllOriginal(r: Rig, why: string): void {
  assert.deepEqual(vfTable(r, 'ens1f0'), originalVfs(1), `${why}: ens1f0 VF table`);
  assert.deepEqual(vfTable(r, 'ens2f0'), originalVfs(2), `${why}: ens2f0 VF table`);
  for (const pf of ['ens1f0', 'ens2f0']) {
    for (let i = 0; i < 4; i += 1) assert.deepEqual(netdev(r, `${pf}v${i}`), ORIGINAL_NETDEV(pf, i), `${why}: ${pf}v${i}`);
  }
}
async function held(r: Rig): Promise<string[]> {
  return Object.values((await r.ledger.read()).endpoints).map((e) => e.pci).sort();
}
function port(r: Rig, portId: string): NeutronPort {
  return structuredClone(r.neutron.state.ports.get(portId)!);
}
function portOf(r: Rig, endpointId: string): NeutronPort {
  const p = [...r.neutron.state.ports.values()].find((x) => x.device_id === endpointId);
  assert.ok(p, `a port for endpoint ${endpointId}`);
  return structuredClone(p);
}
function pciOf(p: NeutronPort): string {
  return String((p['binding:profile'] as Record<string, unknown>)['pci_slot']);
}
function pfOfPci(pci: string): 'ens1f0' | 'ens2f0' {
  if (INTEL_VFS.includes(pci)) return 'ens1f0';
  if (MLX_VFS.includes(pci)) return 'ens2f0';
  throw new Error(`unknown VF ${pci}`);
}
function netdevOfPci(pci: string): string {
  const pf = pfOfPci(pci);
  return `${pf}v${(pf === 'ens1f0' ? INTEL_VFS : MLX_VFS).indexOf(pci)}`;
}
function hasCode(code: string, text?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof PluginError, `a PluginError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (text !== undefined) assert.match(e.message, text);
    return true;
  };
}
async function precreateDirectPort(r: Rig, ip: string, profile: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<NeutronPort> {
  return r.neutron.createPort({
    network_id: r.physnet1.id, name: `sriov-port-${ip}`, 'binding:vnic_type': 'direct', 'binding:profile': profile,
    fixed_ips: [{ subnet_id: r.subnetId, ip_address: ip }], ...extra,
  });
}

// ---- the seed's recipe -----------------------------------------------------------------------------------

describe('the seed recipe: a pre-created direct port with pci_slot, adopted with --ip', () => {
  test('the VF is programmed for the port, handed to dockerd, and put back exactly on docker rm', async (t) => {
    const r = await rig(t);
    const pre = await precreateDirectPort(r, '10.50.0.10',
      { physical_network: 'physnet1', pci_vendor_info: '8086:10ed', pci_slot: '0000:03:10.2' });
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    const run = await dockerRun(r.ctx, net, { ip: '10.50.0.10' });

    // the adopted port is bound here as hw_veb; its profile is the user's, untouched
    const bound = port(r, pre.id);
    assert.equal(bound['binding:host_id'], HOST);
    assert.equal(bound['binding:vif_type'], 'hw_veb');
    assert.deepEqual(bound['binding:profile'], pre['binding:profile']);
    assert.equal(run.address, '10.50.0.10/24');
    // dockerd is told the port's MAC, the one the VF netdev already has (so `docker inspect` shows it)
    assert.deepEqual(run.reply, { Interface: { MacAddress: pre.mac_address } });
    assert.equal(run.srcName, 'ens1f0v1', "Join's SrcName is the VF netdev");

    const vfs = vfTable(r, 'ens1f0');
    assert.deepEqual(vfs[1], {
      vf: 1, mac: pre.mac_address, vlan: 100, qos: 0, vlanProto: '802.1Q',
      spoofchk: true, // port_security_enabled (the network default)
      trust: false, // no binding:profile.trusted
      linkState: 'auto', minTxRate: 0, maxTxRate: 0,
    });
    assert.deepEqual(vfs.filter((v) => v.vf !== 1), originalVfs(1).filter((v) => v.vf !== 1), 'the other VFs are untouched');
    assert.deepEqual(vfTable(r, 'ens2f0'), originalVfs(2));
    assert.deepEqual(netdev(r, 'ens1f0v1'), { address: pre.mac_address, mtu: 1500 }, 'netdev MAC = port MAC, MTU = network MTU');
    const rec = Object.values((await r.ledger.read()).endpoints);
    assert.equal(rec.length, 1);
    assert.equal(rec[0]!.pci, '0000:03:10.2');
    assert.equal(rec[0]!.portId, pre.id);
    assert.equal(rec[0]!.sandboxKey, run.sandboxKey);
    assert.deepEqual(rec[0]!.saved, {
      mac: '02:0a:00:00:01:01', vlan: 7, qos: 0, vlanProto: '802.1Q', spoofchk: false, trust: true, linkState: 'auto',
      minTxRate: 0, maxTxRate: 0, mtu: 9000, netdevMac: '02:bb:00:00:01:01',
    }, 'the original settings were recorded before the change');

    r.exec.clearCalls();
    await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
    assert.deepEqual(await held(r), [], 'the VF is free');
    // the PF-side settings are restored before the netdev is touched (sriov-cni's order)
    const cmds = r.exec.commands(argvIncludes('link', 'set'));
    const pfStep = cmds.findIndex((c) => c.includes('ens1f0 vf 1'));
    const netdevStep = cmds.findIndex((c) => c.includes('dev ens1f0v1'));
    assert.ok(pfStep >= 0 && netdevStep > pfStep, cmds.join('\n'));
    // the user's port is handed back, its profile as it was
    const back = port(r, pre.id);
    assert.equal(back['binding:host_id'], '');
    assert.deepEqual(back['binding:profile'], pre['binding:profile']);
    assert.ok(!(back.tags ?? []).some((x) => x.startsWith('kuryr.')), `no kuryr tags left: ${String(back.tags)}`);
  });

  test('spoof checking follows port_security_enabled and trust follows binding:profile.trusted', async (t) => {
    const r = await rig(t);
    const pre = await precreateDirectPort(r, '10.50.0.11',
      { physical_network: 'physnet1', pci_vendor_info: '15b3:1018', pci_slot: '0000:82:00.4', trusted: true },
      { port_security_enabled: false });
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    const run = await dockerRun(r.ctx, net, { ip: '10.50.0.11' });
    assert.equal(run.srcName, 'ens2f0v2');
    const vf = vfTable(r, 'ens2f0')[2]!;
    assert.equal(vf.spoofchk, false);
    assert.equal(vf.trust, true);
    assert.equal(vf.mac, pre.mac_address);
    assert.equal(vf.vlan, 100);
    assert.deepEqual(netdev(r, 'ens2f0v2'), { address: pre.mac_address, mtu: 1500 });
    await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
    assert.deepEqual(await held(r), []);
  });

  test('a pinned pci_slot another endpoint holds is refused with ERR_VF_BUSY and changes nothing', async (t) => {
    const r = await rig(t);
    const profile = { physical_network: 'physnet1', pci_vendor_info: '8086:10ed', pci_slot: '0000:03:10.0' };
    await precreateDirectPort(r, '10.50.0.20', profile);
    const second = await precreateDirectPort(r, '10.50.0.21', profile);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    const run = await dockerRun(r.ctx, net, { ip: '10.50.0.20' });
    const programmed = vfTable(r, 'ens1f0');
    await assert.rejects(dockerRun(r.ctx, net, { ip: '10.50.0.21' }), hasCode('ERR_VF_BUSY', /0000:03:10\.0.*held by endpoint/));
    assert.deepEqual(vfTable(r, 'ens1f0'), programmed, 'the holder keeps its VF as programmed');
    assert.deepEqual(await held(r), ['0000:03:10.0']);
    const p2 = port(r, second.id);
    assert.equal(p2['binding:host_id'], '', 'the second port was never bound');
    assert.deepEqual(p2['binding:profile'], profile);
    await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
  });
});

// ---- automatic allocation --------------------------------------------------------------------------------

describe('automatic VF allocation (-o kuryr.vnic_type=direct, no pci_slot)', () => {
  test('8 endpoints get 8 distinct VFs spread 4/4 over the PFs, the 9th is refused, all come back', async (t) => {
    const r = await rig(t);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const runs: Run[] = [];
    for (let i = 0; i < 8; i += 1) runs.push(await dockerRun(r.ctx, net));
    const ports = runs.map((x) => portOf(r, x.endpointId));
    const pcis = ports.map(pciOf);
    assert.equal(new Set(pcis).size, 8, `distinct VFs: ${pcis.join(' ')}`);
    assert.deepEqual([...pcis].sort(), [...INTEL_VFS, ...MLX_VFS].sort());
    // spread: the PFs alternate while both have free VFs
    assert.deepEqual(pcis.slice(0, 4).map(pfOfPci), ['ens1f0', 'ens2f0', 'ens1f0', 'ens2f0']);
    for (const [i, p] of ports.entries()) {
      const pci = pciOf(p);
      assert.equal(p['binding:vnic_type'], 'direct');
      assert.equal(p['binding:vif_type'], 'hw_veb');
      assert.equal(p['binding:host_id'], HOST);
      assert.deepEqual(p['binding:profile'], {
        pci_slot: pci, pci_vendor_info: pfOfPci(pci) === 'ens1f0' ? '8086:10ed' : '15b3:1018', physical_network: 'physnet1',
      });
      assert.equal(runs[i]!.srcName, netdevOfPci(pci));
      const vf = vfTable(r, pfOfPci(pci))[(pfOfPci(pci) === 'ens1f0' ? INTEL_VFS : MLX_VFS).indexOf(pci)]!;
      assert.equal(vf.mac, p.mac_address);
      assert.equal(vf.vlan, 100);
      assert.deepEqual(netdev(r, netdevOfPci(pci)), { address: p.mac_address, mtu: 1500 });
    }

    const portsBefore = r.neutron.state.ports.size;
    await assert.rejects(dockerRun(r.ctx, net), hasCode('ERR_VF_EXHAUSTED', /physnet1.*ens1f0, ens2f0/));
    assert.equal(r.neutron.state.ports.size, portsBefore, "the 9th endpoint's port is gone again");
    assert.equal((await held(r)).length, 8);

    for (const run of runs) await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after removing all 8');
    assert.deepEqual(await held(r), []);
    assert.deepEqual([...r.neutron.state.ports.values()].filter((p) => p.network_id === r.physnet1.id), [], 'ports deleted');
  });

  test('exclude_devices: excluded VFs are never handed out', async (t) => {
    const r = await rig(t, { exclude: ['ens1f0:0000:03:10.0;0000:03:10.2', 'ens2f0:0000:82:00.5'] });
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const runs: Run[] = [];
    for (let i = 0; i < 5; i += 1) runs.push(await dockerRun(r.ctx, net));
    assert.deepEqual(await held(r), ['0000:03:10.4', '0000:03:10.6', '0000:82:00.2', '0000:82:00.3', '0000:82:00.4']);
    await assert.rejects(dockerRun(r.ctx, net), hasCode('ERR_VF_EXHAUSTED'));
    for (const run of runs) await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
  });

  test('a VF whose netdev is not in the host namespace (in a container) is not picked', async (t) => {
    const r = await rig(t, { mappings: ['physnet1:ens1f0'] });
    await netdevToContainer(pathJoin(r.root, 'sys'), 'ens1f0v0');
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const runs: Run[] = [];
    for (let i = 0; i < 3; i += 1) runs.push(await dockerRun(r.ctx, net));
    assert.deepEqual(await held(r), ['0000:03:10.2', '0000:03:10.4', '0000:03:10.6']);
    await assert.rejects(dockerRun(r.ctx, net), hasCode('ERR_VF_EXHAUSTED', /physical network physnet1: tried ens1f0/));
    assert.deepEqual(vfTable(r, 'ens1f0')[0], originalVfs(1)[0], 'the hidden VF was never touched');
    for (const run of runs) await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
  });

  test('concurrent CreateEndpoints never get the same VF', async (t) => {
    const r = await rig(t);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const runs = await Promise.all(Array.from({ length: 8 }, () => dockerRun(r.ctx, net)));
    const pcis = runs.map((x) => pciOf(portOf(r, x.endpointId)));
    assert.equal(new Set(pcis).size, 8, pcis.join(' '));
    assert.equal(new Set(runs.map((x) => x.srcName)).size, 8);
    assert.deepEqual(await held(r), [...pcis].sort());
    const over = await Promise.allSettled([dockerRun(r.ctx, net), dockerRun(r.ctx, net)]);
    assert.deepEqual(over.map((o) => o.status), ['rejected', 'rejected']);
    await Promise.all(runs.map((run) => dockerRm(r.ctx, net, run)));
    assertAllOriginal(r, 'after docker rm');
    assert.deepEqual(await held(r), []);
  });

  test("an adopted direct port without pci_slot gets a VF, and its original binding:profile back on release", async (t) => {
    const r = await rig(t);
    const profile = { trusted: true, capabilities: ['switchdev-off'] };
    const pre = await precreateDirectPort(r, '10.50.0.30', profile);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    const run = await dockerRun(r.ctx, net, { ip: '10.50.0.30' });
    const bound = port(r, pre.id);
    assert.deepEqual(bound['binding:profile'], { ...profile, pci_slot: INTEL_VFS[0], pci_vendor_info: '8086:10ed', physical_network: 'physnet1' });
    assert.equal(vfTable(r, 'ens1f0')[0]!.trust, true, 'trusted in the profile');
    await dockerRm(r.ctx, net, run);
    const back = port(r, pre.id);
    assert.deepEqual(back['binding:profile'], profile, 'the profile as the user wrote it');
    assert.equal(back['binding:host_id'], '');
    assertAllOriginal(r, 'after docker rm');
  });
});

// ---- failures and rollback -------------------------------------------------------------------------------

describe('failures leave nothing held', () => {
  test('binding_failed: ERR_BINDING_FAILED names the NIC Switch agent; VF freed, port profile back', async (t) => {
    const r = await rig(t);
    r.neutron.vifTypeFor = () => ({ vif_type: 'binding_failed', vif_details: {} });
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    await assert.rejects(dockerRun(r.ctx, net), hasCode('ERR_BINDING_FAILED', /NIC Switch agent/));
    assert.deepEqual(await held(r), []);
    assertAllOriginal(r, 'after a failed bind');
    assert.equal([...r.neutron.state.ports.values()].filter((p) => p.network_id === r.physnet1.id).length, 0);

    const pre = await precreateDirectPort(r, '10.50.0.40', { pci_slot: '0000:82:00.2', physical_network: 'physnet1' });
    await assert.rejects(dockerRun(r.ctx, net, { ip: '10.50.0.40' }), hasCode('ERR_BINDING_FAILED'));
    assert.deepEqual(await held(r), []);
    const back = port(r, pre.id);
    assert.equal(back['binding:host_id'], '');
    assert.deepEqual(back['binding:profile'], pre['binding:profile']);
    assertAllOriginal(r, 'after a failed bind of a pinned port');
  });

  test('a driver refusing a VF setting part-way: the VF is restored and freed', async (t) => {
    const r = await rig(t);
    // like a driver without trust support: MAC, VLAN and spoofchk get applied, then the command fails
    r.exec.links.get('ens1f0')!.vfRefuse = new Set(['trust']);
    const pre = await precreateDirectPort(r, '10.50.0.50', { pci_slot: INTEL_VFS[3], physical_network: 'physnet1' });
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    await assert.rejects(dockerRun(r.ctx, net, { ip: '10.50.0.50' }), /Operation not supported/);
    assert.ok(r.exec.calls.some((c) => c.argv.join(' ').includes('ens1f0 vf 3 mac') && c.code === 2), 'the apply did fail part-way');
    assertAllOriginal(r, 'after the rollback');
    assert.deepEqual(await held(r), []);
    assert.equal(port(r, pre.id)['binding:host_id'], '');
  });

  test('a failure on the VF netdev after the PF-side settings: restored and freed', async (t) => {
    const r = await rig(t);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    r.exec.failOn(argvIncludes('link', 'set', 'dev', 'ens1f0v0'), 'RTNETLINK answers: Device or resource busy', { times: 1 });
    await assert.rejects(dockerRun(r.ctx, net), /busy/);
    assertAllOriginal(r, 'after the rollback');
    assert.deepEqual(await held(r), []);
    // and the VF is usable again
    const run = await dockerRun(r.ctx, net);
    assert.equal(run.srcName, 'ens1f0v0');
    await dockerRm(r.ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
  });
});

// ---- crash safety ----------------------------------------------------------------------------------------

describe('the ledger survives restarts and reconcile frees dead endpoints', () => {
  test('a restarted plugin (new ledger on the same file) knows the VFs and restores them on DeleteEndpoint', async (t) => {
    const r = await rig(t);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const runs = [await dockerRun(r.ctx, net), await dockerRun(r.ctx, net)];
    const again = r.restart();
    const seen = (await again.ledger.read()).endpoints;
    assert.deepEqual(Object.keys(seen).sort(), runs.map((x) => x.endpointId).sort());
    assert.deepEqual(Object.values(seen).map((e) => e.pci).sort(), [INTEL_VFS[0], MLX_VFS[0]].sort());
    // the new instance does not hand out a held VF
    const third = await dockerRun(again.ctx, net);
    assert.equal(third.srcName, 'ens1f0v1');
    for (const run of [...runs, third]) await dockerRm(again.ctx, net, run);
    assertAllOriginal(r, 'after docker rm through the restarted plugin');
    assert.deepEqual(Object.keys((await again.ledger.read()).endpoints), []);
  });

  test('reconcile: port gone, bound elsewhere, or sandbox gone → VF restored + freed + port released; live kept', async (t) => {
    const r = await rig(t);
    const sandboxes = pathJoin(r.root, 'netns');
    await rm(sandboxes, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(sandboxes));
    const key = (n: string) => pathJoin(sandboxes, n);
    for (const n of ['gone-port', 'elsewhere', 'live']) await writeFile(key(n), '');
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    const goneRun = await dockerRun(r.ctx, net, { sandboxKey: key('gone-port') });
    const elsewhereRun = await dockerRun(r.ctx, net, { sandboxKey: key('elsewhere') });
    const deadRun = await dockerRun(r.ctx, net, { sandboxKey: key('dead') }); // never existed: the sandbox is gone
    const liveRun = await dockerRun(r.ctx, net, { sandboxKey: key('live') });
    const gonePort = portOf(r, goneRun.endpointId);
    const elsewherePort = portOf(r, elsewhereRun.endpointId);
    const deadPort = portOf(r, deadRun.endpointId);
    const livePort = portOf(r, liveRun.endpointId);
    await r.neutron.deletePort(gonePort.id);
    await r.neutron.updatePort(elsewherePort.id, { 'binding:host_id': 'host-b' });
    const elsewhereBefore = port(r, elsewherePort.id);
    const liveVfBefore = vfOf(r, pciOf(livePort));
    assert.equal(liveVfBefore.mac, livePort.mac_address);

    // "restart": a new instance reconciles at start-up
    const again = r.restart();
    const result = await reconcileVfs({
      ledger: again.ledger, neutron: r.neutron, host: HOST, log: silentLog, release: again.driver.release,
      pathExists: (p) => import('node:fs/promises').then((fs) => fs.stat(p)).then(() => true, () => false),
    });
    assert.deepEqual(result.kept, [liveRun.endpointId]);
    assert.deepEqual(Object.fromEntries(result.released.map((x) => [x.endpointId, x.reason])), {
      [goneRun.endpointId]: 'port gone',
      [elsewhereRun.endpointId]: 'port bound to host-b',
      [deadRun.endpointId]: `sandbox ${key('dead')} gone`,
    });
    assert.deepEqual(Object.values((await again.ledger.read()).endpoints).map((e) => e.pci), [pciOf(livePort)]);
    // released VFs are back as they were; the live one still programmed
    for (const p of [gonePort, elsewherePort, deadPort]) {
      const pci = pciOf(p);
      const pf = pfOfPci(pci);
      const idx = (pf === 'ens1f0' ? INTEL_VFS : MLX_VFS).indexOf(pci);
      assert.deepEqual(vfTable(r, pf)[idx], originalVfs(pf === 'ens1f0' ? 1 : 2)[idx], `VF ${pci} restored`);
      assert.deepEqual(netdev(r, netdevOfPci(pci)), ORIGINAL_NETDEV(pf, idx), `netdev of ${pci} restored`);
    }
    assert.deepEqual(vfOf(r, pciOf(livePort)), liveVfBefore, 'the live VF is still programmed for its port');
    // ports: the dead endpoint's (ours) is deleted; the one bound elsewhere is not ours to touch
    assert.equal(r.neutron.state.ports.get(deadPort.id), undefined);
    assert.deepEqual(port(r, elsewherePort.id), elsewhereBefore, 'a port another host now owns is left alone');
    assert.equal(port(r, livePort.id)['binding:host_id'], HOST);

    await dockerRm(again.ctx, net, liveRun);
    assert.deepEqual(Object.keys((await again.ledger.read()).endpoints), []);
    await r.neutron.deletePort(elsewherePort.id);
    assertAllOriginal(r, 'after the live endpoint is removed too');
  });

  test('reconcile hands an adopted port back untagged, so `docker run --ip` can adopt it again', async (t) => {
    const r = await rig(t);
    const profile = { physical_network: 'physnet1', pci_vendor_info: '8086:10ed', pci_slot: INTEL_VFS[2] };
    const pre = await precreateDirectPort(r, '10.50.0.60', profile);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id });
    const run = await dockerRun(r.ctx, net, { ip: '10.50.0.60', sandboxKey: pathJoin(r.root, 'no-such-netns') });
    assert.ok((port(r, pre.id).tags ?? []).includes('kuryr.port.existing'));
    const again = r.restart();
    const result = await reconcileVfs({
      ledger: again.ledger, neutron: r.neutron, host: HOST, log: silentLog, release: again.driver.release,
      pathExists: async () => false,
    });
    assert.deepEqual(result.released.map((x) => x.endpointId), [run.endpointId]);
    const back = port(r, pre.id);
    assert.equal(back['binding:host_id'], '');
    assert.equal(back.device_owner, '');
    assert.equal(back.device_id, '');
    assert.deepEqual(back['binding:profile'], profile);
    assert.deepEqual((back.tags ?? []).filter((x) => x.startsWith('kuryr.')), [], 'no kuryr tags left on the user\'s port');
    assertAllOriginal(r, 'after reconcile');
    // dockerd never got to ReleaseAddress; the next `docker run --ip` adopts the port again
    const next = await dockerRun(again.ctx, net, { ip: '10.50.0.60' });
    assert.equal(next.srcName, 'ens1f0v2');
    await dockerRm(again.ctx, net, next);
    assertAllOriginal(r, 'after docker rm');
  });

  test('a sandbox is alive only while its SandboxKey is a network namespace, not a leftover plain file', async (t) => {
    const dir = await mkdtemp(pathJoin(tmpdir(), 'kv-netns-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    // what dockerd leaves for up to 60 s after destroying a sandbox: the unmounted, empty file
    await writeFile(pathJoin(dir, '0123456789ab'), '');
    assert.equal(await isLiveNetns(pathJoin(dir, '0123456789ab')), false);
    assert.equal(await isLiveNetns(pathJoin(dir, 'missing')), false);
    assert.equal(await isLiveNetns('/proc/self/ns/net'), true, 'an nsfs file is a live namespace');
  });

  test('reconcile never frees the VF of an endpoint CreateEndpoint is still building', async (t) => {
    const r = await rig(t);
    const net = await dockerNetworkCreate(r.ctx, { 'neutron.net.uuid': r.physnet1.id, 'kuryr.vnic_type': 'direct' });
    // hold the binding PUT until a reconcile pass has run: the VF is reserved, the port not yet bound here
    let releaseGate!: () => void;
    const gate = new Promise<void>((resolve) => { releaseGate = resolve; });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => { entered = resolve; });
    const gated: NeutronClient = { ...r.neutron, updatePort: async (portId, body) => {
      if (body['binding:host_id'] === HOST) { entered(); await gate; }
      return r.neutron.updatePort(portId, body);
    } };
    const ctx: HandlerContext = { ...r.ctx, neutron: gated };
    const running = dockerRun(ctx, net);
    await inside;
    // the periodic pass, with the handlers' locks (as cli/serve.ts wires it)
    const reconciling = reconcileVfs({
      ledger: r.ledger, neutron: r.neutron, host: HOST, log: silentLog, release: r.driver.release, locks: ctx.locks,
      pathExists: async () => true,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    releaseGate();
    const [result, run] = await Promise.all([reconciling, running]);
    assert.deepEqual(result.released, [], 'nothing released while the endpoint is being created');
    assert.deepEqual(await held(r), [INTEL_VFS[0]]);
    assert.equal(run.srcName, 'ens1f0v0');
    await dockerRm(ctx, net, run);
    assertAllOriginal(r, 'after docker rm');
  });
});
