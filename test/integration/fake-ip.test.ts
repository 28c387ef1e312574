// Integration tests for the e2e's SR-IOV stand-in, test/helpers/fake-ip/ip, run for real: a fake sysfs tree
// whose VF netdevs are REAL veths (kv<random>, in the host netns, deleted afterwards), PF state files, and the
// executable first in PATH. Asserts the state file, the .calls log, the MAC landing on the veth, iproute2-shaped
// `show` output, refusals with partial application, locking, pass-through to the real ip, and — as a contract —
// that the in-memory fake (src/testing/fake-exec) answers the same command sequence identically.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HostCommandError } from '../../src/errors.ts';
import { createExec, type Exec, type ExecResult } from '../../src/host/exec.ts';
import { createIpLink, ipFailureReason, parseVfInfoList } from '../../src/host/ip-link.ts';
import { createFakeExec, type FakeVfRefusal } from '../../src/testing/fake-exec.ts';
import { netdevToContainer, netdevToHost, type FakePfState, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';

const FAKE_IP_DIR = fileURLToPath(new URL('../helpers/fake-ip/', import.meta.url));
const SYSFS_TREE_CLI = fileURLToPath(new URL('../../src/testing/sysfs-tree.ts', import.meta.url));
const REAL_IP = '/usr/sbin/ip';
const real = createExec({ timeoutMs: 20_000 });

interface Bed {
  dir: string;
  sys: string;
  state: string;
  pf: string;
  /** VF netdevs (real veth ends) of VF 0 and 1; their peers are <name>p */
  vf0: string;
  vf1: string;
  exec: Exec;
  ip(...args: string[]): Promise<ExecResult>;
  readState(): Promise<FakePfState>;
  calls(): Promise<string[]>;
}

async function realMac(name: string): Promise<string> {
  const r = await real.run([REAL_IP, '-json', 'link', 'show', 'dev', name]);
  return ((JSON.parse(r.stdout) as Array<{ address: string }>)[0]?.address ?? '').toLowerCase();
}

async function setup(t: TestContext, o: { refuse?: FakeVfRefusal[]; realPf?: boolean } = {}): Promise<Bed> {
  const tag = randomBytes(4).toString('hex');
  const pf = `kvp${tag}`;
  const vf0 = `kva${tag}`;
  const vf1 = `kvb${tag}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kv-fakeip-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const v of [vf0, vf1]) {
    await real.run([REAL_IP, 'link', 'add', v, 'type', 'veth', 'peer', 'name', `${v}p`]);
    t.after(async () => { await real.run([REAL_IP, 'link', 'del', v], { okCodes: [0, 1] }); });
  }
  if (o.realPf === true) {
    await real.run([REAL_IP, 'link', 'add', pf, 'type', 'veth', 'peer', 'name', `${pf}p`]);
    t.after(async () => { await real.run([REAL_IP, 'link', 'del', pf], { okCodes: [0, 1] }); });
  }
  const spec: SysfsTreeSpec = {
    pfs: [{
      name: pf, pci: '0000:03:00.0', vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 63,
      ...(o.refuse === undefined ? {} : { refuse: o.refuse }),
      vfs: [
        { index: 0, pci: '0000:03:10.0', netdev: vf0, driver: 'ixgbevf' },
        { index: 1, pci: '0000:03:10.2', netdev: vf1, driver: 'ixgbevf' },
        ...[2, 3, 4, 5, 6, 7].map((i) => ({ index: i, pci: `0000:03:1${i}.0`, driver: 'vfio-pci' })),
      ],
    }],
  };
  // built through the CLI the e2e uses
  const specFile = path.join(dir, 'spec.json');
  await writeFile(specFile, JSON.stringify(spec));
  const sys = path.join(dir, 'sys');
  const state = path.join(dir, 'state');
  await real.run([process.execPath, '--import', 'tsx', SYSFS_TREE_CLI, 'build', sys, specFile, '--fake-sriov-dir', state]);
  const env = { ...process.env, PATH: `${FAKE_IP_DIR}:${process.env['PATH'] ?? ''}`, KURYR_FAKE_SRIOV_DIR: state, KURYR_FAKE_SYSFS: sys };
  const exec = createExec({ timeoutMs: 20_000, env });
  return {
    dir, sys, state, pf, vf0, vf1, exec,
    ip: (...args) => exec.run(['ip', ...args], { okCodes: [0, 1, 2, 255] }),
    readState: async () => JSON.parse(await readFile(path.join(state, `${pf}.json`), 'utf8')) as FakePfState,
    calls: async () => (await readFile(path.join(state, `${pf}.calls`), 'utf8')).split('\n').filter((l) => l !== ''),
  };
}

describe('fake-ip (integration)', () => {
  it('`ip link set <pf> vf 0 mac … vlan 100 spoofchk on trust off`: state file, calls log, and the real VF veth gets the MAC', async (t) => {
    const b = await setup(t);
    const r = await b.ip('link', 'set', b.pf, 'vf', '0', 'mac', '02:AB:CD:00:00:01', 'vlan', '100', 'spoofchk', 'on', 'trust', 'off');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await b.calls(), [`ip link set ${b.pf} vf 0 mac 02:AB:CD:00:00:01 vlan 100 spoofchk on trust off`]);
    const st = await b.readState();
    assert.deepEqual(st.vfs[0], {
      vf: 0, mac: '02:ab:cd:00:00:01', vlan: 100, qos: 0, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0,
    });
    assert.equal(st.vfs[1]?.mac, '00:00:00:00:00:00', 'other VFs untouched');
    assert.equal(await realMac(b.vf0), '02:ab:cd:00:00:01', 'applied to the VF netdev, as hardware would');
    assert.notEqual(await realMac(b.vf1), '02:ab:cd:00:00:01');
  });

  it('`ip -j -d link show dev <pf>` answers the VF table in iproute2 6.1 shape; text output lists the VFs', async (t) => {
    const b = await setup(t);
    await b.ip('link', 'set', 'dev', b.pf, 'vf', '1', 'vlan', '200', 'qos', '5', 'proto', '802.1ad', 'max_tx_rate', '1000', 'min_tx_rate', '100', 'state', 'enable', 'trust', 'on', 'spoofchk', 'off');
    for (const flags of [['-j', '-d'], ['-json', '-details']]) {
      const r = await b.ip(...flags, 'link', 'show', 'dev', b.pf);
      assert.equal(r.code, 0, r.stderr);
      const links = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      assert.equal(links.length, 1);
      assert.equal(links[0]?.['ifname'], b.pf);
      assert.equal(links[0]?.['num_vf'], 8);
      const vfs = parseVfInfoList(links[0]);
      assert.equal(vfs.length, 8);
      assert.deepEqual(vfs[1], { vf: 1, mac: '00:00:00:00:00:00', vlan: 200, qos: 5, vlanProto: '802.1ad', spoofchk: false, trust: true, linkState: 'enable', maxTxRate: 1000, minTxRate: 100 });
      assert.deepEqual((links[0]?.['vfinfo_list'] as unknown[])[0], {
        vf: 0, link_type: 'ether', address: '00:00:00:00:00:00', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{}],
        rate: { max_tx: 0, min_tx: 0 }, spoofchk: true, link_state: 'auto', trust: false, query_rss_en: false,
      });
    }
    const text = await b.ip('link', 'show', b.pf);
    assert.match(text.stdout, new RegExp(`^9000: ${b.pf}: <BROADCAST,MULTICAST,UP,LOWER_UP>`, 'u'));
    assert.match(text.stdout, /\n {4}vf 1 {5}link\/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, vlan 200, qos 5, vlan protocol 802\.1ad, max_tx_rate 1000Mbps, min_tx_rate 100Mbps, spoof checking off, link-state enable, trust on/u);
    assert.deepEqual(await b.calls(), [`ip link set dev ${b.pf} vf 1 vlan 200 qos 5 proto 802.1ad max_tx_rate 1000 min_tx_rate 100 state enable trust on spoofchk off`], 'show is not logged');
  });

  it('IpLink.setVf / vfList run end to end through it; a refused step fails with the earlier ones applied', async (t) => {
    const b = await setup(t, { refuse: ['state'] });
    const ip = createIpLink(b.exec);
    await ip.setVf(b.pf, 1, { mac: '02:00:00:00:00:42', vlan: 7, qos: 1, spoofchk: false, trust: true, minTxRate: 0, maxTxRate: 500 });
    assert.equal(await realMac(b.vf1), '02:00:00:00:00:42');
    const e = await ip.setVf(b.pf, 0, { mac: '02:00:00:00:00:43', vlan: 9, state: 'disable', trust: true }).catch((x: unknown) => x);
    assert.ok(e instanceof HostCommandError, String(e));
    assert.equal(ipFailureReason(e), 'unsupported', 'igb-style: no VF link state');
    const vfs = await ip.vfList(b.pf);
    assert.deepEqual(vfs[1], { vf: 1, mac: '02:00:00:00:00:42', vlan: 7, qos: 1, vlanProto: '802.1Q', spoofchk: false, trust: true, linkState: 'auto', maxTxRate: 500, minTxRate: 0 });
    assert.deepEqual(vfs[0], { vf: 0, mac: '02:00:00:00:00:43', vlan: 9, qos: 0, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', maxTxRate: 0, minTxRate: 0 });
    assert.equal(await realMac(b.vf0), '02:00:00:00:00:43', 'the MAC step ran before the refusal');
    assert.deepEqual(await b.calls(), [
      `ip link set dev ${b.pf} vf 1 mac 02:00:00:00:00:42 vlan 7 qos 1 spoofchk off trust on min_tx_rate 0 max_tx_rate 500`,
      `ip link set dev ${b.pf} vf 0 mac 02:00:00:00:00:43 vlan 9 trust on state disable`,
    ]);
  });

  it('a VF netdev inside a "container" keeps its MAC: only the PF-side state changes', async (t) => {
    const b = await setup(t);
    const before = await realMac(b.vf0);
    const pci = await netdevToContainer(b.sys, b.vf0);
    const r = await b.ip('link', 'set', 'dev', b.pf, 'vf', '0', 'mac', '02:00:00:00:00:99');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await b.readState()).vfs[0]?.mac, '02:00:00:00:00:99');
    assert.equal(await realMac(b.vf0), before);
    await netdevToHost(b.sys, pci, b.vf0);
    await b.ip('link', 'set', 'dev', b.pf, 'vf', '0', 'mac', '02:00:00:00:00:98');
    assert.equal(await realMac(b.vf0), '02:00:00:00:00:98');
    // all-zero clears the admin MAC; the netdev keeps what it has
    await b.ip('link', 'set', 'dev', b.pf, 'vf', '0', 'mac', '00:00:00:00:00:00');
    assert.equal(await realMac(b.vf0), '02:00:00:00:00:98');
  });

  it('argument errors exit 255 and change nothing; kernel refusals exit 2 with RTNETLINK text', async (t) => {
    const b = await setup(t);
    const cases: Array<[string[], number, RegExp]> = [
      [['vf', '0', 'vlan', 'x'], 255, /Invalid "vlan" value/u],
      [['vf', '0', 'spoofchk', 'maybe'], 255, /must be "on" or "off"/u],
      [['vf', '0', 'mac', 'nonsense'], 255, /invalid lladdr/u],
      [['vf', '0', 'vlan', '5', 'proto', '802.1x'], 255, /protocol is invalid/u],
      [['vf', '0', 'mtu', '1400'], 255, /only "vf N \.\.\." settings/u],
      [['vf', '8', 'vlan', '1'], 2, /RTNETLINK answers: Invalid argument/u],
      [['vf', '0', 'vlan', '4096'], 2, /RTNETLINK answers: Invalid argument/u],
      [['vf', '0', 'mac', '01:00:5e:00:00:01'], 2, /RTNETLINK answers: Invalid argument/u],
      [['vf', '0', 'min_tx_rate', '200', 'max_tx_rate', '100'], 2, /RTNETLINK answers: Invalid argument/u],
    ];
    const initial = await b.readState();
    for (const [args, code, re] of cases) {
      const r = await b.ip('link', 'set', 'dev', b.pf, ...args);
      assert.equal(r.code, code, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.deepEqual(await b.readState(), initial);
    assert.equal((await b.calls()).length, cases.length, 'every attempt is logged');
  });

  it('serialises concurrent calls on one PF (no lost update)', async (t) => {
    const b = await setup(t);
    const ip = createIpLink(b.exec);
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((n) => ip.setVf(b.pf, n, { vlan: 100 + n, trust: true })));
    const vfs = await ip.vfList(b.pf);
    assert.deepEqual(vfs.map((v) => [v.vlan, v.trust]), [0, 1, 2, 3, 4, 5, 6, 7].map((n) => [100 + n, true]));
    assert.equal((await b.calls()).length, 8);
  });

  it('everything else passes through to the real ip, unchanged', async (t) => {
    const b = await setup(t);
    const lo = await b.ip('link', 'show', 'lo');
    const loReal = await real.run([REAL_IP, 'link', 'show', 'lo']);
    assert.equal(lo.code, 0);
    assert.equal(lo.stdout, loReal.stdout);
    const vf = await b.ip('-j', '-d', 'link', 'show', 'dev', b.vf0);
    assert.equal((JSON.parse(vf.stdout) as Array<{ linkinfo?: { info_kind?: string } }>)[0]?.linkinfo?.info_kind, 'veth');
    // set without `vf` on a fake PF with no real link: the real ip's error
    const up = await b.ip('link', 'set', 'dev', b.pf, 'up');
    assert.equal(up.code, 1);
    assert.match(up.stderr, /Cannot find device/u);
    // -n: the fake PFs live in the init netns only
    const ns = await b.ip('-n', `kvnone${randomBytes(3).toString('hex')}`, 'link', 'show', 'dev', b.pf);
    assert.notEqual(ns.code, 0);
    // an unrelated object
    const addr = await b.ip('-j', 'addr', 'show', 'dev', 'lo');
    assert.equal((JSON.parse(addr.stdout) as Array<{ ifname: string }>)[0]?.ifname, 'lo');
    assert.deepEqual(await b.calls(), []);
  });

  it('merges vfinfo_list into the real link\'s output when a link named like the PF exists', async (t) => {
    const b = await setup(t, { realPf: true });
    await b.ip('link', 'set', 'dev', b.pf, 'vf', '2', 'vlan', '42');
    const r = await b.ip('-json', '-details', 'link', 'show', 'dev', b.pf);
    const link = (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0] ?? {};
    assert.equal((link['linkinfo'] as { info_kind?: string } | undefined)?.info_kind, 'veth', 'the real link');
    assert.equal(parseVfInfoList(link)[2]?.vlan, 42);
    // `set` without vf reaches the real link
    assert.equal((await b.ip('link', 'set', 'dev', b.pf, 'mtu', '1400')).code, 0);
    assert.equal((await createIpLink(real).show(b.pf))?.mtu, 1400);
  });

  it('contract: the in-memory fake (FakeExec) answers the same commands identically', async (t) => {
    const b = await setup(t, { refuse: ['min_tx_rate', 'trust'] });
    const mem = createFakeExec();
    mem.links.seed({ ifname: b.pf, vfs: 8, vfRefuse: ['min_tx_rate', 'trust'] });
    const seq: string[][] = [
      ['vf', '0', 'mac', '02:11:22:33:44:55', 'vlan', '100', 'qos', '2', 'spoofchk', 'off'],
      ['vf', '1', 'vlan', '300', 'proto', '802.1ad', 'rate', '50', 'state', 'disable'],
      ['vf', '1', 'max_tx_rate', '0'],
      ['vf', '2', 'min_tx_rate', '10'],
      ['vf', '3', 'spoofchk', 'off', 'trust', 'on'],
      ['vf', '4', 'vlan', '12', 'vf', '5', 'mac', '2:0:0:0:0:5'],
      ['vf', '6', 'vlan', '0', 'qos', '9'],
      ['vf', '9', 'state', 'auto'],
      ['vf', '0', 'vlan', 'nope'],
      ['vf', '7', 'mac', '03:00:00:00:00:01'],
      ['vf', '7', 'min_tx_rate', '0', 'max_tx_rate', '10', 'query_rss', 'on'],
    ];
    for (const args of seq) {
      const argv = ['link', 'set', 'dev', b.pf, ...args];
      const fromFile = await b.ip(...argv);
      const fromMem = await mem.run(['ip', ...argv], { okCodes: [0, 1, 2, 255] });
      assert.equal(fromFile.code, fromMem.code, args.join(' '));
      assert.equal(fromFile.stderr.trim(), fromMem.stderr.trim(), args.join(' '));
    }
    const show = ['-json', '-details', 'link', 'show', 'dev', b.pf];
    const a = (JSON.parse((await b.ip(...show)).stdout) as unknown[])[0] as Record<string, unknown>;
    const m = (JSON.parse((await mem.run(['ip', ...show])).stdout) as unknown[])[0] as Record<string, unknown>;
    assert.deepEqual(a['vfinfo_list'], m['vfinfo_list']);
    assert.equal(a['num_vf'], m['num_vf']);
  });
});
