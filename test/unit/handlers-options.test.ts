// The neutron.* Docker options and pre-existing Neutron resources, through the handlers against the fake
// Neutron: adopt what the user names, mark it, and on removal untag it and delete only what the plugin created.
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
type Ctx = ReturnType<typeof testContext>;

interface Fam { pool: string; gateway?: string; v6?: boolean }

/** dockerd's network create: RequestPool + gateway RequestAddress per family, then CreateNetwork */
async function networkCreate(ctx: Ctx, fams: Fam[], netOpts: Record<string, string> = {}, ipamOpts: Record<string, string> = {}) {
  const networkId = id();
  const v4: unknown[] = [];
  const v6: unknown[] = [];
  const poolIds: string[] = [];
  for (const f of fams) {
    const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: f.pool, SubPool: '', Options: ipamOpts, V6: f.v6 ?? false }));
    const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: f.gateway ?? '', Options: GW }));
    poolIds.push(pool.PoolID);
    (f.v6 ? v6 : v4).push({ AddressSpace: 'x', Pool: pool.Pool, Gateway: gw.Address });
  }
  await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId,
    Options: { 'com.docker.network.generic': netOpts }, IPv4Data: v4, IPv6Data: v6 }));
  return { networkId, poolIds };
}

async function networkRemove(ctx: Ctx, net: { networkId: string; poolIds: string[] }) {
  for (const p of net.poolIds) await releasePool(ctx, { PoolID: p });
  await deleteNetwork(ctx, { NetworkID: net.networkId });
}

function preNetwork(neutron: FakeNeutron, name: string, cidrs: string[]) {
  return (async () => {
    const network = await neutron.createNetwork({ name });
    const subnets = [];
    for (const cidr of cidrs) {
      subnets.push(await neutron.createSubnet({ name: `${name}-sub`, network_id: network.id, cidr, ip_version: cidr.includes(':') ? 6 : 4 }));
    }
    return { network, subnets };
  })();
}

describe('neutron.net.* : an existing network', () => {
  test('is adopted by name, marked existing, its subnet tagged with the pool; removal untags and keeps both', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pre = await preNetwork(neutron, 'ops-net', ['10.10.0.0/24']);
    const net = await networkCreate(ctx, [{ pool: '10.10.0.0/24', gateway: '10.10.0.1' }], { 'neutron.net.name': 'ops-net' });
    const network = neutron.state.networks.get(pre.network.id)!;
    assert.ok(network.tags?.includes(`kuryr.net.existing:${net.networkId.slice(0, 12)}`));
    assert.ok(network.tags?.includes(`kuryr.net.uuid.lh:${net.networkId.slice(0, 32)}`));
    assert.equal(neutron.state.subnets.size, 1, 'the existing subnet is used, no kuryr subnet created');
    assert.ok(neutron.state.subnets.get(pre.subnets[0]!.id)!.tags?.includes(net.poolIds[0]!));

    // a container on it, and away again
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[0]!, Address: '', Options: null }));
    const ep = id();
    await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: ep, Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
    const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: ep, SandboxKey: '/x' }));
    assert.equal(joined.Gateway, pre.subnets[0]!.gateway_ip);
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolIds[0]!, Address: addr.Address.split('/')[0]! });

    await networkRemove(ctx, net);
    assert.deepEqual(neutron.state.networks.get(pre.network.id)?.tags, []);
    assert.deepEqual(neutron.state.subnets.get(pre.subnets[0]!.id)?.tags, []);
    assert.equal(neutron.state.subnetpools.size, 0, 'our pool deleted');
    assert.equal(neutron.state.ports.size, 0);
  });

  test('by uuid, creating a kuryr subnet when none has the CIDR; removal deletes only that subnet', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pre = await preNetwork(neutron, 'ops-net', []);
    const net = await networkCreate(ctx, [{ pool: '10.11.0.0/24' }], { 'neutron.net.uuid': pre.network.id });
    const created = [...neutron.state.subnets.values()];
    assert.equal(created.length, 1);
    assert.equal(created[0]!.name, 'kuryr-subnet-10.11.0.0/24');
    await networkRemove(ctx, net);
    assert.ok(neutron.state.networks.has(pre.network.id), 'adopted network kept');
    assert.equal(neutron.state.subnets.size, 0);
    assert.equal(neutron.state.subnetpools.size, 0);
  });

  test('a shared mismatch is refused before anything is tagged', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pre = await preNetwork(neutron, 'ops-net', ['10.12.0.0/24']);
    await assert.rejects(networkCreate(ctx, [{ pool: '10.12.0.0/24' }], { 'neutron.net.name': 'ops-net', 'neutron.net.shared': 'true' }),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_OPTION_CONFLICT');
    assert.deepEqual(neutron.state.networks.get(pre.network.id)?.tags, []);
  });

  test('an unknown network name is a clear error', async () => {
    const ctx = testContext(createFakeNeutron());
    await assert.rejects(networkCreate(ctx, [{ pool: '10.13.0.0/24' }], { 'neutron.net.name': 'nope' }),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_NETWORK_NOT_FOUND' && /name\(nope\)/.test(e.message));
  });
});

describe('neutron.subnet.* and overlapping CIDRs', () => {
  test('the same CIDR on two networks: each pool is tied to its subnet and each address lands on its own network', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const a = await preNetwork(neutron, 'net-a', ['10.15.0.0/24']);
    const b = await preNetwork(neutron, 'net-b', ['10.15.0.0/24']);
    await neutron.updateNetwork(a.network.id, {});
    const subA = a.subnets[0]!;
    const subB = b.subnets[0]!;
    // distinct subnet names for the option
    neutron.state.subnets.get(subA.id)!.name = 'sub-a';
    neutron.state.subnets.get(subB.id)!.name = 'sub-b';
    const pa = await neutron.createPort({ network_id: a.network.id, fixed_ips: [{ subnet_id: subA.id, ip_address: '10.15.0.10' }] });
    const pb = await neutron.createPort({ network_id: b.network.id, fixed_ips: [{ subnet_id: subB.id, ip_address: '10.15.0.10' }] });
    const netA = await networkCreate(ctx, [{ pool: '10.15.0.0/24' }], { 'neutron.net.name': 'net-a', 'neutron.subnet.name': 'sub-a' }, { 'neutron.subnet.name': 'sub-a' });
    const netB = await networkCreate(ctx, [{ pool: '10.15.0.0/24' }], { 'neutron.net.name': 'net-b', 'neutron.subnet.name': 'sub-b' }, { 'neutron.subnet.name': 'sub-b' });
    assert.notEqual(netA.poolIds[0], netB.poolIds[0]);
    const addrA = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: netA.poolIds[0]!, Address: '10.15.0.10', Options: null }));
    const addrB = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: netB.poolIds[0]!, Address: '10.15.0.10', Options: null }));
    assert.equal(addrA.Address, '10.15.0.10/24');
    assert.equal(addrB.Address, '10.15.0.10/24');
    assert.ok(neutron.state.ports.get(pa.id)!.tags?.includes('kuryr.port.existing'));
    assert.ok(neutron.state.ports.get(pb.id)!.tags?.includes('kuryr.port.existing'));
    // releasing on A hands back only A's port
    await releaseAddress(ctx, { PoolID: netA.poolIds[0]!, Address: '10.15.0.10' });
    assert.deepEqual(neutron.state.ports.get(pa.id)!.tags, []);
    assert.deepEqual(neutron.state.ports.get(pb.id)!.tags, ['kuryr.port.existing']);
    await releaseAddress(ctx, { PoolID: netB.poolIds[0]!, Address: '10.15.0.10' });
    await networkRemove(ctx, netA);
    await networkRemove(ctx, netB);
    assert.equal(neutron.state.ports.size, 2, 'pre-existing ports kept');
    assert.equal(neutron.state.subnetpools.size, 0);
    for (const sub of neutron.state.subnets.values()) assert.deepEqual(sub.tags, []);
  });
});

describe('neutron.pool.* : an existing subnetpool', () => {
  test('with a matching prefix is used, marked existing, and kept on release', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pool = await neutron.createSubnetPool({ name: 'ops-pool', prefixes: ['10.16.0.0/24'], default_prefixlen: 24 });
    const net = await networkCreate(ctx, [{ pool: '10.16.0.0/24' }], { 'neutron.pool.name': 'ops-pool' }, { 'neutron.pool.name': 'ops-pool' });
    assert.equal(net.poolIds[0], pool.id);
    assert.ok(neutron.state.subnetpools.get(pool.id)!.tags?.includes('kuryr.subnetpool.existing'));
    assert.equal([...neutron.state.subnets.values()][0]!.subnetpool_id, pool.id);
    await networkRemove(ctx, net);
    assert.deepEqual(neutron.state.subnetpools.get(pool.id)?.tags, []);
    assert.equal(neutron.state.subnetpools.size, 1);
    assert.equal(neutron.state.subnets.size, 0);
  });

  test('with a different prefix is ignored and a kuryr pool is made for --subnet (upstream bug 1695678)', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pool = await neutron.createSubnetPool({ name: 'ops-pool', prefixes: ['10.90.0.0/16'], default_prefixlen: 24 });
    const net = await networkCreate(ctx, [{ pool: '10.17.0.0/24' }], {}, { 'neutron.pool.uuid': pool.id });
    assert.notEqual(net.poolIds[0], pool.id);
    assert.equal(neutron.state.subnetpools.get(net.poolIds[0]!)!.name, 'kuryrPool-10.17.0.0/24');
    assert.deepEqual(neutron.state.subnetpools.get(pool.id)!.tags, []);
  });
});

describe('default subnetpools (no --subnet)', () => {
  test('each network gets the next free subnet of the default pool; the pool itself is never deleted', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const kuryr = await neutron.createSubnetPool({ name: 'kuryr', prefixes: ['10.10.0.0/16'], default_prefixlen: 24 });
    const pools = await Promise.all([1, 2].map(() => requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '', SubPool: '', V6: false }))));
    assert.deepEqual(pools.map((p) => p.Pool).sort(), ['10.10.0.0/24', '10.10.1.0/24']);
    for (const p of pools) assert.equal(p.PoolID, `${kuryr.id}/${p.Pool}`);
    // network creation with the carved pool
    const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pools[0]!.PoolID, Address: '', Options: GW }));
    assert.equal(gw.Address, `${pools[0]!.Pool.replace('.0/24', '.1')}/24`);
    const networkId = id();
    await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId, Options: {},
      IPv4Data: [{ AddressSpace: 'x', Pool: pools[0]!.Pool, Gateway: gw.Address }], IPv6Data: [] }));
    const subnet = [...neutron.state.subnets.values()][0]!;
    assert.equal(subnet.subnetpool_id, kuryr.id);
    assert.equal(subnet.cidr, pools[0]!.Pool);
    // the next request skips the CIDR now in use and the one still pending
    const third = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '', SubPool: '', V6: false }));
    assert.equal(third.Pool, '10.10.2.0/24');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pools[0]!.PoolID, Address: '', Options: null }));
    assert.ok(addr.Address.startsWith(pools[0]!.Pool.slice(0, -4)));
    await releaseAddress(ctx, { PoolID: pools[0]!.PoolID, Address: addr.Address.split('/')[0]! });
    await releasePool(ctx, { PoolID: pools[0]!.PoolID });
    await deleteNetwork(ctx, { NetworkID: networkId });
    assert.equal(neutron.state.subnets.size, 0);
    assert.ok(neutron.state.subnetpools.has(kuryr.id), 'the default pool stays');
  });

  test('without a default pool the error says how to create one', async () => {
    const ctx = testContext(createFakeNeutron());
    await assert.rejects(requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '', SubPool: '', V6: true })),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_POOL_NOT_FOUND' && /kuryr6/.test(e.message) && /--subnet/.test(e.message));
  });
});

describe('dual stack', () => {
  test('v4+v6 network: two kuryr subnets; an endpoint gets one port with both addresses and both gateways', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await networkCreate(ctx, [{ pool: '10.4.0.0/24', gateway: '10.4.0.1' }, { pool: '2001:db8:a0b:12f0::/64', gateway: '2001:db8:a0b:12f0::1', v6: true }]);
    assert.deepEqual([...neutron.state.subnets.values()].map((x) => x.name).sort(),
      ['kuryr-subnet-10.4.0.0/24', 'kuryr-subnet-2001:db8:a0b:12f0::/64']);
    const a4 = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[0]!, Address: '', Options: null }));
    const a6 = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[1]!, Address: '', Options: null }));
    assert.equal(neutron.state.ports.size, 2, 'one placeholder port per family');
    const ep = id();
    await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: ep, Options: {},
      Interface: { Address: a4.Address, AddressIPv6: a6.Address, MacAddress: '' } }));
    const ports = [...neutron.state.ports.values()];
    assert.equal(ports.length, 1, 'the placeholders were merged into one dual-stack port');
    assert.deepEqual(ports[0]!.fixed_ips.map((f) => f.ip_address).sort(), [a4.Address.split('/')[0], a6.Address.split('/')[0]].sort());
    assert.ok(ports[0]!.tags?.includes(`kuryr.net.uuid.lh:${ep.slice(0, 32)}`), 'the merged port carries the endpoint tags (upstream defect)');
    const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: ep, SandboxKey: '/x' }));
    assert.equal(joined.Gateway, '10.4.0.1');
    assert.equal(joined.GatewayIPv6, '2001:db8:a0b:12f0::1');
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolIds[0]!, Address: a4.Address.split('/')[0]! });
    await releaseAddress(ctx, { PoolID: net.poolIds[1]!, Address: a6.Address.split('/')[0]! });
    assert.equal(neutron.state.ports.size, 0);
    await networkRemove(ctx, net);
    assert.equal(neutron.state.networks.size + neutron.state.subnets.size + neutron.state.subnetpools.size, 0);
  });

  test('an existing port holding a v4 and a v6 address is adopted once and kept', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pre = await preNetwork(neutron, 'ds-net', ['10.14.0.0/24', 'fe81::/64']);
    const port = await neutron.createPort({ network_id: pre.network.id, fixed_ips: [
      { subnet_id: pre.subnets[0]!.id, ip_address: '10.14.0.10' }, { subnet_id: pre.subnets[1]!.id, ip_address: 'fe81::10' }] });
    const net = await networkCreate(ctx, [{ pool: '10.14.0.0/24' }, { pool: 'fe81::/64', v6: true }], { 'neutron.net.uuid': pre.network.id });
    const a4 = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[0]!, Address: '10.14.0.10', Options: null }));
    // the second family finds the same port, already adopted: dockerd asks for both before CreateEndpoint
    const a6 = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[1]!, Address: 'fe81::10', Options: null })).catch((e: unknown) => e);
    assert.equal(a4.Address, '10.14.0.10/24');
    assert.deepEqual(a6, { Address: 'fe81::10/64', Data: {} });
    assert.equal(neutron.state.ports.size, 1);
    const ep = id();
    await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: ep, Options: {},
      Interface: { Address: '10.14.0.10/24', AddressIPv6: 'fe81::10/64', MacAddress: '' } }));
    assert.equal(neutron.state.ports.get(port.id)!['binding:host_id'], 'host-a');
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolIds[0]!, Address: '10.14.0.10' });
    await releaseAddress(ctx, { PoolID: net.poolIds[1]!, Address: 'fe81::10' });
    const after = neutron.state.ports.get(port.id)!;
    assert.deepEqual(after.tags, []);
    assert.equal(after['binding:host_id'], '');
    assert.equal(after.mac_address, port.mac_address);
  });
});

describe('IPv6 only', () => {
  test('a network with only an IPv6 pool gets one v6 subnet, and Join reports only GatewayIPv6', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await networkCreate(ctx, [{ pool: 'fd00:77::/64', gateway: 'fd00:77::1', v6: true }]);
    const subnets = [...neutron.state.subnets.values()];
    assert.deepEqual(subnets.map((x) => [x.ip_version, x.cidr, x.gateway_ip]), [[6, 'fd00:77::/64', 'fd00:77::1']]);
    const a6 = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolIds[0]!, Address: '', Options: null }));
    const ep = id();
    const reply = await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: ep, Options: {},
      Interface: { Address: '', AddressIPv6: a6.Address, MacAddress: '' } }));
    assert.ok(reply.Interface.MacAddress);
    const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: ep, SandboxKey: '/x' }));
    assert.equal(joined.Gateway, undefined);
    assert.equal(joined.GatewayIPv6, 'fd00:77::1');
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: ep, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolIds[0]!, Address: a6.Address.split('/')[0]! });
    await networkRemove(ctx, net);
    assert.equal(neutron.state.networks.size + neutron.state.subnets.size + neutron.state.subnetpools.size + neutron.state.ports.size, 0);
  });
});
