// --expose / -p as security groups (Program/RevokeExternalConnectivity): the pure option parsing and range
// grouping, then the Neutron side against the stateful fake — the group and its rules, idempotent Program,
// Revoke restoring the port, the disabled option, rollback on failure and refused protocols.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import fc from 'fast-check';
import pino from 'pino';

import { ConflictError, InvalidRequestError, PluginError, UnavailableError } from '../../src/errors.ts';
import { requestAddress } from '../../src/ipam/request-address.ts';
import { requestPool } from '../../src/ipam/request-pool.ts';
import { createEndpoint } from '../../src/network/create-endpoint.ts';
import { createNetwork } from '../../src/network/create-network.ts';
import {
  EXPOSED_PORTS_OPTION, exposureRules, parseExposedPorts, PORT_MAP_OPTION, portEthertypes, portRanges,
  programExternalConnectivity, revokeExternalConnectivity, type ExposedPort,
} from '../../src/network/external-connectivity.ts';
import { deleteEndpoint } from '../../src/network/delete-endpoint.ts';
import { join } from '../../src/network/join.ts';
import type { NeutronSecurityGroup } from '../../src/neutron/types.ts';
import * as s from '../../src/protocol/schemas.ts';
import { createServer } from '../../src/server/server.ts';
import { testConfig, testContext } from '../../src/testing/context.ts';
import { createFakeNeutron, type FakeNeutron } from '../../src/testing/fake-neutron.ts';

const id = () => randomBytes(32).toString('hex');
const GW = { RequestAddressType: 'com.docker.network.gateway' };
type Ctx = ReturnType<typeof testContext>;

async function dockerNetworkCreate(ctx: Ctx, cidr: string, gateway: string) {
  const pool = await requestPool(ctx, s.requestPoolRequest.parse({ AddressSpace: 'no_address_space', Pool: cidr, SubPool: '', Options: {}, V6: false }));
  const gw = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: pool.PoolID, Address: gateway, Options: GW }));
  const networkId = id();
  await createNetwork(ctx, s.createNetworkRequest.parse({ NetworkID: networkId, Options: { 'com.docker.network.generic': {} },
    IPv4Data: [{ AddressSpace: 'no_address_space', Pool: cidr, Gateway: gw.Address }], IPv6Data: [] }));
  return { networkId, poolId: pool.PoolID };
}

/** `docker run` up to Join; returns the endpoint and its Neutron port id */
async function dockerRun(ctx: Ctx, neutron: FakeNeutron, net: { networkId: string; poolId: string }) {
  const addr = await requestAddress(ctx, s.requestAddressRequest.parse({ PoolID: net.poolId, Address: '', Options: null }));
  const endpointId = id();
  await createEndpoint(ctx, s.createEndpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId,
    Options: {}, Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' } }));
  await join(ctx, s.joinRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId,
    SandboxKey: '/srv/docker-exec/netns/0123456789ab', Options: {} }));
  const port = [...neutron.state.ports.values()].find((p) => p.device_id === endpointId);
  assert.ok(port, 'the endpoint has a port');
  return { endpointId, portId: port.id };
}

async function setup(opts: { processExternalConnectivity?: boolean } = {}) {
  const neutron = createFakeNeutron();
  const ctx = testContext(neutron, opts.processExternalConnectivity === undefined ? {}
    : { config: testConfig({ default: { processExternalConnectivity: opts.processExternalConnectivity } }) });
  const net = await dockerNetworkCreate(ctx, '10.31.0.0/24', '10.31.0.1');
  const run = await dockerRun(ctx, neutron, net);
  return { neutron, ctx, net, ...run };
}

/** the Options dockerd sends for `--expose 9000 --expose 9001/udp -p 8080:80` */
function dockerOptions(): Record<string, unknown> {
  return {
    [EXPOSED_PORTS_OPTION]: [{ Proto: 6, Port: 9000 }, { Proto: 17, Port: 9001 }, { Proto: 6, Port: 80 }],
    [PORT_MAP_OPTION]: [{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 }],
  };
}

function program(ctx: Ctx, net: { networkId: string }, endpointId: string, options: Record<string, unknown>) {
  return programExternalConnectivity(ctx, s.endpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId, Options: options }));
}

function revoke(ctx: Ctx, net: { networkId: string }, endpointId: string) {
  return revokeExternalConnectivity(ctx, s.endpointRequest.parse({ NetworkID: net.networkId, EndpointID: endpointId }));
}

function exposedGroups(neutron: FakeNeutron, portId: string): NeutronSecurityGroup[] {
  return [...neutron.state.securityGroups.values()].filter((g) => g.name === `${portId}-exposed_ports`);
}

/** the ingress rules of a group as `<ethertype> <protocol> <min>-<max>`, sorted */
function ingress(group: NeutronSecurityGroup | undefined): string[] {
  return (group?.security_group_rules ?? []).filter((r) => r.direction === 'ingress')
    .map((r) => `${r.ethertype} ${r.protocol ?? 'any'} ${r.port_range_min ?? '*'}-${r.port_range_max ?? '*'}`).sort();
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('external connectivity: pure helpers', () => {
  test('portRanges groups consecutive numbers, ignoring order and duplicates', () => {
    assert.deepEqual(portRanges([]), []);
    assert.deepEqual(portRanges([80]), [{ min: 80, max: 80 }]);
    assert.deepEqual(portRanges([82, 80, 81, 90, 81, 92, 91, 443]),
      [{ min: 80, max: 82 }, { min: 90, max: 92 }, { min: 443, max: 443 }]);
    assert.deepEqual(portRanges([65535, 1, 2, 65534]), [{ min: 1, max: 2 }, { min: 65534, max: 65535 }]);
  });

  test('parseExposedPorts merges exposed ports and the container side of the port map, deduplicated', () => {
    assert.deepEqual(parseExposedPorts(dockerOptions()), [
      { protocol: 'tcp', port: 80 }, { protocol: 'tcp', port: 9000 }, { protocol: 'udp', port: 9001 },
    ]);
    assert.deepEqual(parseExposedPorts({}), []);
    assert.deepEqual(parseExposedPorts({ [EXPOSED_PORTS_OPTION]: null, [PORT_MAP_OPTION]: [] }), []);
    assert.deepEqual(parseExposedPorts({ [EXPOSED_PORTS_OPTION]: [{ Proto: 1, Port: 8 }, { Proto: 17, Port: 53 }] }),
      [{ protocol: 'icmp', port: 8 }, { protocol: 'udp', port: 53 }]);
  });

  test('parseExposedPorts refuses unknown protocols and malformed entries with InvalidRequestError', () => {
    const cases: [unknown, string, RegExp][] = [
      [[{ Proto: 132, Port: 9000 }], 'ERR_UNSUPPORTED', /protocol number 132 \(sctp\).*1 \(icmp\), 6 \(tcp\) and 17 \(udp\)/],
      [[{ Proto: 99, Port: 1 }], 'ERR_UNSUPPORTED', /protocol number 99:/],
      [[{ Proto: 6 }], 'ERR_INVALID_REQUEST', /\[0\]\.Port must be an integer/],
      [[{ Proto: '6', Port: 80 }], 'ERR_INVALID_REQUEST', /Proto must be an integer/],
      [[{ Proto: 6, Port: 0 }], 'ERR_INVALID_REQUEST', /tcp port 0 is not in 1-65535/],
      [[{ Proto: 17, Port: 70000 }], 'ERR_INVALID_REQUEST', /udp port 70000/],
      [[{ Proto: 1, Port: 256 }], 'ERR_INVALID_REQUEST', /icmp type 256 is not in 0-255/],
      [['80/tcp'], 'ERR_INVALID_REQUEST', /must be an object/],
      [{ Proto: 6, Port: 80 }, 'ERR_INVALID_REQUEST', /must be a list/],
    ];
    for (const [value, code, message] of cases) {
      assert.throws(() => parseExposedPorts({ [EXPOSED_PORTS_OPTION]: value }), (e: unknown) => {
        assert.ok(e instanceof InvalidRequestError, String(e));
        assert.equal(e.code, code);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.throws(() => parseExposedPorts({ [PORT_MAP_OPTION]: [{ Proto: 132, IP: '', Port: 80, HostPort: 80 }] }), InvalidRequestError);
  });

  test('property: per protocol and ethertype, the rules cover exactly the exposed ports with maximal disjoint ranges', () => {
    const exposedPort = fc.oneof(
      fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), port: fc.integer({ min: 1, max: 65535 }) }),
      // clustered ports, so that ranges actually form
      fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), port: fc.integer({ min: 1000, max: 1040 }) }),
      fc.record({ protocol: fc.constant('icmp' as const), port: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(fc.property(fc.array(exposedPort, { maxLength: 60 }), fc.boolean(), (ports: ExposedPort[], v6) => {
      const ethertypes = v6 ? ['IPv4', 'IPv6'] as const : ['IPv4'] as const;
      const rules = exposureRules(ports, ethertypes);
      for (const ethertype of ethertypes) {
        for (const protocol of ['tcp', 'udp', 'icmp'] as const) {
          const mine = rules.filter((r) => r.ethertype === ethertype && r.protocol === protocol);
          const wanted = new Set(ports.filter((p) => p.protocol === protocol).map((p) => p.port));
          if (protocol === 'icmp') {
            // one rule per ICMP type, any code; IPv4 only (protocol 1 is not ICMPv6)
            const want = ethertype === 'IPv4' ? [...wanted].sort((a, b) => a - b) : [];
            assert.deepEqual(mine.map((r) => r.portRangeMin), want);
            assert.ok(mine.every((r) => r.portRangeMax === null));
            continue;
          }
          const covered: number[] = [];
          for (const r of mine) {
            assert.ok(r.portRangeMax !== null && r.portRangeMin <= r.portRangeMax);
            for (let p = r.portRangeMin; p <= r.portRangeMax!; p += 1) covered.push(p);
          }
          // exactly the exposed ports, each once (ranges are disjoint)
          assert.deepEqual(covered.sort((a, b) => a - b), [...wanted].sort((a, b) => a - b));
          // maximal: no two ranges touch, so no fewer rules could do
          const sorted = [...mine].sort((a, b) => a.portRangeMin - b.portRangeMin);
          for (let i = 1; i < sorted.length; i += 1) {
            assert.ok(sorted[i]!.portRangeMin > sorted[i - 1]!.portRangeMax! + 1);
          }
        }
      }
      assert.ok(rules.every((r) => ethertypes.includes(r.ethertype as never)));
    }), { numRuns: 300 });
  });

  test('portEthertypes adds IPv6 only for a port with an IPv6 address', () => {
    assert.deepEqual(portEthertypes({ fixed_ips: [{ subnet_id: 'a', ip_address: '10.0.0.2' }] }), ['IPv4']);
    assert.deepEqual(portEthertypes({ fixed_ips: [] }), ['IPv4']);
    assert.deepEqual(portEthertypes({ fixed_ips: [{ subnet_id: 'a', ip_address: '10.0.0.2' }, { subnet_id: 'b', ip_address: 'fd00::2' }] }),
      ['IPv4', 'IPv6']);
  });
});

describe('external connectivity against the fake Neutron', () => {
  test('Program puts a <port>-exposed_ports group with one rule per range in front of the port groups', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const before = neutron.state.ports.get(portId)!.security_groups!;
    assert.equal(before.length, 1, 'the port starts with the default group');
    const options = {
      [EXPOSED_PORTS_OPTION]: [
        { Proto: 6, Port: 9000 }, { Proto: 6, Port: 9001 }, { Proto: 6, Port: 9002 }, { Proto: 6, Port: 80 },
        { Proto: 17, Port: 53 }, { Proto: 17, Port: 54 }, { Proto: 1, Port: 8 },
      ],
      [PORT_MAP_OPTION]: [{ Proto: 6, IP: '', Port: 443, HostIP: '', HostPort: 8443, HostPortEnd: 8443 }],
    };
    assert.deepEqual(await program(ctx, net, endpointId, options), {});
    const [group, ...more] = exposedGroups(neutron, portId);
    assert.ok(group);
    assert.equal(more.length, 0);
    assert.equal(group.description, 'Docker exposed ports created by Kuryr.');
    assert.equal(group.project_id, neutron.state.ports.get(portId)!.project_id);
    assert.deepEqual(ingress(group), [
      'IPv4 icmp 8-*', 'IPv4 tcp 443-443', 'IPv4 tcp 80-80', 'IPv4 tcp 9000-9002', 'IPv4 udp 53-54',
    ]);
    // Neutron's own default egress rules are still there
    assert.equal(group.security_group_rules.filter((r) => r.direction === 'egress').length, 2);
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, [group.id, ...before]);
  });

  test('a port with an IPv6 address gets IPv6 rules too', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    neutron.state.ports.get(portId)!.fixed_ips.push({ subnet_id: 'v6-subnet', ip_address: 'fd00:31::5' });
    await program(ctx, net, endpointId, dockerOptions());
    assert.deepEqual(ingress(exposedGroups(neutron, portId)[0]), [
      'IPv4 tcp 80-80', 'IPv4 tcp 9000-9000', 'IPv4 udp 9001-9001',
      'IPv6 tcp 80-80', 'IPv6 tcp 9000-9000', 'IPv6 udp 9001-9001',
    ]);
  });

  test('Program is idempotent: a second call replaces the group instead of adding one', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const before = neutron.state.ports.get(portId)!.security_groups!;
    await program(ctx, net, endpointId, dockerOptions());
    const first = exposedGroups(neutron, portId)[0]!;
    await program(ctx, net, endpointId, dockerOptions());
    const groups = exposedGroups(neutron, portId);
    assert.equal(groups.length, 1);
    assert.notEqual(groups[0]!.id, first.id, 'replaced');
    assert.deepEqual(ingress(groups[0]), ingress(first));
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, [groups[0]!.id, ...before]);
    // with other ports the rules follow the latest call
    await program(ctx, net, endpointId, { [EXPOSED_PORTS_OPTION]: [{ Proto: 17, Port: 5000 }] });
    assert.deepEqual(exposedGroups(neutron, portId).map(ingress), [['IPv4 udp 5000-5000']]);
    assert.equal(neutron.state.ports.get(portId)!.security_groups!.length, 2);
    assert.equal(neutron.state.securityGroups.size, 2, 'the default group and ours, nothing left over');
  });

  test('Revoke restores the port groups and deletes ours; again it does nothing', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const before = [...neutron.state.ports.get(portId)!.security_groups!];
    await program(ctx, net, endpointId, dockerOptions());
    assert.deepEqual(await revoke(ctx, net, endpointId), {});
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, before);
    assert.deepEqual(exposedGroups(neutron, portId), []);
    assert.equal(neutron.state.securityGroups.size, 1);
    const calls = neutron.calls.length;
    assert.deepEqual(await revoke(ctx, net, endpointId), {});
    assert.deepEqual(neutron.calls.slice(calls).map((c) => c.op), ['listPorts', 'listSecurityGroups']);
  });

  test('DeleteEndpoint without a Revoke (dockerd crashed) still removes our group from the port', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const before = [...neutron.state.ports.get(portId)!.security_groups!];
    await program(ctx, net, endpointId, dockerOptions());
    assert.equal(exposedGroups(neutron, portId).length, 1);
    await deleteEndpoint(ctx, { NetworkID: net.networkId, EndpointID: endpointId, Options: {} });
    assert.deepEqual(exposedGroups(neutron, portId), []);
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, before);
  });

  test('Revoke cleans up a group the port no longer names, and an unknown endpoint is fine', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    await program(ctx, net, endpointId, dockerOptions());
    const groupId = exposedGroups(neutron, portId)[0]!.id;
    const before = neutron.state.ports.get(portId)!.security_groups!.filter((g) => g !== groupId);
    await neutron.updatePort(portId, { security_groups: before });
    const calls = neutron.calls.length;
    await revoke(ctx, net, endpointId);
    assert.equal(neutron.state.securityGroups.has(groupId), false);
    assert.equal(neutron.calls.slice(calls).filter((c) => c.op === 'updatePort').length, 0, 'no needless PUT');
    assert.deepEqual(await revoke(ctx, net, id()), {});
  });

  test('with process_external_connectivity = false neither call touches Neutron', async () => {
    const { neutron, ctx, net, endpointId } = await setup({ processExternalConnectivity: false });
    const calls = neutron.calls.length;
    assert.deepEqual(await program(ctx, net, endpointId, dockerOptions()), {});
    // not even parsed: upstream answers {} before looking at anything
    assert.deepEqual(await program(ctx, net, endpointId, { [EXPOSED_PORTS_OPTION]: [{ Proto: 132, Port: 1 }] }), {});
    assert.deepEqual(await revoke(ctx, net, endpointId), {});
    assert.equal(neutron.calls.length, calls);
    assert.equal(neutron.state.securityGroups.size, 1);
  });

  test('nothing to expose, or an unknown protocol, makes no Neutron call', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const calls = neutron.calls.length;
    assert.deepEqual(await program(ctx, net, endpointId, { [EXPOSED_PORTS_OPTION]: [], [PORT_MAP_OPTION]: [] }), {});
    assert.deepEqual(await program(ctx, net, endpointId, {}), {});
    const err = await rejection(program(ctx, net, endpointId, {
      [EXPOSED_PORTS_OPTION]: [{ Proto: 6, Port: 80 }, { Proto: 132, Port: 9000 }],
    }));
    assert.ok(err instanceof InvalidRequestError);
    assert.equal(err.code, 'ERR_UNSUPPORTED');
    assert.equal(neutron.calls.length, calls);
    assert.deepEqual(exposedGroups(neutron, portId), []);
  });

  test('an unknown protocol reaches dockerd as a NetworkDriver Err naming it', async () => {
    const { neutron, ctx, net, endpointId } = await setup();
    const app = createServer(ctx, { logger: pino({ level: 'silent' }) });
    const r = await app.inject({ method: 'POST', url: '/NetworkDriver.ProgramExternalConnectivity', payload: {
      NetworkID: net.networkId, EndpointID: endpointId, Options: { [EXPOSED_PORTS_OPTION]: [{ Proto: 132, Port: 9000 }] },
    } });
    assert.match(r.json().Err, /^ERR_UNSUPPORTED: cannot expose protocol number 132 \(sctp\)/);
    const ok = await app.inject({ method: 'POST', url: '/NetworkDriver.ProgramExternalConnectivity', payload: {
      NetworkID: net.networkId, EndpointID: endpointId, Options: dockerOptions(),
    } });
    assert.deepEqual(ok.json(), {});
    assert.equal(neutron.state.securityGroups.size, 2);
    assert.deepEqual((await app.inject({ method: 'POST', url: '/NetworkDriver.RevokeExternalConnectivity', payload: {
      NetworkID: net.networkId, EndpointID: endpointId } })).json(), {});
    assert.equal(neutron.state.securityGroups.size, 1);
  });

  test('a failing rule create deletes the new group and leaves the port as it was', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const before = [...neutron.state.ports.get(portId)!.security_groups!];
    const boom = new UnavailableError('ERR_NEUTRON_UNAVAILABLE', 'rule create failed');
    neutron.failOn('createSecurityGroupRule', boom);
    const err = await rejection(program(ctx, net, endpointId, dockerOptions()));
    assert.equal(err, boom);
    assert.deepEqual(exposedGroups(neutron, portId), []);
    assert.equal(neutron.state.securityGroups.size, 1);
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, before);
    assert.equal(neutron.callsOf('updatePort').filter((c) => c.id === portId && 'security_groups' in (c.body as object)).length, 0);
  });

  test('a failing port update restores the port groups, deletes the new group and keeps an earlier one', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    await program(ctx, net, endpointId, dockerOptions());
    const earlier = exposedGroups(neutron, portId)[0]!;
    const before = [...neutron.state.ports.get(portId)!.security_groups!];
    const boom = new ConflictError('ERR_NEUTRON_CONFLICT', 'port update refused');
    neutron.failOn('updatePort', boom);
    const err = await rejection(program(ctx, net, endpointId, { [EXPOSED_PORTS_OPTION]: [{ Proto: 6, Port: 22 }] }));
    assert.equal(err, boom);
    assert.deepEqual(exposedGroups(neutron, portId).map((g) => g.id), [earlier.id]);
    assert.deepEqual(neutron.state.ports.get(portId)!.security_groups, before);
    assert.deepEqual(ingress(neutron.state.securityGroups.get(earlier.id)), ingress(earlier));
  });

  test('a rollback step that fails is recorded on the original error, which is still the one thrown', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    const boom = new UnavailableError('ERR_NEUTRON_UNAVAILABLE', 'rule create failed');
    neutron.failOn('createSecurityGroupRule', boom);
    neutron.failOn('deleteSecurityGroup', new UnavailableError('ERR_NEUTRON_UNAVAILABLE', 'delete failed'));
    const err = await rejection(program(ctx, net, endpointId, dockerOptions()));
    assert.equal(err, boom);
    assert.deepEqual((err as PluginError & { rollbackFailures?: string[] }).rollbackFailures?.length, 1);
    // the orphan is found by name and removed by Revoke
    assert.equal(exposedGroups(neutron, portId).length, 1);
    await revoke(ctx, net, endpointId);
    assert.equal(exposedGroups(neutron, portId).length, 0);
  });

  test('a port with port security disabled gets no group', async () => {
    const { neutron, ctx, net, endpointId, portId } = await setup();
    await neutron.updatePort(portId, { port_security_enabled: false, security_groups: [] });
    assert.deepEqual(await program(ctx, net, endpointId, dockerOptions()), {});
    assert.equal(neutron.callsOf('createSecurityGroup').length, 0);
    assert.deepEqual(await revoke(ctx, net, endpointId), {});
  });

  test('without tag support the port is found by its upstream name <EndpointID>-port', async () => {
    const neutron = createFakeNeutron({ extensions: [] });
    const ctx = testContext(neutron, { tags: false });
    const net = await dockerNetworkCreate(ctx, '10.31.0.0/24', '10.31.0.1');
    const { endpointId, portId } = await dockerRun(ctx, neutron, net);
    assert.equal(neutron.state.ports.get(portId)!.name, `${endpointId}-port`);
    await program(ctx, net, endpointId, dockerOptions());
    assert.equal(exposedGroups(neutron, portId).length, 1);
    await revoke(ctx, net, endpointId);
    assert.equal(exposedGroups(neutron, portId).length, 0);
  });

  test('Program for an endpoint without a port is an error, not a silent no-op', async () => {
    const { ctx, net } = await setup();
    const err = await rejection(program(ctx, net, id(), dockerOptions()));
    assert.ok(err instanceof PluginError);
    assert.equal(err.code, 'ERR_ENDPOINT_NOT_FOUND');
  });
});
