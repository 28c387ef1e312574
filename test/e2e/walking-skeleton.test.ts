// End to end with the real dockerd, the real Neutron and the plugin started from its CLI: a kuryr network,
// two containers that ping each other over Neutron ports bound to this host, and nothing left behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stat } from 'node:fs/promises';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, hostLinks, neutronGet, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';

interface Port { id: string; mac_address: string; fixed_ips: { ip_address: string }[]; tags: string[];
  'binding:host_id': string; 'binding:vif_type': string; device_owner: string; device_id: string; status: string; network_id: string }

describe('walking skeleton: docker network create -d kuryr + docker run --net', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  const suffix = Math.random().toString(16).slice(2, 8);
  const net = `n1-${suffix}`;
  const containers = [`c1-${suffix}`, `c2-${suffix}`];
  let dockerNetId = '';
  let neutronNetId = '';
  const endpointIds: string[] = [];
  const portIds: string[] = [];

  before(async () => {
    tb = testbed();
    plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host });
  });

  after(async () => {
    for (const c of containers) await docker(tb, ['rm', '-f', c], { allowFail: true });
    await docker(tb, ['network', 'rm', net], { allowFail: true });
    if (plugin) {
      await plugin.stop();
      await cleanupPluginDir(plugin);
    }
  });

  test('creates a Neutron network, subnet and subnetpool for the Docker network', async () => {
    dockerNetId = (await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', '10.20.0.0/24', '--gateway', '10.20.0.1', net])).stdout;
    assert.match(dockerNetId, /^[0-9a-f]{64}$/);
    const { networks } = await neutronGet<{ networks: { id: string; name: string; tags: string[] }[] }>(tb,
      `networks?tags=kuryr.net.uuid.lh:${dockerNetId.slice(0, 32)},kuryr.net.uuid.uh:${dockerNetId.slice(32)}`);
    assert.equal(networks.length, 1);
    neutronNetId = networks[0]!.id;
    assert.equal(networks[0]!.name, `kuryr-net-${dockerNetId.slice(0, 8)}`);
    const { subnets } = await neutronGet<{ subnets: { name: string; cidr: string; gateway_ip: string; subnetpool_id: string; tags: string[] }[] }>(tb,
      `subnets?network_id=${neutronNetId}`);
    assert.equal(subnets.length, 1);
    assert.equal(subnets[0]!.name, 'kuryr-subnet-10.20.0.0/24');
    assert.equal(subnets[0]!.gateway_ip, '10.20.0.1');
    const { subnetpools } = await neutronGet<{ subnetpools: { id: string; prefixes: string[] }[] }>(tb,
      `subnetpools?name=${encodeURIComponent('kuryrPool-10.20.0.0/24')}`);
    assert.equal(subnetpools.length, 1);
    assert.equal(subnets[0]!.subnetpool_id, subnetpools[0]!.id);
    assert.ok(subnets[0]!.tags.includes(subnetpools[0]!.id), 'subnet tagged with its pool id');
  });

  test('two containers get Neutron ports bound to this host, with matching IP and MAC, and ping each other', async () => {
    for (const c of containers) {
      await docker(tb, ['run', '-d', '--name', c, '--net', net, tb.image, 'sleep', '600']);
    }
    const seen: { ip: string; mac: string }[] = [];
    for (const c of containers) {
      const inspect = JSON.parse((await docker(tb, ['inspect', c])).stdout) as
        { NetworkSettings: { Networks: Record<string, { EndpointID: string; IPAddress: string; MacAddress: string }> } }[];
      const ep = inspect[0]!.NetworkSettings.Networks[net]!;
      endpointIds.push(ep.EndpointID);
      const inside = (await inNetns(tb, c, ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(inside)?.[1];
      const addr = (await inNetns(tb, c, ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout;
      const ip = /inet ([0-9.]+)\/24/.exec(addr)?.[1];
      assert.ok(mac && ip, `eth0 of ${c} has a MAC and an IPv4 address: ${inside} ${addr}`);

      const { ports } = await neutronGet<{ ports: Port[] }>(tb,
        `ports?tags=kuryr.net.uuid.lh:${ep.EndpointID.slice(0, 32)},kuryr.net.uuid.uh:${ep.EndpointID.slice(32)}`);
      assert.equal(ports.length, 1, `exactly one port tagged for endpoint ${ep.EndpointID}`);
      const port = ports[0]!;
      portIds.push(port.id);
      assert.equal(port.network_id, neutronNetId);
      assert.equal(port.fixed_ips[0]!.ip_address, ip, 'container IP = Neutron port IP');
      assert.equal(port.mac_address, mac, 'container MAC = Neutron port MAC');
      assert.equal(port['binding:host_id'], tb.host);
      assert.equal(port['binding:vif_type'], 'bridge');
      assert.equal(port.device_owner, 'compute:kuryr');
      assert.equal(port.device_id, ep.EndpointID);
      assert.ok(port.tags.includes('compute:kuryr'));
      // the host end sits on the Linux bridge the linuxbridge agent would use
      const links = await hostLinks();
      const tap = links.find((l) => l.ifname === `tap${port.id.slice(0, 11)}`);
      assert.equal(tap?.master, `brq${neutronNetId.slice(0, 11)}`);
      seen.push({ ip: ip!, mac: mac! });
    }
    assert.notEqual(seen[0]!.ip, seen[1]!.ip);
    const ping = await inNetns(tb, containers[0]!, ['ping', '-c', '3', '-W', '2', seen[1]!.ip]);
    assert.match(ping.stdout, / 0% packet loss/);
  });

  test('docker rm -f and docker network rm leave no Neutron resource, veth or bridge behind', async () => {
    for (const c of containers) await docker(tb, ['rm', '-f', c]);
    for (const id of portIds) {
      const { ports } = await neutronGet<{ ports: Port[] }>(tb, `ports?id=${id}`);
      assert.equal(ports.length, 0, `port ${id} deleted after docker rm -f`);
    }
    await docker(tb, ['network', 'rm', net]);
    const { networks } = await neutronGet<{ networks: unknown[] }>(tb, `networks?id=${neutronNetId}`);
    assert.equal(networks.length, 0);
    const { subnets } = await neutronGet<{ subnets: unknown[] }>(tb, `subnets?network_id=${neutronNetId}`);
    assert.equal(subnets.length, 0);
    const { subnetpools } = await neutronGet<{ subnetpools: unknown[] }>(tb,
      `subnetpools?name=${encodeURIComponent('kuryrPool-10.20.0.0/24')}`);
    assert.equal(subnetpools.length, 0);
    const links = await hostLinks();
    for (const id of portIds) {
      assert.equal(links.find((l) => l.ifname.endsWith(id.slice(0, 11))), undefined, `no veth left for port ${id}`);
    }
    assert.equal(links.find((l) => l.ifname === `brq${neutronNetId.slice(0, 11)}`), undefined, 'bridge removed');
  });

  test('SIGTERM stops the plugin cleanly and removes its socket', async () => {
    assert.equal(await plugin.stop('SIGTERM'), 0);
    assert.equal(await stat(plugin.socket).catch(() => undefined), undefined);
  });
});
