// SR-IOV under concurrency, end to end (issue 4, scenario (e): "50 concurrent allocations: no VF given twice").
// Same rig as sriov.test.ts — the real dockerd, the real Neutron (sriovnicswitch + the testbed's fake NIC Switch
// agent), the plugin started from its CLI with the seed's module-path driver names, a fake sysfs tree, REAL veth
// links standing in for the VF netdevs (peers on a bridge in a netns of their own) and the recording `ip` first
// in the plugin's PATH — but bigger: two PFs of this file (kc<rand>p0, kc<rand>p1) with 32 VFs each, all mapped
// to physnet1, and 50 `docker run -d` at once on one kuryr.vnic_type=direct network. Then: 50 distinct VFs
// (Neutron's binding:profile.pci_slot and the ledger agree), spread 25/25, each eth0 carries its port's MAC;
// 50 `docker rm -f` at once give every VF back exactly as it was, empty the ledger and delete every port.
// CIDR of this file: 10.96.x.0/24; VLAN: one free one in physnet1 100–200.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildSysfsTree, fakePfStates, writeFakeSriovState, type FakePfState, type SysfsTreeSpec,
} from '../../src/testing/sysfs-tree.ts';
import { Cleanup, create, getPorts, idTags } from '../helpers/e2e.ts';
import { deleteNetworkDeep, sweepKuryrLeftovers } from '../helpers/e2e-sweep.ts';
import { FAKE_IP_DIR, ip, type LedgerRecord, type SriovPort } from '../helpers/sriov-e2e.ts';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, neutronGet, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';


const N = 50;
const VFS_PER_PF = 32;
// PF 0: Intel 82599-like, VFs 0000:05:10.0 … 0000:05:13.7; PF 1: ConnectX-5-like, VFs 0000:86:01.0 … 0000:86:04.7
const PF0_VFS = Array.from({ length: VFS_PER_PF }, (_, i) => `0000:05:${(0x10 + (i >> 3)).toString(16)}.${i & 7}`);
const PF1_VFS = Array.from({ length: VFS_PER_PF }, (_, i) => `0000:86:${(0x01 + (i >> 3)).toString(16).padStart(2, '0')}.${i & 7}`);


/** runs fn over items with at most `width` at a time, results in order */
async function pool<T, R>(items: readonly T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

describe(`SR-IOV: ${N} concurrent allocations over 2 PFs x ${VFS_PER_PF} VFs (real dockerd and Neutron)`, () => {
  let tb: Testbed;
  let plugin: PluginProcess | undefined;
  const cleanup = new Cleanup();
  // kc + 4 random hex: links, PFs and the netns of this run (every name ≤ 15 bytes: the longest is kcXXXXqb31)
  const pre = `kc${randomBytes(2).toString('hex')}`;
  const pf0 = `${pre}p0`;
  const pf1 = `${pre}p1`;
  const swNs = `${pre}sw`;
  const octet = 1 + Math.floor(Math.random() * 250);
  const cidr = `10.96.${octet}.0/24`;
  const gw = cidr.replace(/0\/24$/, '1');
  const dnet = `${pre}-conc`;
  const dockerNets: string[] = [];
  const vfNetdev = (pf: 0 | 1, i: number) => `${pre}${pf === 0 ? 'a' : 'b'}${i}`;
  const peerOf = (netdev: string) => `${pre}q${netdev.slice(pre.length)}`;
  const allNetdevs = Array.from({ length: VFS_PER_PF }, (_, i) => [vfNetdev(0, i), vfNetdev(1, i)]).flat();
  const containers = Array.from({ length: N }, (_, i) => `${pre}-c${i}`);
  let pfDir = '';
  let initialPfs: FakePfState[] = [];
  const originalNetdev = new Map<string, { address: string; mtu: number }>();
  let net = '';
  let seg = 0;
  let statePath = '';
  /** the 50 Neutron ports of the containers, captured while they ran (for the "deleted" check) */
  let runningPortIds: string[] = [];

  async function pfState(pf: string): Promise<FakePfState> {
    return JSON.parse(await readFile(join(pfDir, `${pf}.json`), 'utf8')) as FakePfState;
  }
  async function ledger(): Promise<LedgerRecord[]> {
    const text = await readFile(join(statePath, 'sriov-state.json'), 'utf8').catch(() => '{"endpoints":{}}');
    return Object.values((JSON.parse(text) as { endpoints: Record<string, LedgerRecord> }).endpoints);
  }
  async function freeVlan(): Promise<number> {
    const { networks } = await neutronGet<{ networks: { 'provider:segmentation_id': number | null }[] }>(tb,
      'networks?provider:network_type=vlan&provider:physical_network=physnet1');
    const used = new Set(networks.map((x) => x['provider:segmentation_id']));
    const free = Array.from({ length: 101 }, (_, i) => 100 + i).filter((v) => !used.has(v));
    assert.ok(free.length > 0, 'a free VLAN on physnet1');
    return free[Math.floor(Math.random() * free.length)]!;
  }

  before(async () => {
    tb = testbed();
    // the embedded switch: a bridge in a netns of its own, one port per VF (64 veth pairs)
    await ip(['netns', 'add', swNs]);
    cleanup.add(`ip netns del ${swNs} and the VF veths`, async () => {
      await ip(['netns', 'del', swNs], true);
      for (const n of allNetdevs) await ip(['link', 'del', n], true);
    });
    await ip(['-n', swNs, 'link', 'add', `${pre}br`, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await ip(['-n', swNs, 'link', 'set', `${pre}br`, 'up']);
    const t0 = Date.now();
    // one `ip -batch` per side instead of 192 ip processes
    const batch = async (lines: string[], ns?: string): Promise<void> => {
      const file = join(tmpdir(), `${pre}-${ns ?? 'host'}.batch`);
      await writeFile(file, lines.join('\n') + '\n');
      try { await ip([...(ns === undefined ? [] : ['-n', ns]), '-batch', file]); } finally { await rm(file, { force: true }); }
    };
    await batch(allNetdevs.map((n) => `link add ${n} mtu 1400 type veth peer name ${peerOf(n)} netns ${swNs}`));
    await batch(allNetdevs.map((n) => `link set ${peerOf(n)} master ${pre}br up`), swNs);
    const shown = JSON.parse(await ip(['-json', 'link', 'show'])) as { ifname: string; address: string; mtu: number }[];
    for (const n of allNetdevs) {
      const l = shown.find((x) => x.ifname === n);
      assert.ok(l, `veth ${n} created`);
      originalNetdev.set(n, { address: l.address, mtu: l.mtu });
    }
    console.error(`# ${allNetdevs.length} veth VF netdevs: ${Date.now() - t0} ms`);

    const root = await mkdtemp(join(tmpdir(), `${pre}-sriov-conc-`));
    cleanup.add(`rm ${root}`, () => rm(root, { recursive: true, force: true }));
    const sys = join(root, 'sys');
    pfDir = join(root, 'pf');
    // VFs as the operator left them: odd ones with a VLAN, spoof checking off, trust on, an admin MAC
    const state = (pf: number, i: number) => (i % 2 === 1
      ? { vlan: 7, spoofchk: false, trust: true, mac: `02:0c:00:00:0${pf}:${i.toString(16).padStart(2, '0')}` }
      : {});
    const spec: SysfsTreeSpec = {
      pfs: [
        {
          name: pf0, pci: '0000:05:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
          vfs: PF0_VFS.map((pci, index) => ({ index, pci, netdev: vfNetdev(0, index), driver: 'ixgbevf', state: state(0, index) })),
        },
        {
          name: pf1, pci: '0000:86:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 64,
          vfs: PF1_VFS.map((pci, index) => ({ index, pci, netdev: vfNetdev(1, index), driver: 'mlx5_core', state: state(1, index) })),
        },
      ],
    };
    await buildSysfsTree(sys, spec);
    await writeFakeSriovState(pfDir, spec);
    initialPfs = fakePfStates(spec);

    seg = await freeVlan();
    const n = await create<{ id: string }>(tb, 'networks', {
      name: `${pre}-vlan${seg}`, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': seg,
    });
    net = n.id;
    cleanup.add(`delete network ${net}`, () => deleteNetworkDeep(tb, net));
    await create<{ id: string }>(tb, 'subnets', { network_id: net, ip_version: 4, cidr, gateway_ip: gw, name: `${pre}-${cidr}` });

    const sriovConfig = [
      '[DEFAULT]',
      'enabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov',
      '[binding]',
      'enabled_drivers = kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb',
      '[sriov]',
      `sysfs_root = ${sys}`,
      `physical_device_mappings = physnet1:${pf0},physnet1:${pf1}`,
    ].join('\n');
    const p = await startPlugin({
      neutronUrl: tb.neutronUrl, host: tb.host, extraConfig: sriovConfig,
      env: {
        PATH: `${FAKE_IP_DIR}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
        KURYR_FAKE_SRIOV_DIR: pfDir,
        KURYR_FAKE_SYSFS: sys,
        KURYR_FAKE_IP_NODE: process.execPath,
      },
    });
    plugin = p;
    statePath = join(p.dir, 'state');
    cleanup.add('stop the plugin, remove its dir', async () => {
      await p.stop();
      await cleanupPluginDir(p);
    });
    cleanup.add('sweep leftovers', () => sweepKuryrLeftovers(tb, dockerNets, [cidr]));
    // runs first (LIFO), while the plugin is still up: otherwise dockerd retries every call to it for ~15 s
    cleanup.add(`docker rm -f the ${N} containers, docker network rm ${dnet}`, async () => {
      for (let i = 0; i < containers.length; i += 25) {
        await docker(tb, ['rm', '-f', ...containers.slice(i, i + 25)], { allowFail: true });
      }
      await docker(tb, ['network', 'rm', dnet], { allowFail: true });
    });
  });

  after(async () => {
    const errors = await cleanup.run();
    assert.deepEqual(errors, [], 'clean-up');
  });

  test(`${N} concurrent docker run on a kuryr.vnic_type=direct network: ${N} distinct VFs, 25/25 over the PFs, ledger = ports`, async () => {
    assert.ok(plugin);
    dockerNets.push((await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', cidr, '--gateway', gw, '-o', `neutron.net.uuid=${net}`, '-o', 'kuryr.vnic_type=direct', dnet])).stdout);

    const t0 = Date.now();
    const results = await Promise.allSettled(containers.map((c) =>
      docker(tb, ['run', '-d', '--name', c, '--stop-timeout', '1', '--net', dnet, tb.image, 'sleep', '600'])));
    const ms = Date.now() - t0;
    console.error(`# ${N} concurrent docker run -d with allocated VFs: ${ms} ms`);
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${containers[i]}: ${String((r.reason as Error).message)}`] : []));
    if (failed.length > 0) console.error(`plugin log (tail):\n${(await plugin.logs()).split('\n').slice(-80).join('\n')}`);
    assert.deepEqual(failed, [], `all ${N} containers start`);
    // plugin side: where the time went (per-call durations the plugin logs)
    const per = new Map<string, number[]>();
    for (const line of (await plugin.logs()).split('\n')) {
      const m = /"method":"((?:NetworkDriver|IpamDriver)\.\w+)","ms":(\d+)/.exec(line);
      if (m) per.set(m[1]!, [...(per.get(m[1]!) ?? []), Number(m[2])]);
    }
    for (const [method, v] of per) {
      v.sort((a, b) => a - b);
      console.error(`# plugin ${method}: n=${v.length} median ${v[v.length >> 1]} ms, max ${v[v.length - 1]} ms`);
    }

    // every container's endpoint on dnet (one docker inspect for all 50)
    const inspect = JSON.parse((await docker(tb, ['inspect', ...containers])).stdout) as
      { Name: string; State: { Running: boolean }; NetworkSettings: { Networks: Record<string, { EndpointID: string; MacAddress: string }> } }[];
    assert.equal(inspect.length, N);
    assert.ok(inspect.every((x) => x.State.Running), 'all running');
    const endpointOf = new Map(inspect.map((x) => [x.Name.replace(/^\//, ''), x.NetworkSettings.Networks[dnet]?.EndpointID ?? '']));

    // the Neutron ports on the network, matched to the endpoints by kuryr's id tags
    const ports = (await getPorts(tb, `network_id=${net}`)).filter((x) => x.device_owner !== 'network:dhcp') as SriovPort[];
    assert.equal(ports.length, N, `${N} ports on the network`);
    const portOf = new Map<string, SriovPort>();
    for (const c of containers) {
      const ep = endpointOf.get(c)!;
      assert.match(ep, /^[0-9a-f]{64}$/, `${c} is on ${dnet}`);
      const tags = idTags(ep);
      const mine = ports.filter((x) => tags.every((t) => x.tags.includes(t)));
      assert.equal(mine.length, 1, `exactly one port for ${c}`);
      portOf.set(c, mine[0]!);
    }
    runningPortIds = [...portOf.values()].map((x) => x.id);

    // 50 DISTINCT pci_slots in Neutron, spread 25/25
    const slots = [...portOf.values()].map((x) => String(x['binding:profile']['pci_slot']));
    assert.equal(new Set(slots).size, N, `${N} distinct pci_slots: ${slots.join(' ')}`);
    assert.equal(slots.filter((s) => PF0_VFS.includes(s)).length, N / 2, `${pf0} gives ${N / 2}`);
    assert.equal(slots.filter((s) => PF1_VFS.includes(s)).length, N / 2, `${pf1} gives ${N / 2}`);
    for (const x of portOf.values()) {
      assert.equal(x['binding:vnic_type'], 'direct');
      assert.equal(x['binding:vif_type'], 'hw_veb');
      assert.equal(x['binding:host_id'], tb.host);
    }

    // the ledger holds exactly those 50: same endpoints, ports and VFs
    const held = await ledger();
    const key = (ep: string, port: string, pci: string) => `${ep} ${port} ${pci}`;
    assert.deepEqual(
      held.map((r) => key(r.endpointId, r.portId, r.pci)).sort(),
      containers.map((c) => key(endpointOf.get(c)!, portOf.get(c)!.id, String(portOf.get(c)!['binding:profile']['pci_slot']))).sort(),
      'the ledger = the 50 (endpoint, port, VF)',
    );

    // the PF side: each held VF carries its port's MAC and the network's VLAN
    const pfs = new Map([[pf0, await pfState(pf0)], [pf1, await pfState(pf1)]]);
    for (const r of held) {
      const port = [...portOf.values()].find((x) => x.id === r.portId)!;
      const vf = pfs.get(r.pf)!.vfs[r.vfIndex]!;
      assert.deepEqual({ mac: vf.mac, vlan: vf.vlan }, { mac: port.mac_address, vlan: seg }, `VF ${r.pf}/${r.vfIndex}`);
    }

    // each container's eth0 MAC is its port's MAC (8 docker exec at a time)
    const t1 = Date.now();
    const macs = await pool(containers, 8, async (c) =>
      /link\/ether ([0-9a-f:]{17})/.exec((await inNetns(tb, c, ['ip', '-o', 'link', 'show', 'eth0'])).stdout)?.[1] ?? '');
    console.error(`# ${N} docker exec (eth0 MAC): ${Date.now() - t1} ms`);
    containers.forEach((c, i) => assert.equal(macs[i], portOf.get(c)!.mac_address, `${c}: eth0 MAC is its port's`));
  });

  test(`${N} concurrent docker rm -f: every VF back exactly as it was, ledger empty, no port left`, async () => {
    assert.ok(runningPortIds.length === N, 'the run test captured the ports');
    const t0 = Date.now();
    const results = await Promise.allSettled(containers.map((c) => docker(tb, ['rm', '-f', c])));
    console.error(`# ${N} concurrent docker rm -f: ${Date.now() - t0} ms`);
    assert.deepEqual(results.flatMap((r, i) => (r.status === 'rejected' ? [containers[i]] : [])), [], 'all removed');

    for (const st of initialPfs) assert.deepEqual((await pfState(st.pf)).vfs, st.vfs, `VF table of ${st.pf} as at the start`);
    assert.deepEqual(await ledger(), [], 'no VF held');
    const shown = JSON.parse(await ip(['-json', 'link', 'show'])) as { ifname: string; address: string; mtu: number }[];
    for (const n of allNetdevs) {
      const l = shown.find((x) => x.ifname === n);
      assert.ok(l, `${n} is back in the host namespace`);
      assert.deepEqual({ address: l.address, mtu: l.mtu }, originalNetdev.get(n), `${n} MAC and MTU`);
    }
    const left = (await getPorts(tb, `network_id=${net}`)).filter((x) => x.device_owner !== 'network:dhcp');
    assert.deepEqual(left.map((x) => x.id), [], 'no ports left on the network');
    await docker(tb, ['network', 'rm', dnet]);
  });
});
