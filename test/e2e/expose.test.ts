// End to end for `docker run --expose/-p` with the real dockerd, the real Neutron and the plugin started from
// its CLI: the container's Neutron port gets a `<port>-exposed_ports` security group with one ingress rule
// per exposed port, in front of its default group; a restart and `docker rm -f` leave no such group behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, neutronGet, neutronSend, testbed, type Testbed } from '../helpers/testbed.ts';

interface Port { id: string; security_groups: string[]; tags: string[] }
interface Rule { direction: string; ethertype: string; protocol: string | null; port_range_min: number | null; port_range_max: number | null }
interface Group { id: string; name: string; description: string; security_group_rules: Rule[] }

const tagQuery = (id: string) => `tags=kuryr.net.uuid.lh:${id.slice(0, 32)},kuryr.net.uuid.uh:${id.slice(32)}`;

describe('docker run --expose / -p on a kuryr network: exposed-ports security groups', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  const suffix = Math.random().toString(16).slice(2, 8);
  const net = `expose-${suffix}`;
  const container = `expose-c-${suffix}`;
  const portIds: string[] = [];

  async function endpointPort(): Promise<{ endpointId: string; port: Port }> {
    const inspect = JSON.parse((await docker(tb, ['inspect', container])).stdout) as
      { NetworkSettings: { Networks: Record<string, { EndpointID: string }> } }[];
    const endpointId = inspect[0]!.NetworkSettings.Networks[net]!.EndpointID;
    const { ports } = await neutronGet<{ ports: Port[] }>(tb, `ports?${tagQuery(endpointId)}`);
    assert.equal(ports.length, 1, `one port tagged for endpoint ${endpointId}`);
    portIds.push(ports[0]!.id);
    return { endpointId, port: ports[0]! };
  }

  async function exposedGroups(portId: string): Promise<Group[]> {
    const { security_groups: groups } = await neutronGet<{ security_groups: Group[] }>(tb,
      `security-groups?name=${portId}-exposed_ports`);
    return groups;
  }

  function ingress(g: Group): string[] {
    return g.security_group_rules.filter((r) => r.direction === 'ingress')
      .map((r) => `${r.ethertype} ${r.protocol ?? 'any'} ${r.port_range_min ?? '*'}-${r.port_range_max ?? '*'}`).sort();
  }

  async function assertExposed(port: Port): Promise<void> {
    const groups = await exposedGroups(port.id);
    assert.equal(groups.length, 1, `one ${port.id}-exposed_ports group`);
    const g = groups[0]!;
    assert.equal(g.description, 'Docker exposed ports created by Kuryr.');
    assert.deepEqual(ingress(g), ['IPv4 tcp 80-80', 'IPv4 tcp 9000-9000', 'IPv4 udp 9001-9001']);
    // Neutron keeps a port's groups as a set (its replies list them in no particular order)
    assert.ok(port.security_groups.includes(g.id), 'our group is on the port');
    assert.equal(port.security_groups.length, 2, 'beside the group the port had (default)');
  }

  before(async () => {
    tb = testbed();
    plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host });
    await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', '10.31.0.0/24', '--gateway', '10.31.0.1', net]);
  });

  after(async () => {
    await docker(tb, ['rm', '-f', container], { allowFail: true });
    await docker(tb, ['network', 'rm', net], { allowFail: true });
    // never leave a group behind, even when an assertion failed half-way
    for (const id of portIds) {
      for (const g of await exposedGroups(id).catch(() => [])) {
        await neutronSend(tb, 'DELETE', `security-groups/${g.id}`).catch(() => undefined);
      }
    }
    if (plugin) {
      await plugin.stop();
      await cleanupPluginDir(plugin);
    }
  });

  test('docker run --expose 9000 --expose 9001/udp -p 8080:80 puts tcp 80, 9000 and udp 9001 in the port\'s group', async () => {
    await docker(tb, ['run', '-d', '--name', container, '--net', net, '--expose', '9000', '--expose', '9001/udp',
      '-p', '8080:80', tb.image, 'sleep', '600']);
    const { port } = await endpointPort();
    await assertExposed(port);
  });

  test('docker restart: the old port\'s group is revoked and the new port gets its own, once', async () => {
    const oldPort = portIds[portIds.length - 1]!;
    await docker(tb, ['restart', '-t', '0', container]);
    const { port } = await endpointPort();
    assert.notEqual(port.id, oldPort, 'a restart makes a new endpoint and port');
    assert.deepEqual(await exposedGroups(oldPort), []);
    await assertExposed(port);
  });

  test('docker rm -f revokes: no exposed-ports group is left for any port the container had', async () => {
    await docker(tb, ['rm', '-f', container]);
    for (const id of portIds) {
      assert.deepEqual(await exposedGroups(id), [], `no ${id}-exposed_ports group`);
      const { ports } = await neutronGet<{ ports: unknown[] }>(tb, `ports?id=${id}`);
      assert.equal(ports.length, 0, `port ${id} deleted`);
    }
    await docker(tb, ['network', 'rm', net]);
    const logs = await plugin.logs();
    assert.match(logs, /exposed ports programmed/);
    assert.match(logs, /exposed ports revoked/);
    assert.doesNotMatch(logs, /rollback step failed|could not delete the replaced/);
  });
});
