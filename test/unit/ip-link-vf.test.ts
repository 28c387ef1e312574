// Unit tests for the VF operations of src/host/ip-link.ts over the fake Exec: the single argv setVf builds
// for EVERY combination of VF settings (and the resulting PF-side state, read back with vfList), the
// validation that keeps bad values off the command line, driver refusals (partial application), and vfList
// parsing of iproute2-shaped `vfinfo_list` JSON (6.1 `address`/`vlan_list`/`rate`, and the older flat shape).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostCommandError, InvalidRequestError } from '../../src/errors.ts';
import {
  createIpLink, ipFailureReason, isLinkNotFound, parseVfInfoList, parseVfJson, vfArgs,
  type SetVfOptions, type VfConfig,
} from '../../src/host/ip-link.ts';
import { createFakeExec } from '../../src/testing/fake-exec.ts';

const SAMPLE: Required<SetVfOptions> = {
  mac: '02:AA:bb:cc:dd:01', vlan: 100, qos: 3, vlanProto: '802.1ad', spoofchk: false, trust: true,
  state: 'disable', minTxRate: 10, maxTxRate: 1000,
};
const KEYS = Object.keys(SAMPLE) as Array<keyof SetVfOptions>;

function expectedTail(o: SetVfOptions): string[] {
  const t: string[] = [];
  if (o.mac !== undefined) t.push('mac', o.mac.toLowerCase());
  if (o.vlan !== undefined) t.push('vlan', String(o.vlan));
  if (o.qos !== undefined) t.push('qos', String(o.qos));
  if (o.vlanProto !== undefined) t.push('proto', o.vlanProto);
  if (o.spoofchk !== undefined) t.push('spoofchk', o.spoofchk ? 'on' : 'off');
  if (o.trust !== undefined) t.push('trust', o.trust ? 'on' : 'off');
  if (o.state !== undefined) t.push('state', o.state);
  if (o.minTxRate !== undefined) t.push('min_tx_rate', String(o.minTxRate));
  if (o.maxTxRate !== undefined) t.push('max_tx_rate', String(o.maxTxRate));
  return t;
}

const DEFAULT_VF: Omit<VfConfig, 'vf'> = {
  mac: '00:00:00:00:00:00', vlan: 0, qos: 0, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0,
};

function subsets(): SetVfOptions[] {
  const out: SetVfOptions[] = [];
  for (let mask = 0; mask < 1 << KEYS.length; mask++) {
    const o: Record<string, unknown> = {};
    KEYS.forEach((k, i) => { if ((mask & (1 << i)) !== 0) o[k] = SAMPLE[k]; });
    out.push(o as SetVfOptions);
  }
  return out;
}

describe('IpLink.setVf argv', () => {
  it('builds one `ip link set dev <pf> vf <n> …` for every combination, and the PF ends in that state', async () => {
    let valid = 0;
    for (const o of subsets()) {
      const exec = createFakeExec();
      exec.links.seed({ ifname: 'ens1f0', vfs: 4 });
      const ip = createIpLink(exec);
      if ((o.qos !== undefined || o.vlanProto !== undefined) && o.vlan === undefined) {
        await assert.rejects(ip.setVf('ens1f0', 2, o), InvalidRequestError, JSON.stringify(o));
        assert.deepEqual(exec.commands(), [], 'nothing runs for a refused combination');
        continue;
      }
      valid++;
      await ip.setVf('ens1f0', 2, o);
      const tail = expectedTail(o);
      assert.deepEqual(exec.commands(), tail.length === 0 ? [] : [['ip', 'link', 'set', 'dev', 'ens1f0', 'vf', '2', ...tail].join(' ')], JSON.stringify(o));

      const vfs = await ip.vfList('ens1f0');
      assert.equal(vfs.length, 4);
      const want: VfConfig = { vf: 2, ...DEFAULT_VF };
      if (o.mac !== undefined) want.mac = o.mac.toLowerCase();
      if (o.vlan !== undefined) { want.vlan = o.vlan; want.qos = o.qos ?? 0; want.vlanProto = o.vlanProto ?? '802.1Q'; }
      if (o.spoofchk !== undefined) want.spoofchk = o.spoofchk;
      if (o.trust !== undefined) want.trust = o.trust;
      if (o.state !== undefined) want.linkState = o.state;
      if (o.minTxRate !== undefined) want.minTxRate = o.minTxRate;
      if (o.maxTxRate !== undefined) want.maxTxRate = o.maxTxRate;
      assert.deepEqual(vfs[2], want, JSON.stringify(o));
      assert.deepEqual(vfs[1], { vf: 1, ...DEFAULT_VF }, 'other VFs untouched');
    }
    assert.equal(valid, 320, '512 subsets minus the 192 with qos or proto but no vlan');
  });

  it('runs in the IpLink netns and sends nothing for empty options', async () => {
    const exec = createFakeExec();
    exec.links.seed({ ifname: 'ens1f0', ns: 'kvns', vfs: 2 });
    const ip = createIpLink(exec, { netns: 'kvns' });
    await ip.setVf('ens1f0', 0, {});
    await ip.setVf('ens1f0', 1, { vlan: 0, qos: 0, vlanProto: '802.1Q' });
    assert.deepEqual(exec.commands(), ['ip -n kvns link set dev ens1f0 vf 1 vlan 0 qos 0 proto 802.1Q']);
  });

  it('rate edge cases: 0 clears a limit, min = max is allowed, a min with max 0 (unlimited) is allowed', () => {
    assert.deepEqual(vfArgs(0, { minTxRate: 0, maxTxRate: 0 }), ['vf', '0', 'min_tx_rate', '0', 'max_tx_rate', '0']);
    assert.deepEqual(vfArgs(0, { minTxRate: 500, maxTxRate: 500 }), ['vf', '0', 'min_tx_rate', '500', 'max_tx_rate', '500']);
    assert.deepEqual(vfArgs(0, { minTxRate: 500, maxTxRate: 0 }), ['vf', '0', 'min_tx_rate', '500', 'max_tx_rate', '0']);
    assert.deepEqual(vfArgs(65535, { mac: '00:00:00:00:00:00' }), ['vf', '65535', 'mac', '00:00:00:00:00:00']);
  });

  it('refuses bad values before anything runs', async () => {
    const bad: Array<[number, SetVfOptions]> = [
      [-1, { vlan: 1 }], [1.5, { vlan: 1 }], [65536, { vlan: 1 }], [Number.NaN, { vlan: 1 }],
      [0, { vlan: 4095 }], [0, { vlan: -1 }], [0, { vlan: 1.5 }],
      [0, { vlan: 10, qos: 8 }], [0, { vlan: 10, qos: -1 }], [0, { vlan: 0, qos: 1 }],
      [0, { vlan: 0, vlanProto: '802.1ad' }], [0, { vlan: 10, vlanProto: '802.1q' as never }],
      [0, { qos: 1 }], [0, { vlanProto: '802.1Q' }],
      [0, { mac: '02:00:00:00:00' }], [0, { mac: '02-00-00-00-00-01' }], [0, { mac: 'zz:00:00:00:00:01' }],
      [0, { state: 'up' as never }],
      [0, { minTxRate: -1 }], [0, { maxTxRate: 1.5 }], [0, { maxTxRate: 2 ** 32 }],
      [0, { minTxRate: 200, maxTxRate: 100 }],
    ];
    for (const [vf, o] of bad) {
      const exec = createFakeExec();
      exec.links.seed({ ifname: 'ens1f0', vfs: 2 });
      const ip = createIpLink(exec);
      await assert.rejects(ip.setVf('ens1f0', vf, o), (e: unknown) => e instanceof InvalidRequestError, `${vf} ${JSON.stringify(o)}`);
      assert.deepEqual(exec.commands(), []);
    }
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    for (const pf of ['', '../x', 'help me', '-x', 'a'.repeat(16)]) {
      await assert.rejects(ip.setVf(pf, 0, { vlan: 1 }), (e: unknown) => e instanceof InvalidRequestError && e.code === 'ERR_INVALID_NAME');
      await assert.rejects(ip.vfList(pf), (e: unknown) => e instanceof InvalidRequestError && e.code === 'ERR_INVALID_NAME');
    }
    assert.deepEqual(exec.commands(), []);
  });

  it('uses `dev`, so a PF named like an ip keyword is still a name', async () => {
    const exec = createFakeExec();
    exec.links.seed({ ifname: 'help', vfs: 1 });
    await createIpLink(exec).setVf('help', 0, { trust: true });
    assert.deepEqual(exec.commands(), ['ip link set dev help vf 0 trust on']);
  });
});

describe('IpLink.setVf failures', () => {
  it('a driver refusal is a HostCommandError (unsupported), and earlier steps stay applied, as in the kernel', async () => {
    const exec = createFakeExec();
    // igb cannot set the VF link state
    exec.links.seed({ ifname: 'eno1', vfs: 2, vfRefuse: ['state'] });
    const ip = createIpLink(exec);
    const e = await ip.setVf('eno1', 1, { mac: '02:00:00:00:00:07', vlan: 5, spoofchk: false, state: 'enable', trust: true }).catch((x: unknown) => x);
    assert.ok(e instanceof HostCommandError);
    assert.equal(ipFailureReason(e), 'unsupported');
    const vf = (await ip.vfList('eno1'))[1];
    assert.equal(vf?.mac, '02:00:00:00:00:07');
    assert.equal(vf?.vlan, 5);
    assert.equal(vf?.spoofchk, false);
    assert.equal(vf?.linkState, 'auto', 'refused');
    assert.equal(vf?.trust, false, 'after the refused step: not applied');
  });

  it('ixgbe-style refusals: a non-zero min_tx_rate is invalid, 802.1ad unsupported', async () => {
    const exec = createFakeExec();
    exec.links.seed({ ifname: 'ens1f0', vfs: 1, vfRefuse: ['min_tx_rate', '802.1ad'] });
    const ip = createIpLink(exec);
    await ip.setVf('ens1f0', 0, { maxTxRate: 100 });
    await assert.rejects(ip.setVf('ens1f0', 0, { minTxRate: 10 }), (e: unknown) => ipFailureReason(e) === 'invalid_argument');
    await assert.rejects(ip.setVf('ens1f0', 0, { vlan: 10, vlanProto: '802.1ad' }), (e: unknown) => ipFailureReason(e) === 'unsupported');
    assert.deepEqual((await ip.vfList('ens1f0'))[0], { vf: 0, ...DEFAULT_VF, maxTxRate: 100 });
  });

  it('a VF number beyond the PF\'s VFs is invalid_argument; a link without VFs (veth) is unsupported; a missing PF is not_found', async () => {
    const exec = createFakeExec();
    exec.links.seed({ ifname: 'ens1f0', vfs: 2 });
    const ip = createIpLink(exec);
    await ip.addVeth('kvA', 'kvB');
    await assert.rejects(ip.setVf('ens1f0', 2, { vlan: 1 }), (e: unknown) => ipFailureReason(e) === 'invalid_argument');
    await assert.rejects(ip.setVf('kvA', 0, { vlan: 1 }), (e: unknown) => ipFailureReason(e) === 'unsupported');
    await assert.rejects(ip.setVf('nosuch', 0, { vlan: 1 }), (e: unknown) => isLinkNotFound(e));
    await assert.rejects(ip.vfList('nosuch'), (e: unknown) => isLinkNotFound(e));
    assert.deepEqual(await ip.vfList('kvA'), [], 'no vfinfo_list: no VFs');
  });
});

// ---- vfList parsing --------------------------------------------------------------------------------------

/** `ip -json -details link show dev ens1f0` on an 82599 (ixgbe) PF, shaped as iproute2 6.1 print_vfinfo prints it. */
const IXGBE_61 = JSON.stringify([{
  ifindex: 4, ifname: 'ens1f0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'mq', operstate: 'UP',
  linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'ether', address: '90:e2:ba:12:34:56', broadcast: 'ff:ff:ff:ff:ff:ff',
  promiscuity: 0, allmulti: 0, min_mtu: 68, max_mtu: 9710, inet6_addr_gen_mode: 'eui64', num_tx_queues: 64, num_rx_queues: 64,
  gso_max_size: 65536, gso_max_segs: 65535, parentbus: 'pci', parentdev: '0000:03:00.0',
  vfinfo_list: [
    { vf: 1, link_type: 'ether', address: '00:00:00:00:00:00', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{}], rate: { max_tx: 0, min_tx: 0 }, spoofchk: true, link_state: 'auto', trust: false, query_rss_en: false },
    { vf: 0, link_type: 'ether', address: 'FA:16:3E:11:22:33', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{ vlan: 100, qos: 3 }], rate: { max_tx: 1000, min_tx: 0 }, spoofchk: true, link_state: 'auto', trust: false, query_rss_en: false },
  ],
}]) + '\n';

/** A ConnectX-5 (mlx5) PF with a QinQ VF, trusted, link forced up, a minimum rate. */
const MLX5_61 = JSON.stringify([{
  ifindex: 7, ifname: 'enp130s0f0np0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 9000, operstate: 'UP', address: 'b8:59:9f:00:00:01',
  vfinfo_list: [
    { vf: 0, link_type: 'ether', address: '02:11:22:33:44:55', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{ vlan: 200, protocol: '802.1ad' }], rate: { max_tx: 0, min_tx: 100 }, spoofchk: false, link_state: 'enable', trust: true, query_rss_en: false },
    { vf: 1, link_type: 'ether', address: '02:11:22:33:44:56', broadcast: 'ff:ff:ff:ff:ff:ff', vlan_list: [{ vlan: 300, protocol: '0x9100' }], rate: { max_tx: 0, min_tx: 0 }, spoofchk: true, link_state: 'disable', trust: false, query_rss_en: false },
  ],
}]);

/** Older iproute2 (4.x): `mac`, flat vlan/qos, legacy tx_rate, no trust. */
const OLD_IPROUTE = JSON.stringify([{
  ifindex: 3, ifname: 'eno1', address: 'a0:36:9f:00:00:01',
  vfinfo_list: [{ vf: 0, mac: '02:00:00:00:00:09', vlan: 10, qos: 1, tx_rate: 500, spoofchk: false, link_state: 'disable' }, { mac: 'no vf number' }],
}]);

describe('IpLink.vfList parsing', () => {
  async function listWith(stdout: string, pf: string): Promise<{ vfs: VfConfig[]; commands: string[] }> {
    const exec = createFakeExec();
    exec.on(['ip', '-json', '-details', 'link', 'show', 'dev', pf], { stdout });
    const vfs = await createIpLink(exec).vfList(pf);
    return { vfs, commands: exec.commands() };
  }

  it('parses an iproute2 6.1 ixgbe PF: address, vlan_list, rate, booleans; sorted by VF', async () => {
    const { vfs, commands } = await listWith(IXGBE_61, 'ens1f0');
    assert.deepEqual(commands, ['ip -json -details link show dev ens1f0']);
    assert.deepEqual(vfs, [
      { vf: 0, mac: 'fa:16:3e:11:22:33', vlan: 100, qos: 3, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', maxTxRate: 1000, minTxRate: 0 },
      { vf: 1, mac: '00:00:00:00:00:00', vlan: 0, qos: 0, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', maxTxRate: 0, minTxRate: 0 },
    ]);
  });

  it('parses an mlx5 PF: 802.1ad protocol, trust, forced link state, min rate; an unknown protocol is left out', async () => {
    const { vfs } = await listWith(MLX5_61, 'enp130s0f0np0');
    assert.deepEqual(vfs[0], { vf: 0, mac: '02:11:22:33:44:55', vlan: 200, qos: 0, vlanProto: '802.1ad', spoofchk: false, trust: true, linkState: 'enable', maxTxRate: 0, minTxRate: 100 });
    assert.deepEqual(vfs[1], { vf: 1, mac: '02:11:22:33:44:56', vlan: 300, qos: 0, spoofchk: true, trust: false, linkState: 'disable', maxTxRate: 0, minTxRate: 0 });
  });

  it('parses the older flat shape (mac, vlan, qos, tx_rate) and skips entries without a VF number', async () => {
    const { vfs } = await listWith(OLD_IPROUTE, 'eno1');
    assert.deepEqual(vfs, [{ vf: 0, mac: '02:00:00:00:00:09', vlan: 10, qos: 1, spoofchk: false, linkState: 'disable', maxTxRate: 500 }]);
  });

  it('a link without vfinfo_list has no VFs; empty output is []', async () => {
    assert.deepEqual((await listWith(JSON.stringify([{ ifindex: 2, ifname: 'eth0' }]), 'eth0')).vfs, []);
    assert.deepEqual((await listWith('', 'eth0')).vfs, []);
    assert.deepEqual(parseVfInfoList(undefined), []);
    assert.deepEqual(parseVfInfoList({ vfinfo_list: 'nope' }), []);
    assert.equal(parseVfJson({ vf: 1.5 }), undefined);
    assert.deepEqual(parseVfJson({ vf: 0, address: 'not a mac', vlan_list: ['x'], link_state: 'weird', rate: { max_tx: '1' } }),
      { vf: 0, mac: '00:00:00:00:00:00', vlan: 0, qos: 0, vlanProto: '802.1Q' });
  });

  it('bad JSON is ERR_HOST_COMMAND', async () => {
    await assert.rejects(listWith('{not json', 'eth0'), (e: unknown) => e instanceof HostCommandError && /not JSON/u.test(e.message));
    await assert.rejects(listWith('{}', 'eth0'), (e: unknown) => e instanceof HostCommandError && /not a JSON array/u.test(e.message));
  });
});
