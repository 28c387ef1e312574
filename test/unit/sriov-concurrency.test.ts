// VF allocation under load and VF restore as a property: 50 concurrent reservations on a fake host with two
// 32-VF PFs never hand one VF out twice and spread evenly; any original VF state comes back exactly after the
// port's settings were applied.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { PluginError } from '../../src/errors.ts';
import { createIpLink } from '../../src/host/ip-link.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import type { NeutronNetwork } from '../../src/neutron/types.ts';
import { createSriovPortDriver } from '../../src/port-drivers/sriov.ts';
import { createFileVfLedger } from '../../src/sriov/ledger.ts';
import { applyVf, restoreVf, snapshotVf } from '../../src/sriov/vf-config.ts';
import { createFakeExec } from '../../src/testing/fake-exec.ts';
import { createFakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree } from '../../src/testing/sysfs-tree.ts';
import { silentLog } from '../../src/util/log.ts';

const hex = (n: number) => n.toString(16).padStart(2, '0');

test('50 concurrent VF reservations: 50 distinct VFs, 25 per PF, and the 65th is refused', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'kv-sriov-conc-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const pfs = [{ name: 'ens1f0', bus: '03' }, { name: 'ens2f0', bus: '05' }];
  await buildSysfsTree(join(root, 'sys'), {
    pfs: pfs.map((pf) => ({
      name: pf.name, pci: `0000:${pf.bus}:00.0`, vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 32,
      vfs: Array.from({ length: 32 }, (_, i) => ({ index: i, pci: `0000:${pf.bus}:${hex(16 + Math.floor(i / 8))}.${i % 8}`, netdev: `${pf.name}v${i}`, driver: 'ixgbevf' })),
    })),
  });
  const exec = createFakeExec();
  const driver = createSriovPortDriver({
    sysfs: createSysfs(join(root, 'sys')), ipLink: createIpLink(exec), neutron: createFakeNeutron(), log: silentLog,
    ledger: createFileVfLedger(join(root, 'state', 'sriov-state.json')),
    settings: { physnets: new Map([['physnet1', ['ens1f0', 'ens2f0']]]), excluded: new Map() },
  });
  const network = { id: 'net-1', 'provider:physical_network': 'physnet1' } as unknown as NeutronNetwork;
  const reserve = () => driver.prepareBinding!({ endpointId: randomBytes(32).toString('hex'), port: undefined, network, vnicType: 'direct' });
  const results = await Promise.all(Array.from({ length: 50 }, reserve));
  const slots = results.map((r) => (r.body['binding:profile'] as { pci_slot: string }).pci_slot);
  assert.equal(new Set(slots).size, 50, 'no VF handed out twice');
  assert.equal(slots.filter((s) => s.startsWith('0000:03:')).length, 25);
  assert.equal(slots.filter((s) => s.startsWith('0000:05:')).length, 25);
  // the rest of the 64, then one too many
  await Promise.all(Array.from({ length: 14 }, reserve));
  await assert.rejects(reserve(), (e: unknown) => e instanceof PluginError && e.code === 'ERR_VF_EXHAUSTED' &&
    /physnet1/.test(e.message) && /ens1f0, ens2f0/.test(e.message));
  // a fresh ledger instance on the same file (a restarted plugin) sees all 64 held
  const again = createSriovPortDriver({
    sysfs: createSysfs(join(root, 'sys')), ipLink: createIpLink(exec), neutron: createFakeNeutron(), log: silentLog,
    ledger: createFileVfLedger(join(root, 'state', 'sriov-state.json')),
    settings: { physnets: new Map([['physnet1', ['ens1f0', 'ens2f0']]]), excluded: new Map() },
  });
  await assert.rejects(again.prepareBinding!({ endpointId: 'x'.repeat(64), port: undefined, network, vnicType: 'direct' }),
    (e: unknown) => e instanceof PluginError && e.code === 'ERR_VF_EXHAUSTED');
});

const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => { b[0] = (b[0]! & 0xfe) | 0x02; return b.map(hex).join(':'); });

test('property: whatever state a VF started in, applying a port and restoring gives it back exactly', async () => {
  await fc.assert(fc.asyncProperty(
    fc.record({ mac, vlan: fc.integer({ min: 0, max: 4094 }), spoofchk: fc.boolean(), trust: fc.boolean(),
      linkState: fc.constantFrom('auto', 'enable', 'disable'), maxTxRate: fc.integer({ min: 0, max: 10000 }),
      mtu: fc.integer({ min: 1280, max: 9000 }), netdevMac: mac }),
    fc.record({ mac, vlan: fc.integer({ min: 0, max: 4094 }), spoofchk: fc.boolean(), trust: fc.boolean(), mtu: fc.integer({ min: 1280, max: 9000 }),
      down: fc.boolean() }),
    async (orig, portCfg) => {
      const exec = createFakeExec();
      exec.links.seed({ ifname: 'pf0', up: true, vfs: [{ mac: orig.mac, vlan: orig.vlan, spoofchk: orig.spoofchk, trust: orig.trust,
        linkState: orig.linkState, maxTxRate: orig.maxTxRate }] });
      exec.links.seed({ ifname: 'pf0v0', address: orig.netdevMac, mtu: orig.mtu });
      const ipLink = createIpLink(exec);
      const target = { pf: 'pf0', vfIndex: 0, netdev: 'pf0v0' };
      const before = await snapshotVf(ipLink, target);
      const beforeVf = (await ipLink.vfList('pf0'))[0];
      await applyVf(ipLink, target, { mac: portCfg.mac, vlan: portCfg.vlan, spoofchk: portCfg.spoofchk, trust: portCfg.trust,
        linkState: portCfg.down ? 'disable' : undefined, minTxRate: undefined, maxTxRate: undefined, mtu: portCfg.mtu });
      await restoreVf(ipLink, target, before);
      assert.deepEqual((await ipLink.vfList('pf0'))[0], beforeVf);
      const link = await ipLink.show('pf0v0');
      assert.equal(link?.address, orig.netdevMac);
      assert.equal(link?.mtu, orig.mtu);
    }), { numRuns: 60 });
});
