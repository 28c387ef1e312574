// The plugin's HTTP API over its unix socket, driven the way dockerd drives it, against the real Neutron
// (through a fault-injecting proxy): wire shapes, bad input, unknown ids, and Neutron failing mid-call.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { callSocket, cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { neutronGet, testbed, type Testbed } from '../helpers/testbed.ts';

const dockerId = () => randomBytes(32).toString('hex');

describe('plugin API over the socket against real Neutron', () => {
  let tb: Testbed;
  let proxy: FaultProxy;
  let plugin: PluginProcess;
  const cidr = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.0/24`;

  before(async () => {
    tb = testbed();
    proxy = await startFaultProxy(tb.neutronUrl);
    plugin = await startPlugin({ neutronUrl: proxy.url, host: tb.host });
  });
  after(async () => {
    await plugin?.stop();
    if (plugin) await cleanupPluginDir(plugin);
    await proxy?.close();
  });

  test('Plugin.Activate and the capability calls accept empty bodies without a Content-Type', async () => {
    assert.deepEqual((await plugin.call('Plugin.Activate')).body, { Implements: ['NetworkDriver', 'IpamDriver'] });
    assert.deepEqual((await plugin.call('NetworkDriver.GetCapabilities')).body, { Scope: 'local', ConnectivityScope: 'local' });
    assert.deepEqual((await plugin.call('IpamDriver.GetCapabilities')).body, { RequiresMACAddress: false, RequiresRequestReplay: false });
    assert.deepEqual((await plugin.call('IpamDriver.GetDefaultAddressSpaces')).body,
      { LocalDefaultAddressSpace: 'no_address_space', GlobalDefaultAddressSpace: 'no_address_space' });
  });

  test('malformed JSON is a 400 with Err, and the plugin keeps serving', async () => {
    const r = await callSocket(plugin.socket, 'NetworkDriver.CreateNetwork', '{"NetworkID": ');
    assert.equal(r.status, 400);
    assert.match(String(r.body['Err']), /ERR_INVALID_REQUEST/);
    assert.equal((await plugin.call('Plugin.Activate')).status, 200);
  });

  test('an unknown method is a 404 with Err', async () => {
    const r = await plugin.call('NetworkDriver.Bogus', {});
    assert.equal(r.status, 404);
    assert.match(String(r.body['Err']), /ERR_UNKNOWN_METHOD/);
  });

  test('schema violations name the field, under Err for NetworkDriver and Error for IpamDriver', async () => {
    const n = await plugin.call('NetworkDriver.CreateEndpoint', { NetworkID: 'nope', EndpointID: dockerId(), Options: {} });
    assert.equal(n.status, 200);
    assert.match(String(n.body['Err']), /ERR_INVALID_REQUEST: NetworkID/);
    const i = await plugin.call('IpamDriver.RequestAddress', { PoolID: 'not-a-uuid', Address: '', Options: {} });
    assert.equal(i.status, 200);
    assert.match(String(i.body['Error']), /ERR_INVALID_REQUEST: PoolID/);
    assert.equal(i.body['Err'], undefined);
  });

  test('unknown network and endpoint ids: clear errors for create/join, success for deletes', async () => {
    const net = dockerId();
    const ep = dockerId();
    const c = await plugin.call('NetworkDriver.CreateEndpoint', { NetworkID: net, EndpointID: ep, Options: {},
      Interface: { Address: '10.1.2.3/24', AddressIPv6: '', MacAddress: '' } });
    assert.match(String(c.body['Err']), /ERR_NETWORK_NOT_FOUND: Neutron net associated with identifier/);
    const j = await plugin.call('NetworkDriver.Join', { NetworkID: net, EndpointID: ep, SandboxKey: '/var/run/docker/netns/abc' });
    assert.match(String(j.body['Err']), /ERR_NETWORK_NOT_FOUND/);
    assert.deepEqual((await plugin.call('NetworkDriver.DeleteEndpoint', { NetworkID: net, EndpointID: ep })).body, {});
    assert.deepEqual((await plugin.call('NetworkDriver.DeleteNetwork', { NetworkID: net })).body, {});
    assert.deepEqual((await plugin.call('NetworkDriver.Leave', { NetworkID: net, EndpointID: ep })).body, {});
    assert.deepEqual((await plugin.call('NetworkDriver.EndpointOperInfo', { NetworkID: net, EndpointID: ep })).body, { Value: {} });
    const rp = await plugin.call('IpamDriver.ReleasePool', { PoolID: '00000000-0000-0000-0000-000000000000' });
    assert.deepEqual(rp.body, {});
  });

  test('Neutron unreachable: a clear Err, nothing created, and the plugin keeps serving', async () => {
    const net = dockerId();
    proxy.down();
    try {
      const r = await plugin.call('IpamDriver.RequestPool', { AddressSpace: 'x', Pool: cidr, SubPool: '', Options: {}, V6: false });
      assert.equal(r.status, 200);
      assert.match(String(r.body['Error']), /ERR_NEUTRON_UNAVAILABLE/);
      const c = await plugin.call('NetworkDriver.CreateNetwork', { NetworkID: net, Options: {},
        IPv4Data: [{ AddressSpace: 'x', Pool: cidr, Gateway: '' }], IPv6Data: [] });
      assert.match(String(c.body['Err']), /ERR_NEUTRON_UNAVAILABLE/);
      assert.equal((await plugin.call('Plugin.Activate')).status, 200, 'still serving');
    } finally {
      proxy.up();
    }
    const { subnetpools } = await neutronGet<{ subnetpools: unknown[] }>(tb, `subnetpools?name=${encodeURIComponent(`kuryrPool-${cidr}`)}`);
    assert.equal(subnetpools.length, 0);
    const { networks } = await neutronGet<{ networks: unknown[] }>(tb, `networks?tags=kuryr.net.uuid.lh:${net.slice(0, 32)}`);
    assert.equal(networks.length, 0);
  });

  test('Neutron failing in the middle of CreateNetwork: the network it made is rolled back', async () => {
    const net = dockerId();
    const pool = await plugin.call('IpamDriver.RequestPool', { AddressSpace: 'x', Pool: cidr, SubPool: '', Options: {}, V6: false });
    const poolId = String(pool.body['PoolID']);
    assert.match(poolId, /^[0-9a-f-]{36}$/);
    proxy.failNext({ method: 'POST', path: /^\/v2\.0\/subnets/, status: 503, times: 1 });
    const c = await plugin.call('NetworkDriver.CreateNetwork', { NetworkID: net, Options: {},
      IPv4Data: [{ AddressSpace: 'x', Pool: cidr, Gateway: '' }], IPv6Data: [] });
    assert.match(String(c.body['Err']), /ERR_NEUTRON_UNAVAILABLE/);
    const { networks } = await neutronGet<{ networks: unknown[] }>(tb, `networks?tags=kuryr.net.uuid.lh:${net.slice(0, 32)}`);
    assert.equal(networks.length, 0, 'the half-created network was deleted');
    assert.ok(proxy.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/v2.0/networks/')));
    assert.deepEqual((await plugin.call('IpamDriver.ReleasePool', { PoolID: poolId })).body, {});
    const { subnetpools } = await neutronGet<{ subnetpools: unknown[] }>(tb, `subnetpools?id=${poolId}`);
    assert.equal(subnetpools.length, 0);
  });

  test('SIGTERM finishes the call in flight, then removes the socket and exits 0', async () => {
    proxy.failNext({ method: 'GET', path: /^\/v2\.0\/subnetpools/, status: 0, delayMs: 1500 });
    const inflight = plugin.call('IpamDriver.RequestPool', { AddressSpace: 'x', Pool: cidr, SubPool: '', Options: {}, V6: false });
    await new Promise((r) => setTimeout(r, 300));
    const exit = plugin.stop('SIGTERM');
    const reply = await inflight;
    assert.equal(reply.status, 200);
    assert.match(String(reply.body['PoolID']), /^[0-9a-f-]{36}$/, 'the in-flight call completed');
    assert.equal(await exit, 0);
    assert.equal(await stat(plugin.socket).catch(() => undefined), undefined, 'socket removed');
    // clean up the pool with a fresh plugin instance
    const again = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host });
    try {
      assert.deepEqual((await again.call('IpamDriver.ReleasePool', { PoolID: reply.body['PoolID'] })).body, {});
    } finally {
      await again.stop();
      await cleanupPluginDir(again);
    }
  });

  test('the socket is root-owned with mode 0660', async () => {
    const other = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host });
    try {
      const st = await stat(other.socket);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.uid, 0);
    } finally {
      await other.stop();
      await cleanupPluginDir(other);
    }
  });
});
