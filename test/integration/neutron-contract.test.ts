// Contract cases run against BOTH the fake Neutron and a real one (the testbed, noauth, at
// KURYR_TEST_NEUTRON_URL) through the real HTTP client, so the fake stays honest. Without the variable the
// real half fails (it does not skip). Every resource is named per run and removed in `after`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { ConflictError, InvalidRequestError, NotFoundError, PluginError } from '../../src/errors.ts';
import type { NeutronClient } from '../../src/neutron/client.ts';
import { neutronErrorType } from '../../src/neutron/errors.ts';
import { createNeutronHttpClient } from '../../src/neutron/http-client.ts';
import type { NeutronNetwork, NeutronSubnet } from '../../src/neutron/types.ts';
import { createFakeNeutron } from '../../src/testing/fake-neutron.ts';

const REAL_URL = process.env['KURYR_TEST_NEUTRON_URL'];
const ZERO = '00000000-0000-0000-0000-000000000000';

interface Target {
  client: NeutronClient;
  close(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, cls: typeof PluginError, type: string): Promise<PluginError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name} ${type}, got ${String(caught)}`);
  assert.equal(neutronErrorType(caught), type, (caught as Error).message);
  return caught as PluginError;
}

function contract(name: string, open: () => Promise<Target>): void {
  describe(`neutron contract: ${name}`, () => {
    const run = randomBytes(4).toString('hex');
    // a per-run second octet keeps pool prefixes apart from other runs on a shared testbed
    const octet = 16 + (randomBytes(1)[0] ?? 0) % 200;
    let target: Target;
    let client: NeutronClient;
    const created = { ports: [] as string[], subnets: [] as string[], networks: [] as string[], pools: [] as string[] };

    const nm = (what: string): string => `ct-${run}-${what}`;

    async function network(what: string): Promise<NeutronNetwork> {
      const n = await client.createNetwork({ name: nm(what) });
      created.networks.push(n.id);
      return n;
    }
    async function subnet(body: Partial<NeutronSubnet> & Record<string, unknown>): Promise<NeutronSubnet> {
      const s = await client.createSubnet(body);
      created.subnets.push(s.id);
      return s;
    }
    async function port(body: Record<string, unknown>) {
      const p = await client.createPort(body);
      created.ports.push(p.id);
      return p;
    }

    before(async () => {
      target = await open();
      client = target.client;
    });

    after(async () => {
      if (client === undefined) return;
      const problems: string[] = [];
      const drop = async (fn: (id: string) => Promise<void>, ids: string[]) => {
        for (const id of ids.reverse()) {
          try {
            await fn(id);
          } catch (e) {
            if (!(e instanceof NotFoundError)) problems.push(String(e));
          }
        }
      };
      await drop((id) => client.deletePort(id), created.ports);
      await drop((id) => client.deleteSubnet(id), created.subnets);
      await drop((id) => client.deleteNetwork(id), created.networks);
      await drop((id) => client.deleteSubnetPool(id), created.pools);
      await target.close();
      assert.deepEqual(problems, [], 'clean-up failed');
    });

    it('network + subnetpool + subnet: create, list, filter by tags, delete', async () => {
      const pool = await client.createSubnetPool({
        name: nm('pool'), prefixes: [`10.${octet}.0.0/16`], default_prefixlen: 24, min_prefixlen: 16,
      });
      created.pools.push(pool.id);
      assert.equal(pool.default_prefixlen, '24', 'Neutron returns prefix lengths as strings');
      assert.equal(pool['min_prefixlen'], '16');
      assert.equal(pool.ip_version, 4);
      assert.deepEqual(pool.prefixes, [`10.${octet}.0.0/16`]);
      assert.deepEqual((await client.listSubnetPools({ name: nm('pool') })).map((p) => p.id), [pool.id]);

      const net = await network('net');
      assert.equal(net.mtu, 1450);
      assert.deepEqual(net.tags, []);
      const s = await subnet({ network_id: net.id, ip_version: 4, subnetpool_id: pool.id, name: nm('sub') });
      assert.equal(s.cidr, `10.${octet}.0.0/24`);
      assert.equal(s.gateway_ip, `10.${octet}.0.1`);
      assert.equal(s.subnetpool_id, pool.id);
      assert.deepEqual(s['allocation_pools'], [{ start: `10.${octet}.0.2`, end: `10.${octet}.0.254` }]);
      const s2 = await subnet({
        network_id: net.id, ip_version: 4, subnetpool_id: pool.id, cidr: `10.${octet}.7.0/24`, gateway_ip: null,
      });
      assert.equal(s2.gateway_ip, null);
      assert.deepEqual(s2['allocation_pools'], [{ start: `10.${octet}.7.1`, end: `10.${octet}.7.254` }]);
      await rejectsWith(subnet({ network_id: net.id, ip_version: 4, cidr: `10.${octet}.7.0/25` }), InvalidRequestError, 'InvalidInput');

      const other = await network('other');
      await client.addTag('networks', net.id, `ct.a:${run}`);
      await client.addTag('networks', net.id, `ct.b:${run}`);
      await client.addTag('networks', other.id, `ct.b:${run}`);
      const ids = async (q: Record<string, string>) => (await client.listNetworks(q)).map((n) => n.id).sort();
      assert.deepEqual(await ids({ tags: `ct.a:${run}` }), [net.id]);
      assert.deepEqual(await ids({ tags: `ct.a:${run},ct.b:${run}` }), [net.id]);
      assert.deepEqual(await ids({ tags: `ct.b:${run}` }), [net.id, other.id].sort());
      assert.deepEqual(await ids({ 'tags-any': `ct.a:${run},ct.zz:${run}` }), [net.id]);
      assert.deepEqual(await ids({ tags: `ct.b:${run}`, 'not-tags': `ct.a:${run}` }), [other.id]);
      assert.deepEqual(await ids({ name: nm('net') }), [net.id]);
      assert.deepEqual((await client.getNetwork(net.id)).subnets.sort(), [s.id, s2.id].sort());
      assert.deepEqual((await client.listSubnets({ network_id: net.id, cidr: `10.${octet}.0.0/24` })).map((x) => x.id), [s.id]);
      assert.deepEqual((await client.listSubnets({ subnetpool_id: pool.id })).map((x) => x.id).sort(), [s.id, s2.id].sort());

      const perr = await rejectsWith(client.deleteSubnetPool(pool.id), InvalidRequestError, 'SubnetPoolDeleteError');
      assert.equal(perr.details['status'], 400);
      await client.deleteSubnet(s2.id);
      assert.deepEqual((await client.getNetwork(net.id)).subnets, [s.id]);
      await client.deleteNetwork(net.id); // takes its remaining subnet with it
      await rejectsWith(client.getSubnet(s.id), NotFoundError, 'SubnetNotFound');
      await client.deleteSubnetPool(pool.id);
      await rejectsWith(client.getNetwork(net.id), NotFoundError, 'NetworkNotFound');
      await rejectsWith(client.getSubnetPool(pool.id), NotFoundError, 'SubnetPoolNotFound');
    });

    it('port with a fixed IP; a duplicate IP is 409 IpAddressAlreadyAllocated; in-use deletes are refused', async () => {
      const net = await network('ports');
      const s = await subnet({ network_id: net.id, ip_version: 4, cidr: '192.168.77.0/24', enable_dhcp: false });
      assert.equal(s.gateway_ip, '192.168.77.1');
      const p = await port({ network_id: net.id, name: nm('p1'), fixed_ips: [{ subnet_id: s.id, ip_address: '192.168.77.10' }] });
      assert.deepEqual(p.fixed_ips, [{ subnet_id: s.id, ip_address: '192.168.77.10' }]);
      assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(p.status, 'DOWN');
      assert.equal(p['binding:vif_type'], 'unbound');
      assert.deepEqual(p['binding:vif_details'], {});
      assert.equal(p['binding:vnic_type'], 'normal');
      assert.equal(p.device_owner, '');

      const dup = await rejectsWith(
        port({ network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: '192.168.77.10' }] }),
        ConflictError, 'IpAddressAlreadyAllocated');
      assert.match(dup.message, /IP address 192\.168\.77\.10 already allocated in subnet/);
      await rejectsWith(port({ network_id: net.id, fixed_ips: [{ ip_address: '192.168.99.10' }] }), InvalidRequestError, 'InvalidIpForNetwork');
      await rejectsWith(port({ network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: '10.1.1.1' }] }), InvalidRequestError, 'InvalidIpForSubnet');
      await rejectsWith(port({ network_id: net.id, mac_address: p.mac_address }), ConflictError, 'MacAddressInUse');
      await rejectsWith(port({ network_id: ZERO }), NotFoundError, 'NetworkNotFound');

      const auto = await port({ network_id: net.id, name: nm('auto') });
      assert.equal(auto.fixed_ips.length, 1);
      assert.equal(auto.fixed_ips[0]?.subnet_id, s.id);
      assert.match(auto.fixed_ips[0]?.ip_address ?? '', /^192\.168\.77\.(\d+)$/);
      assert.notEqual(auto.fixed_ips[0]?.ip_address, '192.168.77.1');
      assert.notEqual(auto.fixed_ips[0]?.ip_address, '192.168.77.10');

      const inUse = await rejectsWith(client.deleteSubnet(s.id), ConflictError, 'SubnetInUse');
      assert.equal(inUse.details['status'], 409);
      const netInUse = await rejectsWith(client.deleteNetwork(net.id), ConflictError, 'NetworkInUse');
      assert.match(netInUse.message, new RegExp(p.id));

      const upd = await client.updatePort(p.id, { name: nm('p1b'), device_owner: 'compute:kuryr', device_id: run });
      assert.equal(upd.name, nm('p1b'));
      assert.deepEqual((await client.listPorts({ network_id: net.id, device_owner: 'compute:kuryr' })).map((x) => x.id), [p.id]);
      assert.deepEqual((await client.listPorts({ device_id: run })).map((x) => x.id), [p.id]);

      await client.deletePort(p.id);
      await client.deletePort(auto.id);
      await rejectsWith(client.deletePort(p.id), NotFoundError, 'PortNotFound');
      await client.deleteSubnet(s.id);
      await client.deleteNetwork(net.id);
    });

    it('binding: a host without an agent gives binding_failed, MAC may change, "" unbinds', async () => {
      const net = await network('bind');
      await subnet({ network_id: net.id, ip_version: 4, cidr: '192.168.78.0/24' });
      const p = await port({ network_id: net.id, 'binding:host_id': `ct-nohost-${run}` });
      assert.equal(p['binding:host_id'], `ct-nohost-${run}`);
      assert.equal(p['binding:vif_type'], 'binding_failed');
      const moved = await client.updatePort(p.id, { mac_address: 'fa:16:3e:00:00:42' });
      assert.equal(moved.mac_address, 'fa:16:3e:00:00:42');
      const unbound = await client.updatePort(p.id, { 'binding:host_id': '' });
      assert.equal(unbound['binding:vif_type'], 'unbound');
      assert.deepEqual(unbound['binding:vif_details'], {});
      await rejectsWith(client.updatePort(p.id, { status: 'ACTIVE' }), InvalidRequestError, 'HTTPBadRequest');
    });

    it('tags with ":" and "/" can be added, filtered on and removed', async () => {
      const net = await network('tags');
      await subnet({ network_id: net.id, ip_version: 4, cidr: '192.168.79.0/24' });
      const p = await port({ network_id: net.id });
      const colon = `kuryr.net.uuid.lh:${run}${'0'.repeat(24)}`;
      const slash = `ct/${run}:10.0.0.0/24`;
      await client.addTag('ports', p.id, colon);
      await client.addTag('ports', p.id, slash);
      await client.addTag('ports', p.id, colon); // idempotent
      assert.deepEqual((await client.getPort(p.id)).tags, [slash, colon].sort());
      assert.deepEqual((await client.listPorts({ tags: slash })).map((x) => x.id), [p.id]);
      assert.deepEqual((await client.listPorts({ tags: [colon, slash].join(',') })).map((x) => x.id), [p.id]);
      await client.removeTag('ports', p.id, slash);
      assert.deepEqual((await client.getPort(p.id)).tags, [colon]);
      await rejectsWith(client.removeTag('ports', p.id, slash), NotFoundError, 'TagNotFound');
      await client.removeTag('ports', p.id, colon);
      assert.deepEqual((await client.getPort(p.id)).tags, []);
      await rejectsWith(client.removeTag('ports', p.id, colon), NotFoundError, 'TagNotFound');
      await rejectsWith(client.addTag('ports', ZERO, 'x'), NotFoundError, 'TagResourceNotFound');

      await client.addTag('subnetpools', (await (async () => {
        const pool = await client.createSubnetPool({ name: nm('tagpool'), prefixes: [`10.${octet}.128.0/20`] });
        created.pools.push(pool.id);
        return pool.id;
      })()), colon);
      assert.equal((await client.listSubnetPools({ tags: colon })).length, 1);
    });

    it('fixed_ips filter: each kind given is matched by some fixed IP of the port', async () => {
      const net = await network('fips');
      const sa = await subnet({ network_id: net.id, ip_version: 4, cidr: '192.168.80.0/24' });
      const sb = await subnet({ network_id: net.id, ip_version: 4, cidr: '192.168.81.0/24' });
      const two = await port({ network_id: net.id, fixed_ips: [{ subnet_id: sa.id, ip_address: '192.168.80.10' }, { subnet_id: sb.id, ip_address: '192.168.81.10' }] });
      const one = await port({ network_id: net.id, fixed_ips: [{ ip_address: '192.168.80.11' }] });
      assert.deepEqual(one.fixed_ips, [{ subnet_id: sa.id, ip_address: '192.168.80.11' }]);
      const ids = async (fixed: string[]) => (await client.listPorts({ network_id: net.id, fixed_ips: fixed })).map((p) => p.id).sort();
      assert.deepEqual(await ids([`subnet_id=${sa.id}`]), [one.id, two.id].sort());
      assert.deepEqual(await ids([`subnet_id=${sb.id}`]), [two.id]);
      assert.deepEqual(await ids(['ip_address=192.168.80.11']), [one.id]);
      assert.deepEqual(await ids([`subnet_id=${sa.id}`, 'ip_address=192.168.80.11']), [one.id]);
      assert.deepEqual(await ids(['ip_address=192.168.80.10', `subnet_id=${sb.id}`]), [two.id]);
      assert.deepEqual(await ids(['ip_address=192.168.80.11', 'ip_address=192.168.80.10']), [one.id, two.id].sort());
      assert.deepEqual(await ids(['ip_address=192.168.80.99']), []);
    });

    it('error types for missing resources, extensions, unknown filters', async () => {
      await rejectsWith(client.getNetwork(ZERO), NotFoundError, 'NetworkNotFound');
      await rejectsWith(client.getPort(ZERO), NotFoundError, 'PortNotFound');
      await rejectsWith(client.getSubnet(ZERO), NotFoundError, 'SubnetNotFound');
      await rejectsWith(client.getSubnetPool(ZERO), NotFoundError, 'SubnetPoolNotFound');
      await rejectsWith(client.deleteNetwork(ZERO), NotFoundError, 'NetworkNotFound');
      await rejectsWith(client.updatePort(ZERO, { name: 'x' }), NotFoundError, 'PortNotFound');
      await rejectsWith(client.listPorts({ bogus_filter: 'x' }), InvalidRequestError, 'HTTPBadRequest');
      await rejectsWith(client.createNetwork({ name: nm('x'), tags: ['a'] }), InvalidRequestError, 'HTTPBadRequest');
      assert.equal(await client.hasExtension('standard-attr-tag'), true);
      assert.equal(await client.hasExtension('subnet_allocation'), true);
      assert.equal(await client.hasExtension(`no-such-ext-${run}`), false);
    });

    it('lists follow pagination (limit=1 still returns every match)', async () => {
      const ids = [(await network('page')).id, (await network('page')).id, (await network('page')).id].sort();
      assert.deepEqual((await client.listNetworks({ name: nm('page'), limit: 1 })).map((n) => n.id).sort(), ids);
    });
  });
}

contract('fake', async () => {
  // Like the testbed: hosts without a live agent cannot bind.
  const fake = createFakeNeutron({ vifTypeFor: () => ({ vif_type: 'binding_failed', vif_details: {} }) });
  return { client: fake, close: async () => {} };
});

if (REAL_URL === undefined || REAL_URL === '') {
  describe('neutron contract: real Neutron', () => {
    it('needs the Neutron testbed', () => {
      assert.fail(
        'KURYR_TEST_NEUTRON_URL is not set: the real-Neutron contract cases need the Neutron testbed running ' +
        '(bash /work/shared/testbed/setup_neutron.sh, then KURYR_TEST_NEUTRON_URL=http://127.0.0.1:19696)',
      );
    });
  });
} else {
  contract(`real Neutron at ${REAL_URL}`, async () => {
    const client = createNeutronHttpClient({
      auth: { type: 'none', endpointOverride: REAL_URL }, endpointType: 'public', timeoutMs: 20_000,
    });
    try {
      await client.hasExtension('standard-attr-tag');
    } catch (cause) {
      await client.close();
      throw new Error(`the Neutron testbed at ${REAL_URL} does not answer; it must be running (setup_neutron.sh)`, { cause });
    }
    return { client, close: () => client.close() };
  });
}
