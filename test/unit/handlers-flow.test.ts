// The Docker call sequence for `docker network create` / `docker run` / `docker rm` / `docker network rm`,
// driven through the handlers against the stateful fake Neutron, asserting on the resulting Neutron state.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConflictError, PluginError } from '../../src/errors.ts';
import { releaseAddress } from '../../src/ipam/release-address.ts';
import { releasePool } from '../../src/ipam/release-pool.ts';
import { requestAddress } from '../../src/ipam/request-address.ts';
import { requestPool } from '../../src/ipam/request-pool.ts';
import { createEndpoint } from '../../src/network/create-endpoint.ts';
import { createNetwork } from '../../src/network/create-network.ts';
import { deleteEndpoint } from '../../src/network/delete-endpoint.ts';
import { deleteNetwork } from '../../src/network/delete-network.ts';
import { endpointOperInfo } from '../../src/network/endpoint-oper-info.ts';
import { join } from '../../src/network/join.ts';
import * as s from '../../src/protocol/schemas.ts';
import { testConfig, testContext, fakeClock } from '../../src/testing/context.ts';
import { createFakeNeutron, type FakeNeutron } from '../../src/testing/fake-neutron.ts';

const id = () => randomBytes(32).toString('hex');
const GW = { RequestAddressType: 'com.docker.network.gateway' };

async function dockerNetworkCreate(ctx: ReturnType<typeof testContext>, cidr: string, gateway: string) {
  const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'no_address_space', Pool: cidr, SubPool: '', Options: {}, V6: false }));
  const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: gateway, Options: GW }));
  const networkId = id();
  await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId, Options: { 'com.docker.network.generic': {} },
    IPv4Data: [{ AddressSpace: 'no_address_space', Pool: cidr, Gateway: gw.Address }], IPv6Data: [] }));
  return { networkId, poolId: pool.PoolID, gateway: gw.Address };
}

async function dockerRun(ctx: ReturnType<typeof testContext>, net: { networkId: string; poolId: string }, address = '') {
  const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: address, Options: null }));
  const endpointId = id();
  const reply = await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId,
    Options: {}, Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
  const joined = await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId,
    SandboxKey: '/srv/docker-exec/netns/0123456789ab', Options: {} }));
  return { endpointId, address: addr.Address, reply, joined };
}

function portsOf(neutron: FakeNeutron) { return [...neutron.state.ports.values()]; }

describe('network and endpoint lifecycle against the fake Neutron', () => {
  test('network create makes a tagged network, a kuryr subnet with the gateway, and a kuryr pool', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    assert.equal(net.gateway, '10.20.0.1/24');
    const [network] = [...neutron.state.networks.values()];
    assert.equal(network?.name, `kuryr-net-${net.networkId.slice(0, 8)}`);
    assert.deepEqual(network?.tags, [`kuryr.net.uuid.lh:${net.networkId.slice(0, 32)}`, `kuryr.net.uuid.uh:${net.networkId.slice(32)}`].sort());
    const [subnet] = [...neutron.state.subnets.values()];
    assert.equal(subnet?.name, 'kuryr-subnet-10.20.0.0/24');
    assert.equal(subnet?.gateway_ip, '10.20.0.1');
    assert.equal(subnet?.subnetpool_id, net.poolId);
    assert.equal(subnet?.enable_dhcp, true);
    assert.ok(subnet?.tags?.includes(net.poolId));
    assert.equal(neutron.state.subnetpools.get(net.poolId)?.name, 'kuryrPool-10.20.0.0/24');
  });

  test('RequestPool is find-or-create: a second request (another host, a replay) reuses the pool', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const req = s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '10.30.0.0/24', SubPool: '', Options: {}, V6: false });
    const [a, b] = await Promise.all([requestPool(ctx, req), requestPool(ctx, req)]);
    assert.equal(a.PoolID, b.PoolID);
    assert.equal(neutron.state.subnetpools.size, 1);
    assert.deepEqual(a, { PoolID: a.PoolID, Pool: '10.30.0.0/24', Data: {} });
  });

  test('the gateway defaults to the first host when docker sends none', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.21.0.0/24', '');
    assert.equal(net.gateway, '10.21.0.1/24');
    assert.equal([...neutron.state.subnets.values()][0]?.gateway_ip, '10.21.0.1');
  });

  test('docker run: the RequestAddress port is bound to this host, tagged for the endpoint and plugged', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const run = await dockerRun(ctx, net);
    const ports = portsOf(neutron);
    assert.equal(ports.length, 1);
    const port = ports[0]!;
    assert.equal(run.address, `${port.fixed_ips[0]!.ip_address}/24`);
    assert.equal(port['binding:host_id'], 'host-a');
    assert.equal(port.device_owner, 'compute:kuryr');
    assert.equal(port.device_id, run.endpointId);
    assert.equal(port['binding:vif_type'], 'bridge');
    assert.ok(port.tags?.includes('compute:kuryr'));
    assert.ok(port.tags?.includes(`kuryr.net.uuid.lh:${run.endpointId.slice(0, 32)}`));
    assert.ok(port.tags?.includes(`kuryr.net.uuid.uh:${run.endpointId.slice(32)}`));
    // the Neutron MAC becomes the container's (dockerd sent none)
    assert.deepEqual(run.reply, { Interface: { MacAddress: port.mac_address } });
    assert.deepEqual(run.joined, {
      InterfaceName: { SrcName: `t_c${port.id.slice(0, 11)}`, DstPrefix: 'eth' },
      Gateway: '10.20.0.1', StaticRoutes: [], DisableGatewayService: true,
    });
    assert.equal(ctx.driver.plugged.get(port.id)?.vifType, 'bridge');
    assert.deepEqual(await endpointOperInfo(ctx, { NetworkID: net.networkId, EndpointID: run.endpointId, Options: {} }),
      { Value: { status: 'DOWN', port_id: port.id } });
  });

  test('docker rm + network rm remove every port, subnet, network and pool the plugin made', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const runs = [await dockerRun(ctx, net), await dockerRun(ctx, net, '10.20.0.50')];
    assert.equal(runs[1]!.address, '10.20.0.50/24');
    for (const r of runs) {
      await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: r.endpointId, Options: {} });
      await releaseAddress(ctx, { PoolID: net.poolId, Address: r.address.split('/')[0]! });
    }
    assert.equal(ctx.driver.plugged.size, 0);
    assert.equal(neutron.state.ports.size, 0);
    // dockerd's order for network rm: ReleaseAddress(gw), ReleasePool, DeleteNetwork
    await releaseAddress(ctx, { PoolID: net.poolId, Address: '10.20.0.1' });
    await releasePool(ctx, { PoolID: net.poolId });
    await deleteNetwork(ctx, { NetworkID: net.networkId });
    assert.equal(neutron.state.networks.size, 0);
    assert.equal(neutron.state.subnets.size, 0);
    assert.equal(neutron.state.subnetpools.size, 0);
  });

  test('a pool ReleasePool could not delete (subnet still in use) is removed by DeleteNetwork', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.22.0.0/24', '10.22.0.1');
    neutron.failOn('deleteSubnet', new ConflictError('ERR_NEUTRON_CONFLICT', 'SubnetInUse'), 1);
    await releasePool(ctx, { PoolID: net.poolId });
    assert.equal(neutron.state.subnetpools.size, 1, 'kept while its subnet exists');
    await deleteNetwork(ctx, { NetworkID: net.networkId });
    assert.equal(neutron.state.subnetpools.size, 0);
    assert.equal(neutron.state.networks.size, 0);
  });

  test('deletes are idempotent: unknown endpoint, network, pool and address are success', async () => {
    const ctx = testContext(createFakeNeutron());
    assert.deepEqual(await deleteEndpoint(ctx, { NetworkID: id(), EndpointID: id(), Options: {} }), {});
    assert.deepEqual(await deleteNetwork(ctx, { NetworkID: id() }), {});
    assert.deepEqual(await releasePool(ctx, { PoolID: '00000000-0000-4000-8000-000000000000' }), {});
    assert.deepEqual(await releaseAddress(ctx, { PoolID: '00000000-0000-4000-8000-000000000000', Address: '10.0.0.9' }), {});
  });

  test('DeleteEndpoint twice (dockerd retries) unplugs once and leaves the port untagged', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const run = await dockerRun(ctx, net);
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: run.endpointId, Options: {} });
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: run.endpointId, Options: {} });
    const port = portsOf(neutron)[0]!;
    assert.deepEqual(port.tags, ['compute:kuryr']);
    assert.equal(ctx.driver.calls.filter((c) => c.startsWith('delete')).length, 1);
  });
});

describe('rollback: nothing half-created is left behind', () => {
  test('a subnet create failure deletes the network CreateNetwork just made', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'x', Pool: '10.40.0.0/24', SubPool: '', Options: {}, V6: false }));
    neutron.failOn('createSubnet', new PluginError('ERR_NEUTRON_UNAVAILABLE', 'down'));
    await assert.rejects(createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: id(), Options: {},
      IPv4Data: [{ AddressSpace: 'x', Pool: '10.40.0.0/24', Gateway: '10.40.0.1/24' }], IPv6Data: [] })), /down/);
    assert.equal(neutron.state.networks.size, 0);
    assert.equal(neutron.state.subnetpools.size, 1);
    await releasePool(ctx, { PoolID: pool.PoolID });
    assert.equal(neutron.state.subnetpools.size, 0);
  });

  test('a host plumbing failure in CreateEndpoint unbinds and untags the port again', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
    ctx.driver.failCreate = new PluginError('ERR_HOST_COMMAND', 'ip link add failed');
    await assert.rejects(createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: id(), Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } })), /ip link add failed/);
    const port = portsOf(neutron)[0]!;
    assert.equal(port['binding:host_id'], '');
    assert.equal(port.device_owner, '');
    assert.equal(port.device_id, '');
    assert.deepEqual(port.tags, ['compute:kuryr']);
    // dockerd then releases the address: the port goes
    await releaseAddress(ctx, { PoolID: net.poolId, Address: addr.Address.split('/')[0]! });
    assert.equal(neutron.state.ports.size, 0);
  });

  test('a port whose tagging fails in RequestAddress is deleted again', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    neutron.failOn('addTag', new PluginError('ERR_NEUTRON_UNAVAILABLE', 'down'));
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null })));
    assert.equal(neutron.state.ports.size, 0);
  });
});

describe('existing ports and addresses', () => {
  test('--ip of a free pre-created port adopts it, keeps its MAC, and hands it back on release', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const subnet = [...neutron.state.subnets.values()][0]!;
    const pre = await neutron.createPort({ name: 'user-port', network_id: subnet.network_id,
      fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.77' }] });
    const run = await dockerRun(ctx, net, '10.20.0.77');
    const port = neutron.state.ports.get(pre.id)!;
    assert.equal(neutron.state.ports.size, 1);
    assert.ok(port.tags?.includes('kuryr.port.existing'));
    assert.equal(port['binding:host_id'], 'host-a');
    assert.deepEqual(run.reply, { Interface: { MacAddress: pre.mac_address } });
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: run.endpointId, Options: {} });
    await releaseAddress(ctx, { PoolID: net.poolId, Address: '10.20.0.77' });
    const after = neutron.state.ports.get(pre.id)!;
    assert.equal(after['binding:host_id'], '');
    assert.equal(after.device_owner, '');
    assert.equal(after.mac_address, pre.mac_address);
    assert.deepEqual(after.tags, []);
    assert.equal(after.device_id, '', 'the endpoint id we set is cleared');
    // and the same port serves the next container
    const again = await dockerRun(ctx, net, '10.20.0.77');
    assert.equal(neutron.state.ports.get(pre.id)!.device_id, again.endpointId);
  });

  test('a port bound to another host or owned by a VM is refused, not taken over', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const subnet = [...neutron.state.subnets.values()][0]!;
    await neutron.createPort({ network_id: subnet.network_id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.5' }],
      'binding:host_id': 'host-b' });
    await neutron.createPort({ network_id: subnet.network_id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.6' }],
      device_owner: 'compute:nova', device_id: 'vm-1' });
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.5', Options: null })),
      /bound to host host-b/);
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.6', Options: null })),
      /in use by compute:nova/);
    for (const p of neutron.state.ports.values()) assert.deepEqual(p.tags, []);
  });

  test('--mac-address is applied to the created port and not returned to dockerd', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
    const reply = await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: id(), Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '02:42:AA:BB:CC:DD' } }));
    assert.deepEqual(reply, { Interface: {} });
    assert.equal(portsOf(neutron)[0]!.mac_address, '02:42:aa:bb:cc:dd');
  });

  test('the gateway request for an existing subnet must match its gateway', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const ok = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.1', Options: GW }));
    assert.equal(ok.Address, '10.20.0.1/24');
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.9', Options: GW })),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_GATEWAY_CONFLICT');
    assert.equal(neutron.state.ports.size, 0, 'a gateway request reserves nothing');
  });

  test('a duplicate --ip is Neutron\'s conflict, surfaced to dockerd', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    await dockerRun(ctx, net, '10.20.0.10');
    // the first port is now bound to this host and owned by the endpoint: asking for its IP again is refused
    await assert.rejects(requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.10', Options: null })),
      (e: unknown) => e instanceof PluginError);
  });
});

describe('drivers and options', () => {
  test('a direct (SR-IOV) port without the sriov driver enabled names the option to change', async () => {
    const neutron = createFakeNeutron();
    const ctx = testContext(neutron);
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const subnet = [...neutron.state.subnets.values()][0]!;
    await neutron.createPort({ network_id: subnet.network_id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.8' }],
      'binding:vnic_type': 'direct' });
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '10.20.0.8', Options: null }));
    await assert.rejects(createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: id(), Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } })),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_NO_PORT_DRIVER' && /enabled_port_drivers/.test(e.message));
    const port = [...neutron.state.ports.values()][0]!;
    assert.equal(port['binding:host_id'], '', 'binding undone');
  });

  test('unknown neutron.* options are refused by name', async () => {
    const ctx = testContext(createFakeNeutron());
    await assert.rejects(createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: id(),
      Options: { 'com.docker.network.generic': { 'neutron.net.bogus': 'x' } }, IPv4Data: [], IPv6Data: [] })),
      /unknown option neutron\.net\.bogus/);
  });

  test('vif_plugging_is_fatal waits for ACTIVE and fails after vif_plugging_timeout', async () => {
    const neutron = createFakeNeutron();
    const clock = fakeClock();
    const ctx = testContext(neutron, { clock, config: testConfig({ neutron: { vifPluggingIsFatal: true, vifPluggingTimeout: 5 } }) });
    const net = await dockerNetworkCreate(ctx, '10.20.0.0/24', '10.20.0.1');
    const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
    await assert.rejects(createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: id(), Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } })),
      (e: unknown) => e instanceof PluginError && e.code === 'ERR_PORT_NOT_ACTIVE');
    assert.ok(clock.advanced >= 5000);
    assert.equal(ctx.driver.plugged.size, 0, 'host interface removed again');
    // an agent that marks the port ACTIVE lets it through
    const port = portsOf(neutron)[0]!;
    const endpointId = id();
    const pending = createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId, Options: {},
      Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
    neutron.setPortStatus(port.id, 'ACTIVE');
    await pending;
    assert.equal(ctx.driver.plugged.get(port.id)?.endpointId, endpointId);
  });
});
