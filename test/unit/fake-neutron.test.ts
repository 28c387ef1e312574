// Behaviour of the stateful fake Neutron: allocation rules, binding hook, in-use errors with Neutron's
// types, list filters, tags, deep copies, call log and failure injection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ConflictError, InvalidRequestError, NotFoundError, PluginError, UnavailableError,
} from '../../src/errors.ts';
import { neutronErrorType } from '../../src/neutron/errors.ts';
import { createFakeNeutron, type FakeNeutron } from '../../src/testing/fake-neutron.ts';

async function rejectsWith(p: Promise<unknown>, cls: typeof PluginError, type: string): Promise<PluginError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  assert.equal(neutronErrorType(caught), type, (caught as Error).message);
  return caught as PluginError;
}

async function netWithSubnet(fake: FakeNeutron, cidr = '10.0.0.0/24', extra: Record<string, unknown> = {}) {
  const net = await fake.createNetwork({ name: 'n1' });
  const subnet = await fake.createSubnet({ network_id: net.id, ip_version: 4, cidr, ...extra });
  return { net, subnet };
}

describe('fake neutron: networks', () => {
  it('creates a vxlan network with mtu 1450, a uuid id and empty tags', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({ name: 'a' });
    assert.match(net.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(net.mtu, 1450);
    assert.equal(net['provider:network_type'], 'vxlan');
    assert.deepEqual(net.tags, []);
    assert.deepEqual(net.subnets, []);
    assert.equal(net.project_id, 'fake_project_id');
  });

  it('keeps a given mtu and gives vlan networks 1500; a used VLAN is VlanIdInUse', async () => {
    const fake = createFakeNeutron();
    assert.equal((await fake.createNetwork({ name: 'a', mtu: 9000 })).mtu, 9000);
    const vlan = await fake.createNetwork({
      'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100,
    });
    assert.equal(vlan.mtu, 1500);
    await rejectsWith(fake.createNetwork({
      'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100,
    }), ConflictError, 'VlanIdInUse');
  });

  it('rejects tags in POST and unknown attributes, like Neutron', async () => {
    const fake = createFakeNeutron();
    const e1 = await rejectsWith(fake.createNetwork({ name: 'a', tags: ['x'] }), InvalidRequestError, 'HTTPBadRequest');
    assert.match(e1.message, /Attribute 'tags' not allowed in POST/);
    const e2 = await rejectsWith(fake.createNetwork({ bogus: 1 } as never), InvalidRequestError, 'HTTPBadRequest');
    assert.match(e2.message, /Unrecognized attribute\(s\) 'bogus'/);
    assert.equal(fake.state.networks.size, 0);
  });

  it('404s with NetworkNotFound, and the error looks like the HTTP client would make it', async () => {
    const fake = createFakeNeutron();
    const err = await rejectsWith(fake.getNetwork('00000000-0000-0000-0000-000000000000'), NotFoundError, 'NetworkNotFound');
    assert.equal(err.code, 'ERR_NEUTRON_NOT_FOUND');
    assert.deepEqual(err.details, {
      status: 404, type: 'NetworkNotFound', method: 'GET', path: '/v2.0/networks/00000000-0000-0000-0000-000000000000',
    });
    assert.equal(err.message,
      'GET /v2.0/networks/00000000-0000-0000-0000-000000000000: 404 NetworkNotFound: Network 00000000-0000-0000-0000-000000000000 could not be found.');
  });

  it('refuses to delete a network with a non-DHCP port (NetworkInUse) and deletes its subnets otherwise', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake);
    const port = await fake.createPort({ network_id: net.id });
    const err = await rejectsWith(fake.deleteNetwork(net.id), ConflictError, 'NetworkInUse');
    assert.match(err.message, new RegExp(port.id));
    await fake.createPort({ network_id: net.id, device_owner: 'network:dhcp' });
    await fake.deletePort(port.id);
    await fake.deleteNetwork(net.id);
    assert.equal(fake.state.networks.size, 0);
    assert.equal(fake.state.subnets.has(subnet.id), false);
    assert.equal(fake.state.ports.size, 0);
  });

  it('updates allowed attributes and refuses read-only ones', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({ name: 'a' });
    const upd = await fake.updateNetwork(net.id, { name: 'b' });
    assert.equal(upd.name, 'b');
    assert.equal(upd['revision_number'], 2);
    const err = await rejectsWith(fake.updateNetwork(net.id, { tags: ['x'] }), InvalidRequestError, 'HTTPBadRequest');
    assert.match(err.message, /Cannot update read-only attribute tags/);
  });
});

describe('fake neutron: subnets and pools', () => {
  it('defaults the gateway to the first host and the pool to the rest', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake, '10.0.0.5/24');
    assert.equal(subnet.cidr, '10.0.0.0/24');
    assert.equal(subnet.gateway_ip, '10.0.0.1');
    assert.deepEqual(subnet['allocation_pools'], [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.equal(subnet.enable_dhcp, true);
    assert.equal(subnet.subnetpool_id, null);
    assert.deepEqual((await fake.getNetwork(net.id)).subnets, [subnet.id]);
  });

  it('allows gateway_ip null (pool starts at .1) and IPv6 gets the anycast gateway', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({});
    const s4 = await fake.createSubnet({ network_id: net.id, ip_version: 4, cidr: '10.1.0.0/24', gateway_ip: null });
    assert.equal(s4.gateway_ip, null);
    assert.deepEqual(s4['allocation_pools'], [{ start: '10.1.0.1', end: '10.1.0.254' }]);
    const s6 = await fake.createSubnet({ network_id: net.id, ip_version: 6, cidr: 'fd00::/64' });
    assert.equal(s6.gateway_ip, 'fd00::');
    assert.deepEqual(s6['allocation_pools'], [{ start: 'fd00::1', end: 'fd00::ffff:ffff:ffff:ffff' }]);
  });

  it('rejects an overlapping subnet on the same network but not on another network', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake, '10.0.0.0/24');
    const err = await rejectsWith(
      fake.createSubnet({ network_id: net.id, ip_version: 4, cidr: '10.0.0.0/25' }), InvalidRequestError, 'InvalidInput');
    assert.match(err.message, /overlaps with another subnet/);
    const other = await fake.createNetwork({});
    const ok = await fake.createSubnet({ network_id: other.id, ip_version: 4, cidr: '10.0.0.0/25' });
    assert.equal(ok.cidr, '10.0.0.0/25');
  });

  it('requires ip_version and a known network', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({});
    await rejectsWith(fake.createSubnet({ network_id: net.id, cidr: '10.0.0.0/24' }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(fake.createSubnet({ network_id: 'nope', ip_version: 4, cidr: '10.0.0.0/24' }), NotFoundError, 'NetworkNotFound');
    await rejectsWith(fake.createSubnet({ network_id: net.id, ip_version: 4, cidr: 'not-a-cidr' }), InvalidRequestError, 'InvalidInput');
  });

  it('returns subnetpool prefix lengths as strings and allocates from the pool', async () => {
    const fake = createFakeNeutron();
    const pool = await fake.createSubnetPool({ name: 'kuryrPool', prefixes: ['10.20.0.0/16'], default_prefixlen: 24 });
    assert.equal(pool.default_prefixlen, '24');
    assert.equal(pool['min_prefixlen'], '8');
    assert.equal(pool['max_prefixlen'], '32');
    assert.equal(pool.ip_version, 4);
    const net = await fake.createNetwork({});
    const a = await fake.createSubnet({ network_id: net.id, ip_version: 4, subnetpool_id: pool.id });
    assert.equal(a.cidr, '10.20.0.0/24');
    assert.equal(a.subnetpool_id, pool.id);
    const b = await fake.createSubnet({ network_id: net.id, ip_version: 4, subnetpool_id: pool.id, cidr: '10.20.5.0/24' });
    assert.equal(b.cidr, '10.20.5.0/24');
    const net2 = await fake.createNetwork({});
    const c = await fake.createSubnet({ network_id: net2.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 28 });
    assert.equal(c.cidr, '10.20.1.0/28');
    // already allocated from the pool, or outside it: Neutron answers 500 SubnetAllocationError
    await rejectsWith(fake.createSubnet({ network_id: net2.id, ip_version: 4, subnetpool_id: pool.id, cidr: '10.20.5.0/24' }),
      UnavailableError, 'SubnetAllocationError');
    await rejectsWith(fake.createSubnet({ network_id: net2.id, ip_version: 4, subnetpool_id: pool.id, cidr: '10.30.0.0/24' }),
      UnavailableError, 'SubnetAllocationError');
    await rejectsWith(fake.createSubnet({ network_id: net2.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 4 }),
      InvalidRequestError, 'MinPrefixSubnetAllocationError');
    await rejectsWith(fake.createSubnet({ network_id: net2.id, ip_version: 6, subnetpool_id: pool.id }),
      InvalidRequestError, 'BadRequest');
  });

  it('reports pool exhaustion and refuses a second pool on one network', async () => {
    const fake = createFakeNeutron();
    const pool = await fake.createSubnetPool({ prefixes: ['10.9.0.0/23'], default_prefixlen: 24 });
    const other = await fake.createSubnetPool({ prefixes: ['10.8.0.0/16'], default_prefixlen: 24 });
    const n1 = await fake.createNetwork({});
    const n2 = await fake.createNetwork({});
    const n3 = await fake.createNetwork({});
    await fake.createSubnet({ network_id: n1.id, ip_version: 4, subnetpool_id: pool.id });
    assert.equal((await fake.createSubnet({ network_id: n2.id, ip_version: 4, subnetpool_id: pool.id })).cidr, '10.9.1.0/24');
    const err = await rejectsWith(fake.createSubnet({ network_id: n3.id, ip_version: 4, subnetpool_id: pool.id }),
      UnavailableError, 'SubnetAllocationError');
    assert.equal(err.retryable, false);
    await rejectsWith(fake.createSubnet({ network_id: n1.id, ip_version: 4, subnetpool_id: other.id }),
      InvalidRequestError, 'NetworkSubnetPoolAffinityError');
  });

  it('refuses to delete a subnet with IP allocations (SubnetInUse) and a pool with subnets (400)', async () => {
    const fake = createFakeNeutron();
    const pool = await fake.createSubnetPool({ prefixes: ['10.20.0.0/16'], default_prefixlen: 24 });
    const net = await fake.createNetwork({});
    const subnet = await fake.createSubnet({ network_id: net.id, ip_version: 4, subnetpool_id: pool.id });
    const port = await fake.createPort({ network_id: net.id });
    await rejectsWith(fake.deleteSubnet(subnet.id), ConflictError, 'SubnetInUse');
    const perr = await rejectsWith(fake.deleteSubnetPool(pool.id), InvalidRequestError, 'SubnetPoolDeleteError');
    assert.equal(perr.details['status'], 400);
    await fake.deletePort(port.id);
    await fake.deleteSubnet(subnet.id);
    assert.deepEqual((await fake.getNetwork(net.id)).subnets, []);
    await fake.deleteSubnetPool(pool.id);
    await rejectsWith(fake.getSubnetPool(pool.id), NotFoundError, 'SubnetPoolNotFound');
    await rejectsWith(fake.deleteSubnet(subnet.id), NotFoundError, 'SubnetNotFound');
  });
});

describe('fake neutron: ports', () => {
  it('allocates the next free IP skipping the gateway, a fa:16:3e MAC, status DOWN, unbound', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake);
    const p1 = await fake.createPort({ network_id: net.id });
    const p2 = await fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: subnet.id }] });
    assert.deepEqual(p1.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.2' }]);
    assert.deepEqual(p2.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.3' }]);
    assert.match(p1.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.notEqual(p1.mac_address, p2.mac_address);
    assert.equal(p1.status, 'DOWN');
    assert.equal(p1['binding:vif_type'], 'unbound');
    assert.deepEqual(p1['binding:vif_details'], {});
    assert.equal(p1['binding:vnic_type'], 'normal');
    assert.equal(p1['binding:host_id'], '');
    assert.equal(p1.security_groups?.length, 1);
  });

  it('takes a requested IP and refuses it twice with IpAddressAlreadyAllocated', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.10' }] });
    assert.equal(p.fixed_ips[0]?.ip_address, '10.0.0.10');
    const err = await rejectsWith(
      fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.10' }] }),
      ConflictError, 'IpAddressAlreadyAllocated');
    assert.equal(err.message, `POST /v2.0/ports: 409 IpAddressAlreadyAllocated: IP address 10.0.0.10 already allocated in subnet ${subnet.id}`);
    // the gateway may be taken explicitly (as real Neutron allows)
    const gw = await fake.createPort({ network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.1' }] });
    assert.deepEqual(gw.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.1' }]);
    assert.equal(fake.state.ports.size, 2);
  });

  it('validates requested IPs against subnet and network', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake);
    await rejectsWith(fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.9.0.1' }] }),
      InvalidRequestError, 'InvalidIpForSubnet');
    await rejectsWith(fake.createPort({ network_id: net.id, fixed_ips: [{ ip_address: '10.9.0.1' }] }),
      InvalidRequestError, 'InvalidIpForNetwork');
    await rejectsWith(fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: '00000000-0000-0000-0000-000000000000' }] }),
      NotFoundError, 'SubnetNotFound');
    const { subnet: foreign } = await netWithSubnet(fake, '10.5.0.0/24');
    await rejectsWith(fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: foreign.id }] }),
      InvalidRequestError, 'InvalidInput');
    await rejectsWith(fake.createPort({ network_id: '00000000-0000-0000-0000-000000000000' }), NotFoundError, 'NetworkNotFound');
  });

  it('reports exhaustion as IpAddressGenerationFailure', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake, '10.0.0.0/30');
    // /30: .1 gateway, .2 the only free address
    await fake.createPort({ network_id: net.id });
    await rejectsWith(fake.createPort({ network_id: net.id, fixed_ips: [{ subnet_id: subnet.id }] }),
      ConflictError, 'IpAddressGenerationFailure');
  });

  it('refuses a MAC in use on the same network (MacAddressInUse) but not on another one', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id });
    await rejectsWith(fake.createPort({ network_id: net.id, mac_address: p.mac_address }), ConflictError, 'MacAddressInUse');
    const other = await fake.createNetwork({});
    const q = await fake.createPort({ network_id: other.id, mac_address: p.mac_address.toUpperCase() });
    assert.equal(q.mac_address, p.mac_address);
  });

  it('binds through the hook when binding:host_id is set, and unbinds with an empty host', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const normal = await fake.createPort({ network_id: net.id, 'binding:host_id': 'h1' });
    assert.equal(normal['binding:vif_type'], 'bridge');
    assert.deepEqual(normal['binding:vif_details'], { connectivity: 'l2', port_filter: true });
    const direct = await fake.createPort({ network_id: net.id, 'binding:vnic_type': 'direct' });
    assert.equal(direct['binding:vif_type'], 'unbound');
    const bound = await fake.updatePort(direct.id, { 'binding:host_id': 'h1', 'binding:profile': { pci_slot: '0000:03:10.0' } });
    assert.equal(bound['binding:vif_type'], 'hw_veb');
    assert.deepEqual(bound['binding:vif_details'], { vlan: '0' });
    assert.deepEqual(bound['binding:profile'], { pci_slot: '0000:03:10.0' });
    assert.equal(bound.status, 'DOWN');
    const unbound = await fake.updatePort(direct.id, { 'binding:host_id': '' });
    assert.equal(unbound['binding:vif_type'], 'unbound');
    assert.deepEqual(unbound['binding:vif_details'], {});
  });

  it('lets tests replace the binding hook and sees the host it was asked for', async () => {
    const seen: string[] = [];
    const fake = createFakeNeutron({
      vifTypeFor: (port, host) => { seen.push(`${port.name}@${host}`); return { vif_type: 'ovs', vif_details: { a: 1 } }; },
    });
    const { net } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id, name: 'x', 'binding:host_id': 'node7' });
    assert.equal(p['binding:vif_type'], 'ovs');
    assert.deepEqual(seen, ['x@node7']);
    fake.vifTypeFor = () => ({ vif_type: 'binding_failed', vif_details: {} });
    const q = await fake.updatePort(p.id, { 'binding:host_id': 'node8' });
    assert.equal(q['binding:vif_type'], 'binding_failed');
  });

  it('refuses a MAC change on a bound port (PortBound) and allows it once unbound', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id, 'binding:host_id': 'h1' });
    const err = await rejectsWith(fake.updatePort(p.id, { mac_address: 'fa:16:3e:12:34:56' }), ConflictError, 'PortBound');
    assert.match(err.message, /port is already bound, port type: bridge/);
    assert.equal((await fake.getPort(p.id)).mac_address, p.mac_address);
    await fake.updatePort(p.id, { 'binding:host_id': '' });
    const changed = await fake.updatePort(p.id, { mac_address: 'fa:16:3e:12:34:56' });
    assert.equal(changed.mac_address, 'fa:16:3e:12:34:56');
  });

  it('replaces fixed_ips on update, keeping the ones asked for again', async () => {
    const fake = createFakeNeutron();
    const { net, subnet } = await netWithSubnet(fake);
    const other = await fake.createPort({ network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.20' }] });
    const p = await fake.createPort({ network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.10' }] });
    await rejectsWith(fake.updatePort(p.id, { fixed_ips: [{ ip_address: '10.0.0.20' }] }), ConflictError, 'IpAddressAlreadyAllocated');
    const same = await fake.updatePort(p.id, { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.0.0.10' }, { ip_address: '10.0.0.11' }] });
    assert.deepEqual(same.fixed_ips.map((f) => f.ip_address), ['10.0.0.10', '10.0.0.11']);
    const kept = await fake.updatePort(p.id, { fixed_ips: [{ subnet_id: subnet.id }] });
    assert.deepEqual(kept.fixed_ips.map((f) => f.ip_address), ['10.0.0.10']);
    assert.deepEqual((await fake.getPort(other.id)).fixed_ips.map((f) => f.ip_address), ['10.0.0.20']);
  });

  it('refuses status updates and bad vnic types', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id });
    await rejectsWith(fake.updatePort(p.id, { status: 'ACTIVE' }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(fake.createPort({ network_id: net.id, 'binding:vnic_type': 'bogus' }), InvalidRequestError, 'HTTPBadRequest');
    fake.setPortStatus(p.id, 'ACTIVE');
    assert.equal((await fake.getPort(p.id)).status, 'ACTIVE');
    await fake.deletePort(p.id);
    await rejectsWith(fake.deletePort(p.id), NotFoundError, 'PortNotFound');
  });
});

describe('fake neutron: security groups', () => {
  it('starts with the project default group, which new ports get; a new group comes with two egress rules', async () => {
    const fake = createFakeNeutron();
    const [dflt, ...others] = await fake.listSecurityGroups();
    assert.equal(others.length, 0);
    assert.equal(dflt?.name, 'default');
    assert.deepEqual(dflt?.security_group_rules.map((r) => `${r.direction} ${r.ethertype} ${r.remote_group_id === dflt.id}`).sort(),
      ['egress IPv4 false', 'egress IPv6 false', 'ingress IPv4 true', 'ingress IPv6 true']);
    const { net } = await netWithSubnet(fake);
    assert.deepEqual((await fake.createPort({ network_id: net.id })).security_groups, [dflt?.id]);

    const g = await fake.createSecurityGroup({ name: 'web', description: 'd' });
    assert.equal(g.name, 'web');
    assert.equal(g.description, 'd');
    assert.equal(g.project_id, 'fake_project_id');
    assert.equal(g.stateful, true);
    assert.deepEqual(g.security_group_rules.map((r) => ({
      direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, min: r.port_range_min, max: r.port_range_max,
      remote: r.remote_group_id ?? r.remote_ip_prefix, sg: r.security_group_id,
    })), [
      { direction: 'egress', ethertype: 'IPv4', protocol: null, min: null, max: null, remote: null, sg: g.id },
      { direction: 'egress', ethertype: 'IPv6', protocol: null, min: null, max: null, remote: null, sg: g.id },
    ]);
    assert.deepEqual((await fake.listSecurityGroups({ name: 'web' })).map((x) => x.id), [g.id]);
    await rejectsWith(fake.listSecurityGroups({ bogus: 1 }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(fake.createSecurityGroup({ name: 'x', tags: ['a'] }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(fake.createSecurityGroup({ name: 'x', security_group_rules: [] }), InvalidRequestError, 'HTTPBadRequest');
    assert.deepEqual(fake.callsOf('createSecurityGroup')[0], {
      op: 'createSecurityGroup', method: 'POST', resource: 'security-groups', body: { name: 'web', description: 'd' },
    });
  });

  it('validates rules like Neutron Zed: protocols, port and ICMP ranges, duplicates, the group', async () => {
    const fake = createFakeNeutron();
    const g = await fake.createSecurityGroup({ name: 'r' });
    const rule = (extra: Record<string, unknown>) => fake.createSecurityGroupRule({ security_group_id: g.id, direction: 'ingress', ...extra });
    const tcp = await rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 82 });
    assert.equal(tcp.ethertype, 'IPv4', 'the default ethertype');
    assert.equal(tcp.security_group_id, g.id);
    assert.deepEqual([tcp.protocol, tcp.port_range_min, tcp.port_range_max], ['tcp', 80, 82]);
    const icmp = await rule({ protocol: 'icmp', port_range_min: 8 });
    assert.deepEqual([icmp.port_range_min, icmp.port_range_max], [8, null]);
    assert.equal((await rule({ protocol: 'udp', ethertype: 'IPv6', port_range_min: '53', port_range_max: 53 })).port_range_min, 53);
    assert.equal((await rule({ protocol: 17, port_range_min: 5, port_range_max: 5 })).protocol, '17');
    const dup = await rejectsWith(rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 82 }), ConflictError, 'SecurityGroupRuleExists');
    assert.match(dup.message, new RegExp(`Rule id is ${tcp.id}`));
    await rejectsWith(rule({ protocol: 'tcp', port_range_min: 0, port_range_max: 80 }), InvalidRequestError, 'SecurityGroupInvalidPortValue');
    await rejectsWith(rule({ protocol: 'udp', port_range_min: 1, port_range_max: 70000 }), InvalidRequestError, 'SecurityGroupInvalidPortValue');
    await rejectsWith(rule({ protocol: 'tcp', port_range_min: 90, port_range_max: 80 }), InvalidRequestError, 'SecurityGroupInvalidPortRange');
    await rejectsWith(rule({ port_range_min: 90, port_range_max: 95 }), InvalidRequestError, 'SecurityGroupProtocolRequiredWithPorts');
    await rejectsWith(rule({ protocol: 'icmp', port_range_min: 300 }), InvalidRequestError, 'SecurityGroupInvalidIcmpValue');
    await rejectsWith(rule({ protocol: 'icmp', port_range_max: 3 }), InvalidRequestError, 'SecurityGroupMissingIcmpType');
    await rejectsWith(rule({ protocol: 'bogus' }), InvalidRequestError, 'SecurityGroupRuleInvalidProtocol');
    await rejectsWith(rule({ protocol: 'udp', ethertype: 'IPv5' }), InvalidRequestError, 'SecurityGroupRuleInvalidEtherType');
    await rejectsWith(rule({ direction: 'sideways' }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(rule({ bogus: 1 }), InvalidRequestError, 'HTTPBadRequest');
    await rejectsWith(fake.createSecurityGroupRule({ security_group_id: g.id }), InvalidRequestError, 'HTTPBadRequest');
    const missing = await rejectsWith(fake.createSecurityGroupRule({
      security_group_id: '00000000-0000-0000-0000-000000000000', direction: 'ingress', protocol: 'udp',
    }), NotFoundError, 'SecurityGroupNotFound');
    assert.equal(missing.message,
      'POST /v2.0/security-group-rules: 404 SecurityGroupNotFound: Security group 00000000-0000-0000-0000-000000000000 does not exist');
    const [stored] = await fake.listSecurityGroups({ id: g.id });
    assert.equal(stored?.security_group_rules.length, 2 + 4, 'two default egress rules and the four accepted ones');
  });

  it('ports may only name existing, distinct groups, and none without port security', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const g = await fake.createSecurityGroup({ name: 'g' });
    const ghost = '00000000-0000-0000-0000-000000000001';
    await rejectsWith(fake.createPort({ network_id: net.id, security_groups: [ghost] }), NotFoundError, 'SecurityGroupNotFound');
    assert.equal(fake.state.ports.size, 0);
    const p = await fake.createPort({ network_id: net.id, security_groups: [g.id] });
    assert.deepEqual(p.security_groups, [g.id]);
    await rejectsWith(fake.updatePort(p.id, { security_groups: [g.id, ghost] }), NotFoundError, 'SecurityGroupNotFound');
    await rejectsWith(fake.updatePort(p.id, { security_groups: [g.id, g.id] }), InvalidRequestError, 'HTTPBadRequest');
    assert.deepEqual((await fake.getPort(p.id)).security_groups, [g.id], 'a failed PUT changes nothing');
    await rejectsWith(fake.updatePort(p.id, { port_security_enabled: false }), ConflictError, 'PortSecurityPortHasSecurityGroup');
    const open = await fake.updatePort(p.id, { port_security_enabled: false, security_groups: [] });
    assert.deepEqual(open.security_groups, []);
    await rejectsWith(fake.updatePort(p.id, { security_groups: [g.id] }), InvalidRequestError, 'PortSecurityAndIPRequiredForSecurityGroups');
    assert.deepEqual((await fake.createPort({ network_id: net.id, port_security_enabled: false })).security_groups, []);
    await rejectsWith(fake.createPort({ network_id: net.id, port_security_enabled: false, security_groups: [g.id] }),
      InvalidRequestError, 'PortSecurityAndIPRequiredForSecurityGroups');
  });

  it('refuses to delete a group a port still names (SecurityGroupInUse); deleting takes the rules along', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const g = await fake.createSecurityGroup({ name: 'g' });
    await fake.createSecurityGroupRule({ security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    const p = await fake.createPort({ network_id: net.id, security_groups: [g.id] });
    const err = await rejectsWith(fake.deleteSecurityGroup(g.id), ConflictError, 'SecurityGroupInUse');
    assert.equal(err.message, `DELETE /v2.0/security-groups/${g.id}: 409 SecurityGroupInUse: Security Group ${g.id} in use.`);
    assert.equal(fake.state.securityGroups.has(g.id), true);
    await fake.updatePort(p.id, { security_groups: [] });
    await fake.deleteSecurityGroup(g.id);
    assert.equal(fake.state.securityGroups.has(g.id), false);
    assert.deepEqual(await fake.listSecurityGroups({ name: 'g' }), []);
    await rejectsWith(fake.deleteSecurityGroup(g.id), NotFoundError, 'SecurityGroupNotFound');
    await rejectsWith(fake.createSecurityGroupRule({ security_group_id: g.id, direction: 'ingress' }), NotFoundError, 'SecurityGroupNotFound');
  });
});

describe('fake neutron: filters and tags', () => {
  it('filters by scalar fields, tags, tags-any, not-tags, not-tags-any', async () => {
    const fake = createFakeNeutron();
    const a = await fake.createNetwork({ name: 'a' });
    const b = await fake.createNetwork({ name: 'b' });
    await fake.addTag('networks', a.id, 'x');
    await fake.addTag('networks', a.id, 'y');
    await fake.addTag('networks', b.id, 'y');
    const names = async (q: Parameters<typeof fake.listNetworks>[0]) => (await fake.listNetworks(q)).map((n) => n.name).sort();
    assert.deepEqual(await names({ name: 'a' }), ['a']);
    assert.deepEqual(await names({ id: [a.id, b.id] }), ['a', 'b']);
    assert.deepEqual(await names({ tags: 'x,y' }), ['a']);
    assert.deepEqual(await names({ tags: 'y' }), ['a', 'b']);
    assert.deepEqual(await names({ 'tags-any': 'x,z' }), ['a']);
    assert.deepEqual(await names({ 'not-tags': 'x,y' }), ['b']);
    assert.deepEqual(await names({ 'not-tags': 'x,z' }), ['a', 'b']);
    assert.deepEqual(await names({ 'not-tags-any': 'x,z' }), ['b']);
    assert.deepEqual(await names({ shared: false, mtu: 1450, fields: ['id'] }), ['a', 'b']);
    assert.deepEqual(await names({ admin_state_up: 'True' }), ['a', 'b']);
    await rejectsWith(fake.listNetworks({ bogus: 'x' }), InvalidRequestError, 'HTTPBadRequest');
  });

  it('filters ports by fixed_ips as Neutron does (each kind matched by some fixed IP)', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({});
    const sa = await fake.createSubnet({ network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const sb = await fake.createSubnet({ network_id: net.id, ip_version: 4, cidr: '10.0.5.0/24' });
    await fake.createPort({ network_id: net.id, name: 'two', fixed_ips: [{ ip_address: '10.0.0.10' }, { ip_address: '10.0.5.10' }] });
    await fake.createPort({ network_id: net.id, name: 'one', fixed_ips: [{ ip_address: '10.0.0.11' }] });
    const names = async (fixed: string[]) => (await fake.listPorts({ fixed_ips: fixed })).map((p) => p.name).sort();
    assert.deepEqual(await names([`subnet_id=${sa.id}`]), ['one', 'two']);
    assert.deepEqual(await names([`subnet_id=${sb.id}`]), ['two']);
    assert.deepEqual(await names(['ip_address=10.0.0.11']), ['one']);
    assert.deepEqual(await names([`subnet_id=${sa.id}`, 'ip_address=10.0.0.11']), ['one']);
    // the IP in subnet A and "some IP in subnet B" may be different fixed IPs
    assert.deepEqual(await names(['ip_address=10.0.0.10', `subnet_id=${sb.id}`]), ['two']);
    assert.deepEqual(await names(['ip_address=10.0.0.11', 'ip_address=10.0.0.99']), ['one']);
    assert.deepEqual(await names(['ip_address=10.0.0.99']), []);
    assert.deepEqual((await fake.listPorts({ 'binding:host_id': '', device_owner: '' })).length, 2);
  });

  it('stores tags sorted, removes them, and 404s TagNotFound / TagResourceNotFound', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({});
    await fake.addTag('networks', net.id, 'kuryr.net.uuid.uh:b');
    await fake.addTag('networks', net.id, 'a/b:c');
    await fake.addTag('networks', net.id, 'a/b:c');
    assert.deepEqual((await fake.getNetwork(net.id)).tags, ['a/b:c', 'kuryr.net.uuid.uh:b']);
    await fake.removeTag('networks', net.id, 'a/b:c');
    assert.deepEqual((await fake.getNetwork(net.id)).tags, ['kuryr.net.uuid.uh:b']);
    await rejectsWith(fake.removeTag('networks', net.id, 'a/b:c'), NotFoundError, 'TagNotFound');
    await rejectsWith(fake.addTag('ports', net.id, 'x'), NotFoundError, 'TagResourceNotFound');
  });

  it('returns deep copies: mutating a result does not change the fake', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    const p = await fake.createPort({ network_id: net.id });
    p.fixed_ips.push({ subnet_id: 'x', ip_address: '1.2.3.4' });
    p.name = 'changed';
    const listed = await fake.listPorts();
    listed[0]!.fixed_ips.length = 0;
    const again = await fake.getPort(p.id);
    assert.equal(again.name, '');
    assert.equal(again.fixed_ips.length, 1);
    const body = { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.50' }] };
    const q = await fake.createPort(body);
    body.fixed_ips[0]!.ip_address = '10.0.0.51';
    assert.equal((await fake.getPort(q.id)).fixed_ips[0]?.ip_address, '10.0.0.50');
  });
});

describe('fake neutron: test handles', () => {
  it('logs calls in order with method, resource, id, body and query', async () => {
    const fake = createFakeNeutron();
    const net = await fake.createNetwork({ name: 'a' });
    await fake.listNetworks({ name: 'a' });
    await fake.addTag('networks', net.id, 't');
    await fake.deleteNetwork(net.id);
    assert.deepEqual(fake.calls, [
      { op: 'createNetwork', method: 'POST', resource: 'networks', body: { name: 'a' } },
      { op: 'listNetworks', method: 'GET', resource: 'networks', query: { name: 'a' } },
      { op: 'addTag', method: 'PUT', resource: 'networks', id: net.id, tag: 't' },
      { op: 'deleteNetwork', method: 'DELETE', resource: 'networks', id: net.id },
    ]);
    assert.equal(fake.callsOf('addTag').length, 1);
  });

  it('injects failures for a number of calls without touching state', async () => {
    const fake = createFakeNeutron();
    const { net } = await netWithSubnet(fake);
    fake.failOn('createPort', () => new UnavailableError('ERR_NEUTRON_UNAVAILABLE', 'boom', { retryable: true }), 2);
    await assert.rejects(fake.createPort({ network_id: net.id }), /boom/);
    await assert.rejects(fake.createPort({ network_id: net.id }), /boom/);
    assert.equal(fake.state.ports.size, 0);
    const p = await fake.createPort({ network_id: net.id });
    assert.equal(fake.state.ports.size, 1);
    const conflict = new ConflictError('ERR_NEUTRON_CONFLICT', 'nope');
    fake.failOn('deletePort', conflict);
    await assert.rejects(fake.deletePort(p.id), (e) => e === conflict);
    await fake.deletePort(p.id);
    assert.equal(fake.callsOf('createPort').length, 3);
  });

  it('answers hasExtension and listAgents from its state', async () => {
    const fake = createFakeNeutron({
      agents: [{ id: 'a1', agent_type: 'NIC Switch agent', binary: 'neutron-sriov-nic-agent', host: 'h1', alive: true,
        admin_state_up: true, configurations: {} }],
    });
    assert.equal(await fake.hasExtension('standard-attr-tag'), true);
    assert.equal(await fake.hasExtension('subnet_allocation'), true);
    assert.equal(await fake.hasExtension('nope'), false);
    fake.state.extensions.delete('standard-attr-tag');
    assert.equal(await fake.hasExtension('standard-attr-tag'), false);
    assert.deepEqual((await fake.listAgents({ host: 'h1' })).map((a) => a.id), ['a1']);
    assert.deepEqual(await fake.listAgents({ host: 'h2' }), []);
  });
});
