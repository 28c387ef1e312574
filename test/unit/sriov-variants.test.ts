// The SR-IOV vnic types beside direct: macvtap (a passthru macvtap on the programmed VF goes into the
// container) and direct-physical (the whole PF netdev goes in, its own MAC/MTU saved and restored). Driven
// through the sriov port driver on a fake sysfs tree with the FakeExec `ip` emulation.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PluginError } from '../../src/errors.ts';
import { createIpLink } from '../../src/host/ip-link.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import type { NeutronNetwork, NeutronPort } from '../../src/neutron/types.ts';
import { createSriovPortDriver } from '../../src/port-drivers/sriov.ts';
import { createFileVfLedger } from '../../src/sriov/ledger.ts';
import { createFakeExec } from '../../src/testing/fake-exec.ts';
import { createFakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree } from '../../src/testing/sysfs-tree.ts';
import { silentLog } from '../../src/util/log.ts';

const NET = { id: 'net-1', mtu: 1500, 'provider:physical_network': 'physnet1' } as unknown as NeutronNetwork;

async function rig(t: TestContext) {
  const root = await mkdtemp(join(tmpdir(), 'kv-sriov-var-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await buildSysfsTree(join(root, 'sys'), {
    pfs: [
      { name: 'ens1f0', pci: '0000:03:00.0', vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 8,
        vfs: [0, 1].map((i) => ({ index: i, pci: `0000:03:10.${i}`, netdev: `ens1f0v${i}`, driver: 'ixgbevf' })) },
      // a PF with no VFs enabled: what direct-physical hands out whole
      { name: 'ens3f0', pci: '0000:06:00.0', vendor: '0x15b3', device: '0x1017', driver: 'mlx5_core', totalVfs: 8, vfs: [] },
    ],
  });
  const exec = createFakeExec();
  const neutron = createFakeNeutron();
  exec.links.seed({ ifname: 'ens1f0', up: true, vfs: [{ mac: '02:aa:00:00:00:01', vlan: 7, maxTxRate: 0 }, { mac: '02:aa:00:00:00:02' }] });
  exec.links.seed({ ifname: 'ens1f0v0', address: '02:aa:00:00:00:01', mtu: 9000 });
  exec.links.seed({ ifname: 'ens1f0v1', address: '02:aa:00:00:00:02', mtu: 9000 });
  exec.links.seed({ ifname: 'ens3f0', address: '02:bb:06:00:00:00', mtu: 9000, up: true });
  const driver = createSriovPortDriver({
    sysfs: createSysfs(join(root, 'sys')), ipLink: createIpLink(exec), neutron, log: silentLog,
    ledger: createFileVfLedger(join(root, 'state.json')),
    settings: { physnets: new Map([['physnet1', ['ens1f0', 'ens3f0']]]), excluded: new Map() },
  });
  return { exec, driver, neutron };
}

function port(id: string, vifType: string, profile: Record<string, unknown> = {}): NeutronPort {
  return { id, name: 'p', network_id: NET.id, mac_address: 'fa:16:3e:00:00:42', admin_state_up: true, status: 'DOWN', device_id: '',
    device_owner: '', fixed_ips: [], port_security_enabled: true, 'binding:vif_type': vifType,
    'binding:vif_details': { vlan: '100' }, 'binding:profile': profile };
}

test('macvtap: the VF is programmed and a passthru macvtap with the port MAC goes to the container; all undone', async (t) => {
  const { exec, driver } = await rig(t);
  const ep = 'e'.repeat(64);
  const prep = await driver.prepareBinding!({ endpointId: ep, port: undefined, network: NET, vnicType: 'macvtap' });
  const profile = prep.body['binding:profile'] as Record<string, unknown>;
  assert.equal(profile['pci_slot'], '0000:03:10.0');
  const p = port('11111111-2222-3333-4444-555555555555', 'hw_veb', profile);
  await driver.createHostIface({ endpointId: ep, port: p, network: NET, subnets: [] });
  const tap = exec.links.get('mvt11111111-22');
  assert.equal(tap?.kind, 'macvtap');
  assert.equal(tap?.address, 'fa:16:3e:00:00:42');
  assert.equal(await driver.containerIfName(p, ep), 'mvt11111111-22');
  const vf = exec.links.get('ens1f0')!.vfs![0]!;
  assert.equal(vf.mac, 'fa:16:3e:00:00:42');
  assert.equal(vf.vlan, 100);
  await driver.deleteHostIface({ endpointId: ep, port: p });
  assert.equal(exec.links.get('mvt11111111-22'), undefined, 'macvtap removed');
  assert.equal(exec.links.get('ens1f0')!.vfs![0]!.mac, '02:aa:00:00:00:01');
  assert.equal(exec.links.get('ens1f0')!.vfs![0]!.vlan, 7);
  assert.equal(exec.links.get('ens1f0v0')!.mtu, 9000);
});

test('direct-physical: a PF without VFs is handed out whole, its MAC/MTU restored; a PF with VFs is never chosen', async (t) => {
  const { exec, driver } = await rig(t);
  const ep = 'd'.repeat(64);
  const prep = await driver.prepareBinding!({ endpointId: ep, port: undefined, network: NET, vnicType: 'direct-physical' });
  const profile = prep.body['binding:profile'] as Record<string, unknown>;
  assert.deepEqual(profile, { pci_slot: '0000:06:00.0', pci_vendor_info: '15b3:1017', physical_network: 'physnet1' });
  const p = port('99999999-2222-3333-4444-555555555555', 'hostdev_physical', profile);
  await driver.createHostIface({ endpointId: ep, port: p, network: NET, subnets: [] });
  assert.equal(await driver.containerIfName(p, ep), 'ens3f0');
  assert.equal(exec.links.get('ens3f0')!.address, 'fa:16:3e:00:00:42');
  assert.equal(exec.links.get('ens3f0')!.mtu, 1500);
  // the only PF without VFs is taken: a second direct-physical endpoint is refused by name
  await assert.rejects(driver.prepareBinding!({ endpointId: 'f'.repeat(64), port: undefined, network: NET, vnicType: 'direct-physical' }),
    (e: unknown) => e instanceof PluginError && e.code === 'ERR_VF_EXHAUSTED' && /ens1f0, ens3f0/.test(e.message));
  await driver.deleteHostIface({ endpointId: ep, port: p });
  assert.equal(exec.links.get('ens3f0')!.address, '02:bb:06:00:00:00');
  assert.equal(exec.links.get('ens3f0')!.mtu, 9000);
});

test('direct-physical bound as anything but hostdev_physical is a binding failure', async (t) => {
  const { driver } = await rig(t);
  const ep = 'c'.repeat(64);
  const prep = await driver.prepareBinding!({ endpointId: ep, port: undefined, network: NET, vnicType: 'direct-physical' });
  const p = port('77777777-2222-3333-4444-555555555555', 'binding_failed', prep.body['binding:profile'] as Record<string, unknown>);
  await assert.rejects(driver.createHostIface({ endpointId: ep, port: p, network: NET, subnets: [] }),
    (e: unknown) => e instanceof PluginError && e.code === 'ERR_BINDING_FAILED' && /hostdev_physical/.test(e.message));
  await prep.undo();
});

test('QoS: the port policy\'s egress bandwidth limit and minimum become the VF rates (kbps → Mbps), then restored', async (t) => {
  const { exec, driver, neutron } = await rig(t);
  neutron.state.qosPolicies.set('qos-1', { id: 'qos-1', rules: [
    { type: 'bandwidth_limit', max_kbps: 250_000, direction: 'egress' },
    { type: 'bandwidth_limit', max_kbps: 1, direction: 'ingress' },
    { type: 'minimum_bandwidth', min_kbps: 400, direction: 'egress' },
  ] });
  const ep = 'a'.repeat(64);
  const prep = await driver.prepareBinding!({ endpointId: ep, port: undefined, network: NET, vnicType: 'direct' });
  const p = { ...port('33333333-2222-3333-4444-555555555555', 'hw_veb', prep.body['binding:profile'] as Record<string, unknown>), qos_policy_id: 'qos-1' };
  await driver.createHostIface({ endpointId: ep, port: p, network: NET, subnets: [] });
  const vf = exec.links.get('ens1f0')!.vfs![0]!;
  assert.equal(vf.maxTxRate, 250, '250 000 kbps egress limit = 250 Mbps');
  assert.equal(vf.minTxRate, 1, 'a minimum under 1000 kbps rounds up to 1 Mbps, as the Neutron agent does');
  await driver.deleteHostIface({ endpointId: ep, port: p });
  const back = exec.links.get('ens1f0')!.vfs![0]!;
  assert.equal(back.maxTxRate, 0);
  assert.equal(back.minTxRate ?? 0, 0);
});

test('QoS: a policy Neutron does not know (no qos extension) leaves the rates alone', async (t) => {
  const { exec, driver } = await rig(t);
  const ep = 'b'.repeat(64);
  const prep = await driver.prepareBinding!({ endpointId: ep, port: undefined, network: NET, vnicType: 'direct' });
  const p = { ...port('44444444-2222-3333-4444-555555555555', 'hw_veb', prep.body['binding:profile'] as Record<string, unknown>), qos_policy_id: 'gone' };
  await driver.createHostIface({ endpointId: ep, port: p, network: NET, subnets: [] });
  assert.equal(exec.links.get('ens1f0')!.vfs![0]!.maxTxRate, 0);
  await driver.deleteHostIface({ endpointId: ep, port: p });
});
