// A dockerd restart with a kuryr network, a running container (--restart=always) and a stopped one. The shared
// testbed dockerd must never be restarted, so this file runs its own private dockerd (same flags, its own
// data-root/exec-root/socket under a temp dir), stops it with SIGTERM and starts it again. dockerd does not
// replay CreateNetwork and the plugin keeps no local state: everything must be found again through Neutron.
// CIDR of this file: 10.79.0.0/24.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, hostLinks, testbed, type Testbed } from '../helpers/testbed.ts';
import {
  Cleanup, endpointOf, getNetworks, getPort, getSubnets, ifaceIn, networksForDocker, nonDhcpPorts, ping, poolsNamed,
  portsForEndpoint, suffix, waitFor, type NeutronNet,
} from '../helpers/e2e.ts';
import { sweepKuryrLeftovers } from '../helpers/e2e-sweep.ts';
import { copyImage, startPrivateDockerd, type PrivateDockerd } from '../helpers/private-dockerd.ts';

const CIDR = '10.79.0.0/24';
// PID 1 that exits at once on SIGTERM, so stopping dockerd does not wait the stop timeout for it
const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'];

describe('dockerd restart (private dockerd) with a kuryr network and a running and a stopped container', () => {
  let shared: Testbed;
  let tb: Testbed;
  let dd: PrivateDockerd;
  let plugin: PluginProcess;
  const sfx = suffix();
  const cleanup = new Cleanup();
  const dockerNets: string[] = [];
  const name = `ddr-net-${sfx}`;
  const always = `ddr-always-${sfx}`;
  const stopped = `ddr-stopped-${sfx}`;
  const fresh = [`ddr-new1-${sfx}`, `ddr-new2-${sfx}`];
  let dockerId = '';
  let net: NeutronNet;
  const before1: { always?: string; stopped?: string } = {};

  before(async () => {
    shared = testbed();
    plugin = await startPlugin({ neutronUrl: shared.neutronUrl, host: shared.host });
    cleanup.add('stop plugin', async () => { await plugin.stop(); await cleanupPluginDir(plugin); });
    cleanup.add('sweep leftovers', () => sweepKuryrLeftovers(shared, dockerNets, [CIDR]));
    dd = await startPrivateDockerd(shared, { name: `kuryr-ddr-${sfx}` });
    tb = dd.tb;
    cleanup.add('dispose private dockerd', async () => {
      // containers and the network first, while the plugin still answers, so dockerd releases everything
      await docker(tb, ['rm', '-f', always, stopped, ...fresh], { allowFail: true });
      await docker(tb, ['network', 'rm', name], { allowFail: true });
      await dd.dispose();
    });
    await copyImage(shared, tb, shared.image);
  });

  after(async () => {
    const errors = await cleanup.run();
    if (errors.length > 0) console.error(errors.join('\n'));
  });

  test('a network and two containers on the private dockerd', async () => {
    dockerId = (await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', CIDR, '--gateway', '10.79.0.1', name])).stdout;
    dockerNets.push(dockerId);
    const nets = await networksForDocker(shared, dockerId);
    assert.equal(nets.length, 1);
    net = nets[0]!;
    await docker(tb, ['run', '-d', '--name', always, '--restart=always', '--stop-timeout', '2', '--net', name, tb.image, ...LOOP]);
    await docker(tb, ['run', '-d', '--name', stopped, '--stop-timeout', '2', '--net', name, tb.image, ...LOOP]);
    for (const c of [always, stopped]) {
      const ep = await endpointOf(tb, c, name);
      const ports = await portsForEndpoint(shared, ep.EndpointID);
      assert.equal(ports.length, 1, `one port for ${c}`);
      assert.equal(ports[0]!['binding:host_id'], shared.host);
      if (c === always) before1.always = ports[0]!.id; else before1.stopped = ports[0]!.id;
    }
    const ip = (await endpointOf(tb, stopped, name)).IPAddress;
    assert.match(await ping(tb, always, ip), / 0% packet loss/);
    await docker(tb, ['stop', stopped]);
    assert.equal(await getPort(shared, before1.stopped!), undefined, 'a stopped container releases its port');
    assert.equal((await nonDhcpPorts(shared, net.id)).length, 1);
  });

  test('stopping dockerd releases the running container\'s port; the Neutron network stays', async () => {
    assert.ok(net, 'previous step created the network');
    await dd.stop();
    await waitFor('the running container\'s port released', async () => (await getPort(shared, before1.always!)) === undefined, 10_000);
    assert.deepEqual(await nonDhcpPorts(shared, net.id), []);
    assert.equal((await getNetworks(shared, `id=${net.id}`)).length, 1, 'Docker network still exists, so does the Neutron one');
    assert.equal((await getSubnets(shared, `network_id=${net.id}`)).length, 1);
    assert.equal((await poolsNamed(shared, `kuryrPool-${CIDR}`)).length, 1);
    const links = await hostLinks();
    assert.equal(links.find((l) => l.ifname === `tap${before1.always!.slice(0, 11)}`), undefined, 'host veth end removed');
  });

  test('after dockerd starts again: the --restart=always container is back on a new bound port, the stopped one starts, new containers reach both', async () => {
    assert.ok(net, 'previous step created the network');
    await dd.start();
    const ep = await waitFor(`${always} running again with an address`, async () => {
      const state = (await docker(tb, ['inspect', '-f', '{{.State.Running}}', always], { allowFail: true })).stdout;
      if (state !== 'true') return undefined;
      const e = await endpointOf(tb, always, name);
      return e.IPAddress !== '' ? e : undefined;
    }, 30_000);
    const ports = await portsForEndpoint(shared, ep.EndpointID);
    assert.equal(ports.length, 1, 'the restarted container has a port tagged with its new endpoint');
    assert.equal(ports[0]!['binding:host_id'], shared.host);
    assert.notEqual(ports[0]!.id, before1.always, 'a new port (the old one was released at shutdown)');
    assert.equal((await ifaceIn(tb, always, 'eth0')).mac, ports[0]!.mac_address);

    await docker(tb, ['start', stopped]);
    const stoppedIp = (await endpointOf(tb, stopped, name)).IPAddress;
    for (const c of fresh) await docker(tb, ['run', '-d', '--name', c, '--stop-timeout', '2', '--net', name, tb.image, ...LOOP]);
    const freshIps = await Promise.all(fresh.map(async (c) => (await endpointOf(tb, c, name)).IPAddress));
    assert.match(await ping(tb, fresh[0]!, ep.IPAddress), / 0% packet loss/, 'new container reaches the restarted one');
    assert.match(await ping(tb, fresh[0]!, freshIps[1]!), / 0% packet loss/, 'two new containers reach each other');
    assert.match(await ping(tb, always, stoppedIp), / 0% packet loss/, 'the restarted container reaches the re-started one');
    assert.equal((await nonDhcpPorts(shared, net.id)).length, 4, 'one port per container, nothing stale');
  });

  test('docker rm -f and docker network rm on the private dockerd leave nothing in Neutron or on the host', async () => {
    assert.ok(net, 'previous step created the network');
    const portIds = (await nonDhcpPorts(shared, net.id)).map((p) => p.id);
    await docker(tb, ['rm', '-f', always, stopped, ...fresh]);
    assert.deepEqual(await nonDhcpPorts(shared, net.id), []);
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(shared, `id=${net.id}`), []);
    assert.deepEqual(await getSubnets(shared, `network_id=${net.id}`), []);
    assert.deepEqual(await poolsNamed(shared, `kuryrPool-${CIDR}`), []);
    const links = await hostLinks();
    for (const id of portIds) assert.equal(links.find((l) => l.ifname.endsWith(id.slice(0, 11))), undefined, `no veth for ${id}`);
    assert.equal(links.find((l) => l.ifname === `brq${net.id.slice(0, 11)}`), undefined, 'bridge removed');
  });
});
