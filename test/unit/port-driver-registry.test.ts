import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginError } from '../../src/errors.ts';
import { createPortDriverRegistry } from '../../src/port-drivers/registry.ts';
import { recordingPortDriver, testConfig } from '../../src/testing/context.ts';

const factories = { veth: () => recordingPortDriver('veth'), sriov: () => recordingPortDriver('sriov') };

test('normal ports go to the default driver; direct, direct-physical and macvtap to sriov when enabled', () => {
  const reg = createPortDriverRegistry(testConfig({ default: { enabledPortDrivers: ['veth', 'sriov'] } }), factories);
  assert.equal(reg.forVnicType('normal').kind, 'veth');
  for (const t of ['direct', 'direct-physical', 'macvtap']) assert.equal(reg.forVnicType(t).kind, 'sriov');
  assert.equal(reg.forPort({ 'binding:vnic_type': undefined } as never).kind, 'veth', 'a port without vnic_type is normal');
  assert.deepEqual(reg.enabled().map((d) => d.kind), ['veth', 'sriov']);
});

test('a vnic type without an enabled driver names the option to change', () => {
  const reg = createPortDriverRegistry(testConfig(), factories);
  assert.throws(() => reg.forVnicType('direct'), (e: unknown) =>
    e instanceof PluginError && e.code === 'ERR_NO_PORT_DRIVER' && /enabled_port_drivers/.test(e.message) && /hw_veb/.test(e.message));
  assert.throws(() => reg.forVnicType('baremetal'), /No port driver available for VNIC type baremetal/);
});

test('only enabled drivers are built, and a default driver that is not enabled fails at start-up', () => {
  let built = 0;
  createPortDriverRegistry(testConfig(), { veth: () => { built += 1; return recordingPortDriver(); }, sriov: () => { throw new Error('must not build'); } });
  assert.equal(built, 1);
  assert.throws(() => createPortDriverRegistry(testConfig({ default: { defaultPortDriver: 'sriov' } }), factories),
    (e: unknown) => e instanceof PluginError && e.code === 'ERR_CONFIG_DRIVER');
  assert.throws(() => createPortDriverRegistry(testConfig({ default: { enabledPortDrivers: ['veth', 'nested'] } }), factories),
    /does not implement/);
});
