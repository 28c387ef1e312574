// Without Neutron's tag extension the plugin identifies resources by name, as upstream does in that mode:
// the full lifecycle works, nothing is ever tagged, state the Python plugin left is recognised, and features
// that need ownership markers are refused instead of done destructively.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { PluginError } from '../../src/errors.ts';
import { releaseAddress } from '../../src/ipam/release-address.ts';
import { releasePool } from '../../src/ipam/release-pool.ts';
import { requestAddress } from '../../src/ipam/request-address.ts';
import { requestPool } from '../../src/ipam/request-pool.ts';
import { createEndpoint } from '../../src/network/create-endpoint.ts';
import { createNetwork } from '../../src/network/create-network.ts';
import { deleteEndpoint } from '../../src/network/delete-endpoint.ts';
import { deleteNetwork } from '../../src/network/delete-network.ts';
import { join } from '../../src/network/join.ts';
import * as s from '../../src/protocol/schemas.ts';
import { testContext } from '../../src/testing/context.ts';
import { createFakeNeutron, type FakeNeutron } from '../../src/testing/fake-neutron.ts';

const id = () => randomBytes(32).toString('hex');
const GW = { RequestAddressType: 'com.docker.network.gateway' };

function untaggedNeutron(): FakeNeutron {
  const neutron = createFakeNeutron();
  neutron.state.extensions.delete('standard-attr-tag');
  return neutron;
}

async function flow(ctx: ReturnType<typeof testContext>, cidr: string) {
  const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: cidr, SubPool: '', V6: false }));
  const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: '', Options: GW }));
  const networkId = id();
  await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId, Options: {},
    IPv4Data: [{ AddressSpace: 'x', Pool: pool.Pool, Gateway: gw.Address }], IPv6Data: [] }));
  return { networkId, poolId: pool.PoolID };
}

describe('names mode (no standard-attr-tag)', () => {
  test('the whole lifecycle works with names only and leaves nothing behind', async () => {
    const neutron = untaggedNeutron();
    const ctx = testContext(neutron, { tags: false });
    const net = await flow(ctx, '10.50.0.0/24');
    const network = [...neutron.state.networks.values()][0]!;
    assert.equal(network.name, net.networkId, 'network named after the Docker network id');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
    const ep = id();
    await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: ep, Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
    const port = [...neutron.state.ports.values()][0]!;
    assert.equal(port.name, `${ep}-port`);
    assert.equal(port['binding:host_id'], 'host-a');
    const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: ep, SandboxKey: '/x' }));
    assert.equal(joined.InterfaceName.SrcName, `t_c${port.id.slice(0, 11)}`);
    assert.equal(neutron.calls.filter((c) => c.op === 'addTag' || c.op === 'removeTag').length, 0, 'never tags');
    assert.equal(neutron.calls.filter((c) => c.query && 'tags' in c.query).length, 0, 'never filters by tags');
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolId, Address: addr.Address.split('/')[0]! });
    await releaseAddress(ctx, { PoolID: net.poolId, Address: '10.50.0.1' });
    await releasePool(ctx, { PoolID: net.poolId });
    await deleteNetwork(ctx, { NetworkID: net.networkId });
    assert.equal(neutron.state.networks.size + neutron.state.subnets.size + neutron.state.subnetpools.size + neutron.state.ports.size, 0);
  });

  test('an address reserved but never used by an endpoint is released by name', async () => {
    const neutron = untaggedNeutron();
    const ctx = testContext(neutron, { tags: false });
    const net = await flow(ctx, '10.51.0.0/24');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
    await releaseAddress(ctx, { PoolID: net.poolId, Address: addr.Address.split('/')[0]! });
    assert.equal(neutron.state.ports.size, 0);
  });

  test('a network the Python plugin created in names mode is recognised', async () => {
    const neutron = untaggedNeutron();
    const ctx = testContext(neutron, { tags: false });
    const networkId = id();
    const pool = await neutron.createSubnetPool({ name: 'kuryrPool-10.52.0.0/24', prefixes: ['10.52.0.0/24'], default_prefixlen: 24 });
    const network = await neutron.createNetwork({ name: networkId });
    await neutron.createSubnet({ name: 'kuryr-subnet-10.52.0.0/24', network_id: network.id, cidr: '10.52.0.0/24', ip_version: 4, subnetpool_id: pool.id });
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.id, Address: '', Options: null }));
    const ep = id();
    await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: networkId, EndpointID: ep, Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
    assert.equal(ctx.driver.plugged.size, 1);
    await deleteEndpoint(ctx, { NetworkID: networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: pool.id, Address: addr.Address.split('/')[0]! });
    await releasePool(ctx, { PoolID: pool.id });
    await deleteNetwork(ctx, { NetworkID: networkId });
    assert.equal(neutron.state.networks.size + neutron.state.subnetpools.size, 0);
  });

  test('adopting existing networks, subnets or ports is refused rather than done destructively', async () => {
    const neutron = untaggedNeutron();
    const ctx = testContext(neutron, { tags: false });
    const pre = await neutron.createNetwork({ name: 'ops-net' });
    const sub = await neutron.createSubnet({ network_id: pre.id, cidr: '10.53.0.0/24', ip_version: 4, name: 'ops-sub' });
    const unsupported = (e: unknown) => e instanceof PluginError && e.code === 'ERR_UNSUPPORTED' && /standard-attr-tag/.test(e.message);
    await assert.rejects(createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: id(),
      Options: { 'com.docker.network.generic': { 'neutron.net.name': 'ops-net' } }, IPv4Data: [], IPv6Data: [] })), unsupported);
    await assert.rejects(requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '10.53.0.0/24', SubPool: '',
      Options: { 'neutron.subnet.name': 'ops-sub' }, V6: false })), unsupported);
    const net = await flow(ctx, '10.54.0.0/24');
    const subnet = [...neutron.state.subnets.values()].find((x) => x.cidr === '10.54.0.0/24')!;
    await neutron.createPort({ network_id: subnet.network_id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.54.0.9' }] });
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.54.0.9', Options: null })), unsupported);
    assert.equal(neutron.state.networks.get(pre.id)?.name, 'ops-net', 'not renamed');
    assert.ok(neutron.state.subnets.has(sub.id));
  });
});
