// SR-IOV end to end on a kernel without SR-IOV: the real dockerd, the real Neutron (sriovnicswitch with the
// testbed's fake NIC Switch agent: direct ports bind as hw_veb with vif_details.vlan) and the plugin started
// from its CLI with the seed's module-path driver names, over
//   - a fake sysfs tree (src/testing/sysfs-tree.ts): PFs ens1f0 (Intel 82599, ixgbevf VFs) and ens2f0
//     (Mellanox ConnectX-5, mlx5 VFs), 4 VFs each, mapped to physnet1;
//   - VF netdevs that are REAL veth links named like VFs (ks<random>a0…, ks<random>b0…), whose peers sit on a
//     bridge in a netns of their own playing the NIC's embedded switch, so containers given VFs really ping;
//   - the recording `ip` stand-in (test/helpers/fake-ip) first in the plugin's PATH: it keeps the PF-side VF
//     tables in state files, logs every `ip link set <pf> vf N …`, and puts a VF's MAC on its veth.
// Scenarios: (a) the seed's recipe word for word, (b) automatic allocation of 8 VFs over 2 PFs, (c) exact
// restore after `docker rm -f`, (d) kill -9 + containers removed while the plugin is down + restart →
// reconcile, (e) a second instance on the same state_path refuses to start.
// CIDRs of this file: 10.94.x.0/24, 10.95.x.0/24; VLANs: two free ones in physnet1 100–200.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildSysfsTree, fakePfStates, writeFakeSriovState, type FakePfState, type SysfsTreeSpec,
} from '../../src/testing/sysfs-tree.ts';
import {
  Cleanup, create, deleteIfExists, endpointOf, getPort, ifaceIn, kuryrTags, ping, portsForEndpoint,
} from '../helpers/e2e.ts';
import { deleteNetworkDeep, sweepKuryrLeftovers } from '../helpers/e2e-sweep.ts';
import { FAKE_IP_DIR, ip, type LedgerRecord, type SriovPort } from '../helpers/sriov-e2e.ts';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, neutronGet, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';


const INTEL_VFS = ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'];
const MLX_VFS = ['0000:82:00.2', '0000:82:00.3', '0000:82:00.4', '0000:82:00.5'];


async function link(name: string, ns?: string): Promise<{ ifname: string; ifindex: number; address: string; mtu: number } | undefined> {
  const out = await ip([...(ns === undefined ? [] : ['-n', ns]), '-json', 'link', 'show', 'dev', name], true);
  if (out.trim() === '') return undefined;
  return (JSON.parse(out) as { ifname: string; ifindex: number; address: string; mtu: number }[])[0];
}

describe('SR-IOV end to end (fake PFs, veth VFs, real dockerd and Neutron)', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  const cleanup = new Cleanup();
  // ks + 4 random hex: links and the netns of this run (link names stay within 15 bytes)
  const pre = `ks${randomBytes(2).toString('hex')}`;
  const swNs = `${pre}sw`;
  const octet = 1 + Math.floor(Math.random() * 250);
  const cidr1 = `10.94.${octet}.0/24`;
  const cidr2 = `10.95.${octet}.0/24`;
  const gw = (c: string) => c.replace(/0\/24$/, '1');
  const dnet1 = `${pre}-seed`;
  const dnet2 = `${pre}-auto`;
  const dockerNets: string[] = [];
  const vfNetdev = (pf: 'ens1f0' | 'ens2f0', i: number) => `${pre}${pf === 'ens1f0' ? 'a' : 'b'}${i}`;
  const peerOf = (netdev: string) => `${pre}p${netdev.slice(pre.length)}`;
  const allNetdevs = [0, 1, 2, 3].flatMap((i) => [vfNetdev('ens1f0', i), vfNetdev('ens2f0', i)]);
  let root = '';
  let sys = '';
  let pfDir = '';
  let spec: SysfsTreeSpec;
  let initialPfs: FakePfState[] = [];
  /** the veth VF netdevs as the host had them before the plugin ran */
  const originalNetdev = new Map<string, { address: string; mtu: number }>();
  let net1 = '';
  let net2 = '';
  let seg1 = 0;
  let seg2 = 0;
  let subnet1 = '';
  let statePath = '';
  let sriovConfig = '';
  let pluginEnv: Record<string, string> = {};
  /** every instance started (the state_path lives in the first one's dir) */
  const started: PluginProcess[] = [];

  function pciToNetdev(pci: string): string {
    const i = INTEL_VFS.indexOf(pci);
    return i >= 0 ? vfNetdev('ens1f0', i) : vfNetdev('ens2f0', MLX_VFS.indexOf(pci));
  }
  async function pfState(pf: string): Promise<FakePfState> {
    return JSON.parse(await readFile(join(pfDir, `${pf}.json`), 'utf8')) as FakePfState;
  }
  async function calls(pf: string): Promise<string[]> {
    return (await readFile(join(pfDir, `${pf}.calls`), 'utf8')).split('\n').filter((l) => l !== '');
  }
  async function ledger(): Promise<LedgerRecord[]> {
    const text = await readFile(join(statePath, 'sriov-state.json'), 'utf8').catch(() => '{"endpoints":{}}');
    return Object.values((JSON.parse(text) as { endpoints: Record<string, LedgerRecord> }).endpoints);
  }
  async function container(name: string, args: string[]): Promise<void> {
    cleanup.add(`docker rm -f ${name}`, () => docker(tb, ['rm', '-f', name], { allowFail: true }));
    await docker(tb, ['run', '-d', '--name', name, '--stop-timeout', '1', ...args, tb.image, 'sleep', '600']);
  }
  async function sriovPort(id: string): Promise<SriovPort | undefined> {
    return (await getPort(tb, id)) as SriovPort | undefined;
  }
  async function freeVlans(n: number): Promise<number[]> {
    const { networks } = await neutronGet<{ networks: { 'provider:segmentation_id': number | null }[] }>(tb,
      'networks?provider:network_type=vlan&provider:physical_network=physnet1');
    const used = new Set(networks.map((x) => x['provider:segmentation_id']));
    const free = Array.from({ length: 101 }, (_, i) => 100 + i).filter((v) => !used.has(v));
    const start = Math.floor(Math.random() * Math.max(1, free.length - n));
    assert.ok(free.length >= n, 'free VLANs on physnet1');
    return free.slice(start, start + n);
  }
  /** every VF of both PFs exactly as at the start, none held, every VF netdev back on the host as it was */
  async function assertAllRestored(why: string): Promise<void> {
    for (const st of initialPfs) assert.deepEqual((await pfState(st.pf)).vfs, st.vfs, `${why}: VF table of ${st.pf}`);
    assert.deepEqual(await ledger(), [], `${why}: no VF held`);
    for (const name of allNetdevs) {
      const l = await link(name);
      assert.ok(l, `${why}: ${name} is back in the host namespace`);
      assert.deepEqual({ address: l.address, mtu: l.mtu }, originalNetdev.get(name), `${why}: ${name} MAC and MTU`);
    }
  }

  before(async () => {
    tb = testbed();
    // the embedded switch: a bridge in a netns of its own, one port per VF
    await ip(['netns', 'add', swNs]);
    cleanup.add(`ip netns del ${swNs}`, async () => {
      await ip(['netns', 'del', swNs], true);
      for (const n of allNetdevs) await ip(['link', 'del', n], true);
    });
    await ip(['-n', swNs, 'link', 'add', `${pre}br`, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await ip(['-n', swNs, 'link', 'set', `${pre}br`, 'up']);
    for (const n of allNetdevs) {
      await ip(['link', 'add', n, 'mtu', '1400', 'type', 'veth', 'peer', 'name', peerOf(n), 'netns', swNs]);
      await ip(['-n', swNs, 'link', 'set', peerOf(n), 'master', `${pre}br`, 'up']);
      const l = (await link(n))!;
      originalNetdev.set(n, { address: l.address, mtu: l.mtu });
    }

    root = await mkdtemp(join(tmpdir(), `${pre}-sriov-`));
    cleanup.add(`rm ${root}`, () => rm(root, { recursive: true, force: true }));
    sys = join(root, 'sys');
    pfDir = join(root, 'pf');
    // VFs as the operator left them: some with a VLAN, spoof checking off, trust on, an admin MAC
    const state = (i: number) => (i % 2 === 1 ? { vlan: 7, spoofchk: false, trust: true, mac: `02:0a:00:00:00:0${i}` } : {});
    spec = {
      pfs: [
        {
          name: 'ens1f0', pci: '0000:03:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
          vfs: INTEL_VFS.map((pci, index) => ({ index, pci, netdev: vfNetdev('ens1f0', index), driver: 'ixgbevf', state: state(index) })),
        },
        {
          name: 'ens2f0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
          vfs: MLX_VFS.map((pci, index) => ({ index, pci, netdev: vfNetdev('ens2f0', index), driver: 'mlx5_core', state: state(index) })),
        },
      ],
    };
    await buildSysfsTree(sys, spec);
    await writeFakeSriovState(pfDir, spec);
    initialPfs = fakePfStates(spec);

    [seg1, seg2] = (await freeVlans(2)) as [number, number];
    const vlanNetwork = async (seg: number, cidr: string): Promise<{ net: string; subnet: string }> => {
      const net = await create<{ id: string }>(tb, 'networks', {
        name: `${pre}-vlan${seg}`, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': seg,
      });
      cleanup.add(`delete network ${net.id}`, () => deleteNetworkDeep(tb, net.id));
      const subnet = await create<{ id: string }>(tb, 'subnets', { network_id: net.id, ip_version: 4, cidr, gateway_ip: gw(cidr), name: `${pre}-${cidr}` });
      return { net: net.id, subnet: subnet.id };
    };
    ({ net: net1, subnet: subnet1 } = await vlanNetwork(seg1, cidr1));
    ({ net: net2 } = await vlanNetwork(seg2, cidr2));

    // the seed's configuration, module-path driver names and all, plus the [sriov] host facts
    sriovConfig = [
      '[DEFAULT]',
      'enabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov',
      '[binding]',
      'enabled_drivers = kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb',
      '[sriov]',
      `sysfs_root = ${sys}`,
      'physical_device_mappings = physnet1:ens1f0,physnet1:ens2f0',
    ].join('\n');
    pluginEnv = {
      PATH: `${FAKE_IP_DIR}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      KURYR_FAKE_SRIOV_DIR: pfDir,
      KURYR_FAKE_SYSFS: sys,
      KURYR_FAKE_IP_NODE: process.execPath,
    };
    plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host, extraConfig: sriovConfig, env: pluginEnv });
    started.push(plugin);
    statePath = join(plugin.dir, 'state');
    cleanup.add('stop the plugin, remove its dirs', async () => {
      await plugin.stop();
      for (const p of started) await cleanupPluginDir(p);
    });
    cleanup.add('sweep leftovers', () => sweepKuryrLeftovers(tb, dockerNets, [cidr1, cidr2]));
  });

  after(async () => {
    for (const n of [dnet1, dnet2]) await docker(tb, ['network', 'rm', n], { allowFail: true });
    const errors = await cleanup.run();
    assert.deepEqual(errors, [], 'clean-up');
  });

  test('(a) the seed recipe: pre-created direct port with pci_slot, docker run --ip → that VF is the container\'s eth0', async () => {
    const pci = INTEL_VFS[1]!;
    const netdev = vfNetdev('ens1f0', 1);
    const ip1 = cidr1.replace(/0\/24$/, '10');
    const pre1 = await create<SriovPort>(tb, 'ports', {
      network_id: net1, name: `${pre}-seed-port`, 'binding:vnic_type': 'direct',
      'binding:profile': { physical_network: 'physnet1', pci_vendor_info: '8086:10ed', pci_slot: pci },
      fixed_ips: [{ subnet_id: subnet1, ip_address: ip1 }],
    });
    cleanup.add(`delete port ${pre1.id}`, () => deleteIfExists(tb, 'ports', pre1.id));
    dockerNets.push((await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', cidr1, '--gateway', gw(cidr1), '-o', `neutron.net.uuid=${net1}`, dnet1])).stdout);
    const t0 = Date.now();
    await container(`${pre}-c-seed`, ['--net', dnet1, '--ip', ip1]);
    console.error(`# docker run with a pinned VF: ${Date.now() - t0} ms`);
    // plugin side: how long CreateEndpoint (bind the port + program the VF) and Join took
    for (const line of (await plugin.logs()).split('\n')) {
      const m = /"method":"(NetworkDriver\.(?:CreateEndpoint|Join))","ms":(\d+)/.exec(line);
      if (m) console.error(`# ${m[1]} for the VF endpoint: ${m[2]} ms`);
    }

    const inside = await ifaceIn(tb, `${pre}-c-seed`, 'eth0');
    assert.equal(inside.mac, pre1.mac_address, "eth0's MAC is the port's");
    assert.deepEqual(inside.v4, [ip1]);
    assert.equal(inside.mtu, 1500, 'the network MTU');
    // eth0 IS the VF netdev: the same veth, its peer on the switch bridge; gone from the host namespace
    // the peer's ifindex as the container's own namespace reports it (`eth0@ifN`): ask `ip`, not /sys, which
    // may show another namespace's links when the container's /sys is not its own
    const shown = (await inNetns(tb, `${pre}-c-seed`, ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
    const iflink = Number(/^\d+: eth0@if(\d+):/.exec(shown)?.[1]);
    assert.equal(iflink, (await link(peerOf(netdev), swNs))!.ifindex, shown);
    assert.equal(await link(netdev), undefined, `${netdev} moved into the container`);

    const log = await calls('ens1f0');
    assert.ok(log.some((l) => l.includes(`vf 1 mac ${pre1.mac_address} vlan ${seg1}`)), log.join('\n'));
    const vf = (await pfState('ens1f0')).vfs[1]!;
    assert.deepEqual({ mac: vf.mac, vlan: vf.vlan, spoofchk: vf.spoofchk, trust: vf.trust },
      { mac: pre1.mac_address, vlan: seg1, spoofchk: true, trust: false });
    const bound = (await sriovPort(pre1.id))!;
    assert.equal(bound['binding:host_id'], tb.host);
    assert.equal(bound['binding:vif_type'], 'hw_veb');
    assert.equal(bound['binding:vif_details']['vlan'], String(seg1));
    assert.deepEqual(bound['binding:profile'], pre1['binding:profile'], 'the user\'s profile is not rewritten');
    const held = await ledger();
    assert.deepEqual(held.map((r) => [r.pci, r.portId]), [[pci, pre1.id]]);
    const sandboxKey = (await docker(tb, ['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', `${pre}-c-seed`])).stdout;
    assert.equal(held[0]!.sandboxKey, sandboxKey);
  });

  test('(c) after docker rm -f the VF is back exactly as it was and free; the user\'s port is handed back', async () => {
    await docker(tb, ['rm', '-f', `${pre}-c-seed`]);
    await assertAllRestored('after docker rm -f of the seed container');
    const { ports } = await neutronGet<{ ports: SriovPort[] }>(tb, `ports?network_id=${net1}&name=${pre}-seed-port`);
    assert.equal(ports.length, 1, 'a pre-created port is kept');
    assert.equal(ports[0]!['binding:host_id'], '');
    assert.deepEqual(kuryrTags(ports[0]!.tags), []);
    assert.deepEqual(ports[0]!['binding:profile'], { physical_network: 'physnet1', pci_vendor_info: '8086:10ed', pci_slot: INTEL_VFS[1] });
    await docker(tb, ['network', 'rm', dnet1]);
  });

  const autoContainers = Array.from({ length: 8 }, (_, i) => `${pre}-c${i}`);

  test('(b) automatic allocation: 8 containers on a kuryr.vnic_type=direct network get 8 distinct VFs over 2 PFs, and ping', async () => {
    dockerNets.push((await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', cidr2, '--gateway', gw(cidr2), '-o', `neutron.net.uuid=${net2}`, '-o', 'kuryr.vnic_type=direct', dnet2])).stdout);
    const t0 = Date.now();
    await Promise.all(autoContainers.map((c) => container(c, ['--net', dnet2])));
    console.error(`# 8 concurrent docker run with allocated VFs: ${Date.now() - t0} ms`);
    const held = await ledger();
    const pcis = held.map((r) => r.pci);
    assert.equal(new Set(pcis).size, 8, `8 distinct VFs: ${pcis.join(' ')}`);
    assert.equal(pcis.filter((p) => INTEL_VFS.includes(p)).length, 4, 'ens1f0 gives 4');
    assert.equal(pcis.filter((p) => MLX_VFS.includes(p)).length, 4, 'ens2f0 gives 4');
    const ips: string[] = [];
    const pfOfContainer: string[] = [];
    for (const c of autoContainers) {
      const ep = await endpointOf(tb, c, dnet2);
      const [port] = (await portsForEndpoint(tb, ep.EndpointID)) as SriovPort[];
      assert.ok(port, `a port for ${c}`);
      const rec = held.find((r) => r.endpointId === ep.EndpointID);
      assert.ok(rec, `${c} holds a VF`);
      assert.equal(port['binding:vnic_type'], 'direct');
      assert.equal(port['binding:vif_type'], 'hw_veb');
      assert.deepEqual(port['binding:profile'], {
        pci_slot: rec.pci, pci_vendor_info: INTEL_VFS.includes(rec.pci) ? '8086:10ed' : '15b3:1018', physical_network: 'physnet1',
      });
      const inside = await ifaceIn(tb, c, 'eth0');
      assert.equal(inside.mac, port.mac_address);
      assert.equal(await link(pciToNetdev(rec.pci)), undefined, `${pciToNetdev(rec.pci)} is inside ${c}`);
      const vf = (await pfState(rec.pf)).vfs[rec.vfIndex]!;
      assert.deepEqual({ mac: vf.mac, vlan: vf.vlan }, { mac: port.mac_address, vlan: seg2 });
      ips.push(inside.v4[0]!);
      pfOfContainer.push(rec.pf);
    }
    // two containers whose VFs sit on different PFs reach each other through the "embedded switch"
    const a = pfOfContainer.indexOf('ens1f0');
    const b = pfOfContainer.indexOf('ens2f0');
    assert.match(await ping(tb, autoContainers[a]!, ips[b]!), / 0% packet loss/);
  });

  test('(c) docker rm -f of all 8: every VF back to its exact original state, free, netdevs back; ports deleted', async () => {
    const portIds: string[] = [];
    for (const c of autoContainers) {
      const ep = await endpointOf(tb, c, dnet2);
      portIds.push(...(await portsForEndpoint(tb, ep.EndpointID)).map((p) => p.id));
    }
    await docker(tb, ['rm', '-f', ...autoContainers]);
    await assertAllRestored('after docker rm -f of 8 containers');
    for (const id of portIds) assert.equal(await getPort(tb, id), undefined, `port ${id} deleted`);
  });

  test('(e) a second plugin instance with the same state_path refuses to start', async () => {
    const name = `${pre}-second`;
    cleanup.add('remove the second instance\'s dir', async () => {
      for (const e of await readdir(tmpdir())) if (e.startsWith(`${name}-`)) await rm(join(tmpdir(), e), { recursive: true, force: true });
    });
    await assert.rejects(startPlugin({
      neutronUrl: tb.neutronUrl, host: tb.host, name, env: pluginEnv,
      extraConfig: `${sriovConfig}\n[DEFAULT]\nstate_path = ${statePath}`,
    }), /ERR_STATE_LOCKED/);
    assert.equal(plugin.child.exitCode, null, 'the first instance keeps running');
  });

  test('(d) kill -9 with VFs in use, containers removed while the plugin is down, restart: reconcile frees those VFs', async () => {
    const dead = [`${pre}-d0`, `${pre}-d1`];
    for (const c of dead) await container(c, ['--net', dnet2]);
    const held = await ledger();
    assert.equal(held.length, 2);
    const portIds = held.map((r) => r.portId);

    assert.equal(await plugin.stop('SIGKILL'), null);
    const t0 = Date.now();
    // dockerd retries each call to the dead plugin for ~15 s (Leave, DeleteEndpoint, ReleaseAddress)
    await docker(tb, ['rm', '-f', ...dead]);
    console.error(`# docker rm -f with the plugin down: ${Date.now() - t0} ms`);
    assert.deepEqual((await ledger()).map((r) => r.pci).sort(), held.map((r) => r.pci).sort(), 'still recorded: nobody freed them');
    for (const id of portIds) assert.equal((await getPort(tb, id))?.['binding:host_id'], tb.host, 'still bound');

    // kill -9 left the socket file behind: remove it so startPlugin waits for the new instance
    await rm(plugin.socket, { force: true });
    plugin = await startPlugin({
      neutronUrl: tb.neutronUrl, host: tb.host, name: plugin.name, env: pluginEnv,
      extraConfig: `${sriovConfig}\n[DEFAULT]\nstate_path = ${statePath}`,
    });
    started.push(plugin);
    await assertAllRestored('after the start-up reconcile').catch(async (e: unknown) => {
      console.error(`restarted plugin's log:\n${await plugin.logs()}`);
      throw e;
    });
    for (const id of portIds) assert.equal(await getPort(tb, id), undefined, `port ${id} released (deleted)`);
    const logs = (await plugin.logs()).split('\n');
    for (const r of held) {
      assert.ok(logs.some((l) => l.includes('releasing the VF of a dead endpoint') && l.includes(r.endpointId) && /sandbox \S+ gone/.test(l)),
        `the reconcile released ${r.pci} because its sandbox is gone:\n${logs.join('\n')}`);
    }
    await docker(tb, ['network', 'rm', dnet2]);
  });
});
