// The ten upstream fullstack scenarios (kuryr_libnetwork/tests/fullstack), in our own words, against the real
// dockerd, the real Neutron and the plugin started from its CLI. Adapted to the testbed: there is no DHCP agent,
// so port counts leave DHCP ports out; containers start on a plain bridge network of their own and are
// connected to the kuryr networks with `docker network connect`, as upstream's start on Docker's default one.
// CIDRs of this file: 10.60.0.0/24 (bridge home), 10.61–10.71.x.0/24, fd61:62::/64, fd61:70::/64, fd61:72::/64.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, hostLinks, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';
import {
  Cleanup, create, deleteIfExists, dockerNetworkId, endpointOf, getNetworks, getPort, getPorts, getSubnets, idTags,
  ifaceIn, kuryrTags, networksForDocker, nonDhcpPorts, poolsNamed, portsForEndpoint, suffix, waitFor,
  type NeutronNet, type NeutronPort, type NeutronSubnet,
} from '../helpers/e2e.ts';
import { deleteNetworkDeep, sweepKuryrLeftovers } from '../helpers/e2e-sweep.ts';

describe('fullstack scenarios (upstream tests/fullstack, adapted)', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  const sfx = suffix();
  const cleanup = new Cleanup();
  const home = `fs-home-${sfx}`;
  const dockerNets: string[] = [];      // Docker network ids created with the plugin
  const cidrs: string[] = [];           // CIDRs whose kuryrPool-<cidr> this file may have caused

  /** docker network create with the plugin as network and IPAM driver; removed in after() */
  async function kuryrNetwork(name: string, args: string[], poolCidrs: string[]): Promise<string> {
    cidrs.push(...poolCidrs);
    cleanup.add(`docker network rm ${name}`, () => docker(tb, ['network', 'rm', name], { allowFail: true }));
    const id = (await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name, ...args, name])).stdout;
    assert.match(id, /^[0-9a-f]{64}$/);
    dockerNets.push(id);
    return id;
  }
  async function container(name: string, args: string[]): Promise<void> {
    cleanup.add(`docker rm -f ${name}`, () => docker(tb, ['rm', '-f', name], { allowFail: true }));
    await docker(tb, ['run', '-d', '--name', name, '--stop-timeout', '1', ...args, tb.image, 'sleep', '600']);
  }
  async function neutron<T>(kind: 'networks' | 'subnets' | 'ports', body: Record<string, unknown>): Promise<T & { id: string }> {
    const made = await create<T & { id: string }>(tb, kind, body);
    cleanup.add(`delete ${kind} ${made.id}`, () => (kind === 'networks' ? deleteNetworkDeep(tb, made.id) : deleteIfExists(tb, kind, made.id)));
    return made;
  }
  async function theNetwork(dockerId: string): Promise<NeutronNet> {
    const nets = await networksForDocker(tb, dockerId);
    assert.equal(nets.length, 1, `exactly one Neutron network tagged for Docker network ${dockerId}`);
    return nets[0]!;
  }

  before(async () => {
    tb = testbed();
    plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host });
    cleanup.add('stop plugin', async () => { await plugin.stop(); await cleanupPluginDir(plugin); });
    cleanup.add('sweep leftovers', () => sweepKuryrLeftovers(tb, dockerNets, cidrs));
    cleanup.add(`docker network rm ${home}`, () => docker(tb, ['network', 'rm', home], { allowFail: true }));
    await docker(tb, ['network', 'create', '-d', 'bridge', '--subnet', '10.60.0.0/24', home]);
  });

  after(async () => {
    const errors = await cleanup.run();
    if (errors.length > 0 && plugin) console.error((await plugin.logs().catch(() => '')).split('\n').slice(-40).join('\n'));
  });

  test('1. create and delete a network with --subnet, --ip-range and --gateway', async () => {
    const name = `fs-n1-${sfx}`;
    // --ip-range becomes the Neutron CIDR (the pool's SubPool), as upstream
    const id = await kuryrNetwork(name, ['--subnet', '10.61.0.0/16', '--ip-range', '10.61.0.0/24', '--gateway', '10.61.0.1'],
      ['10.61.0.0/24', '10.61.0.0/16']);
    const net = await theNetwork(id);
    assert.equal(net.name, `kuryr-net-${id.slice(0, 8)}`);
    for (const t of idTags(id)) assert.ok(net.tags.includes(t), `network tagged ${t}`);
    const subnets = await getSubnets(tb, `network_id=${net.id}`);
    assert.equal(subnets.length, 1);
    assert.equal(subnets[0]!.cidr, '10.61.0.0/24');
    assert.equal(subnets[0]!.name, 'kuryr-subnet-10.61.0.0/24');
    assert.equal(subnets[0]!.gateway_ip, '10.61.0.1');
    const pools = await poolsNamed(tb, 'kuryrPool-10.61.0.0/24');
    assert.equal(pools.length, 1);
    assert.deepEqual(pools[0]!.prefixes, ['10.61.0.0/24']);
    assert.equal(subnets[0]!.subnetpool_id, pools[0]!.id);

    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await networksForDocker(tb, id), []);
    assert.deepEqual(await getNetworks(tb, `id=${net.id}`), []);
    assert.deepEqual(await getSubnets(tb, `network_id=${net.id}`), []);
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.61.0.0/24'), []);
  });

  test('2. a dual-stack network is one Neutron network with a v4 and a v6 kuryr subnet, all removed with it', async () => {
    const name = `fs-n2-${sfx}`;
    const id = await kuryrNetwork(name, ['--ipv6', '--subnet', '10.62.0.0/24', '--gateway', '10.62.0.1',
      '--subnet', 'fd61:62::/64', '--gateway', 'fd61:62::1'], ['10.62.0.0/24', 'fd61:62::/64']);
    const net = await theNetwork(id);
    const subnets = await getSubnets(tb, `network_id=${net.id}`);
    assert.deepEqual(subnets.map((s) => [s.ip_version, s.cidr, s.name]).sort(), [
      [4, '10.62.0.0/24', 'kuryr-subnet-10.62.0.0/24'],
      [6, 'fd61:62::/64', 'kuryr-subnet-fd61:62::/64'],
    ]);
    assert.equal(subnets.find((s) => s.ip_version === 6)!.gateway_ip, 'fd61:62::1');
    for (const cidr of ['10.62.0.0/24', 'fd61:62::/64']) {
      assert.equal((await poolsNamed(tb, `kuryrPool-${cidr}`)).length, 1, `pool kuryrPool-${cidr}`);
    }

    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(tb, `id=${net.id}`), []);
    assert.deepEqual(await getSubnets(tb, `network_id=${net.id}`), []);
    for (const cidr of ['10.62.0.0/24', 'fd61:62::/64']) assert.deepEqual(await poolsNamed(tb, `kuryrPool-${cidr}`), []);
  });

  test('2b. a container on a dual-stack network gets one Neutron port holding its v4 and v6 address', async () => {
    const name = `fs-n2b-${sfx}`;
    const c = `fs-c2b-${sfx}`;
    const id = await kuryrNetwork(name, ['--ipv6', '--subnet', '10.72.0.0/24', '--gateway', '10.72.0.1',
      '--subnet', 'fd61:72::/64', '--gateway', 'fd61:72::1'], ['10.72.0.0/24', 'fd61:72::/64']);
    const net = await theNetwork(id);
    await container(c, ['--net', name]);
    const ep = await endpointOf(tb, c, name);
    const ports = await portsForEndpoint(tb, ep.EndpointID);
    assert.equal(ports.length, 1, 'one port for the endpoint');
    assert.equal((await nonDhcpPorts(tb, net.id)).length, 1, 'no per-family placeholder port left');
    const ips = ports[0]!.fixed_ips.map((f) => f.ip_address).sort();
    assert.deepEqual(ips, [ep.IPAddress, ep.GlobalIPv6Address].sort());
    const eth0 = await ifaceIn(tb, c, 'eth0');
    assert.deepEqual(eth0.v4, [ep.IPAddress]);
    assert.deepEqual(eth0.v6, [ep.GlobalIPv6Address]);
    assert.equal(eth0.mac, ports[0]!.mac_address);
    await docker(tb, ['rm', '-f', c]);
    assert.deepEqual(await nonDhcpPorts(tb, net.id), []);
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(tb, `id=${net.id}`), []);
  });

  test('3. a network with the default bridge driver leaves Neutron untouched', async () => {
    const name = `fs-br-${sfx}`;
    cleanup.add(`docker network rm ${name}`, () => docker(tb, ['network', 'rm', name], { allowFail: true }));
    const id = (await docker(tb, ['network', 'create', '--subnet', '10.64.0.0/24', name])).stdout;
    const ls = (await docker(tb, ['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).stdout.split('\n');
    assert.ok(ls.includes(`${name} bridge`), `docker network ls lists ${name}: ${ls.join(', ')}`);
    assert.deepEqual(await networksForDocker(tb, id), []);
    assert.deepEqual(await getNetworks(tb, `name=kuryr-net-${id.slice(0, 8)}`), []);
    // (other files' Neutron-only tests may use any CIDR, so look for what the plugin would have named)
    assert.deepEqual(await getSubnets(tb, `name=${encodeURIComponent('kuryr-subnet-10.64.0.0/24')}`), []);
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.64.0.0/24'), []);
    await docker(tb, ['network', 'rm', name]);
  });

  test('4. connect and disconnect a running container: one port on the network, then none', async () => {
    const name = `fs-n4-${sfx}`;
    const c = `fs-c4-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.65.0.0/24', '--gateway', '10.65.0.1'], ['10.65.0.0/24']);
    const net = await theNetwork(id);
    await container(c, ['--net', home]);
    assert.deepEqual(await nonDhcpPorts(tb, net.id), []);

    await docker(tb, ['network', 'connect', name, c]);
    const ports = await nonDhcpPorts(tb, net.id);
    assert.equal(ports.length, 1);
    const ep = await endpointOf(tb, c, name);
    const eth1 = await ifaceIn(tb, c, 'eth1');
    assert.deepEqual(eth1.v4, [ports[0]!.fixed_ips[0]!.ip_address]);
    assert.equal(eth1.v4[0], ep.IPAddress);
    assert.equal(eth1.mac, ports[0]!.mac_address);

    await docker(tb, ['network', 'disconnect', name, c]);
    assert.deepEqual(await nonDhcpPorts(tb, net.id), []);
    const left = await inNetns(tb, c, ['ip', 'link', 'show', 'eth1'], { allowFail: true });
    assert.notEqual(left.code, 0, 'eth1 is gone from the container');
    await docker(tb, ['network', 'rm', name]);
  });

  test('5. the IPAM pool kuryrPool-<cidr> exists while the network does and is gone after it', async () => {
    const name = `fs-n5-${sfx}`;
    const c = `fs-c5-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.66.0.0/24', '--gateway', '10.66.0.1'], ['10.66.0.0/24']);
    const pools = await poolsNamed(tb, 'kuryrPool-10.66.0.0/24');
    assert.equal(pools.length, 1);
    assert.deepEqual(pools[0]!.prefixes, ['10.66.0.0/24']);
    const net = await theNetwork(id);
    const subnets = await getSubnets(tb, `network_id=${net.id}`);
    assert.equal(subnets[0]?.subnetpool_id, pools[0]!.id);
    await container(c, ['--net', home]);
    await docker(tb, ['network', 'connect', name, c]);
    await docker(tb, ['network', 'disconnect', name, c]);
    assert.equal((await poolsNamed(tb, 'kuryrPool-10.66.0.0/24')).length, 1, 'pool kept while the network exists');
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.66.0.0/24'), []);
    assert.deepEqual(await getPorts(tb, `network_id=${net.id}`), []);
  });

  test('6. requesting an address makes exactly one kuryr port, tagged compute:kuryr and bound here', async () => {
    const name = `fs-n6-${sfx}`;
    const c = `fs-c6-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.67.0.0/24', '--gateway', '10.67.0.1'], ['10.67.0.0/24']);
    assert.equal((await poolsNamed(tb, 'kuryrPool-10.67.0.0/24')).length, 1);
    const net = await theNetwork(id);
    assert.equal((await getSubnets(tb, `network_id=${net.id}&cidr=${encodeURIComponent('10.67.0.0/24')}`)).length, 1);
    await container(c, ['--net', home]);
    await docker(tb, ['network', 'connect', name, c]);
    const ep = await endpointOf(tb, c, name);
    const ports = await nonDhcpPorts(tb, net.id);
    assert.equal(ports.length, 1, 'exactly one port');
    const port = ports[0]!;
    assert.ok(port.tags.includes('compute:kuryr'), `tags ${port.tags.join(',')}`);
    assert.equal(port.device_owner, 'compute:kuryr');
    assert.equal(port.device_id, ep.EndpointID);
    for (const t of idTags(ep.EndpointID)) assert.ok(port.tags.includes(t), `port tagged ${t}`);
    assert.equal(port['binding:host_id'], tb.host);
    assert.equal(port.fixed_ips[0]!.ip_address, ep.IPAddress);
    await waitFor('port ACTIVE', async () => (await getPort(tb, port.id))?.status === 'ACTIVE', 10_000);
    await docker(tb, ['network', 'disconnect', name, c]);
    await docker(tb, ['network', 'rm', name]);
  });

  test('7. releasing the address deletes the kuryr port on disconnect', async () => {
    const name = `fs-n7-${sfx}`;
    const c = `fs-c7-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.68.0.0/24', '--gateway', '10.68.0.1'], ['10.68.0.0/24']);
    const net = await theNetwork(id);
    await container(c, ['--net', home]);
    await docker(tb, ['network', 'connect', name, c]);
    const ports = await nonDhcpPorts(tb, net.id);
    assert.equal(ports.length, 1);
    const links = await hostLinks();
    assert.ok(links.some((l) => l.ifname === `tap${ports[0]!.id.slice(0, 11)}`), 'host veth end exists while connected');
    await docker(tb, ['network', 'disconnect', name, c]);
    assert.equal(await getPort(tb, ports[0]!.id), undefined, 'port deleted');
    assert.deepEqual(await nonDhcpPorts(tb, net.id), []);
    assert.ok(!(await hostLinks()).some((l) => l.ifname === `tap${ports[0]!.id.slice(0, 11)}`), 'host veth end removed');
    await docker(tb, ['network', 'rm', name]);
  });

  test('8. release with an existing network: our port goes, the network and its subnet stay and lose our tags', async () => {
    const netName = `fs-exist-${sfx}`;
    const preNet = await neutron<NeutronNet>('networks', { name: netName, admin_state_up: true });
    const preSub = await neutron<NeutronSubnet>('subnets', { name: `${netName}-sub`, network_id: preNet.id, ip_version: 4,
      cidr: '10.69.0.0/24', gateway_ip: '10.69.0.1', enable_dhcp: false });
    const name = `fs-n8-${sfx}`;
    const c = `fs-c8-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.69.0.0/24', '--gateway', '10.69.0.1', '-o', `neutron.net.name=${netName}`],
      ['10.69.0.0/24']);
    const adopted = await theNetwork(id);
    assert.equal(adopted.id, preNet.id, 'the pre-created network is used');
    assert.ok(adopted.tags.includes(`kuryr.net.existing:${id.slice(0, 12)}`), `tags ${adopted.tags.join(',')}`);
    const pools = await poolsNamed(tb, 'kuryrPool-10.69.0.0/24');
    assert.equal(pools.length, 1);
    const poolId = pools[0]!.id;
    const subs = await getSubnets(tb, `network_id=${preNet.id}`);
    assert.deepEqual(subs.map((s) => s.id), [preSub.id], 'no second subnet: the pre-created one is used');
    assert.ok(subs[0]!.tags.includes(poolId), 'pre-created subnet tagged with the pool id');

    await container(c, ['--net', home]);
    await docker(tb, ['network', 'connect', name, c]);
    const ports = await nonDhcpPorts(tb, preNet.id);
    assert.equal(ports.length, 1);
    assert.equal(ports[0]!.fixed_ips[0]!.subnet_id, preSub.id);
    assert.equal((await endpointOf(tb, c, name)).IPAddress, ports[0]!.fixed_ips[0]!.ip_address);
    await docker(tb, ['network', 'disconnect', name, c]);
    assert.deepEqual(await nonDhcpPorts(tb, preNet.id), []);

    await docker(tb, ['network', 'rm', name]);
    const [netAfter] = await getNetworks(tb, `id=${preNet.id}`);
    assert.ok(netAfter, 'the pre-created network is kept');
    assert.deepEqual(kuryrTags(netAfter.tags), [], `network tags after removal: ${netAfter.tags.join(',')}`);
    const [subAfter] = await getSubnets(tb, `id=${preSub.id}`);
    assert.ok(subAfter, 'the pre-created subnet is kept');
    assert.ok(!subAfter.tags.includes(poolId), `subnet tags after removal: ${subAfter.tags.join(',')}`);
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.69.0.0/24'), []);
  });

  test('9. an existing dual-stack port is adopted whole, and handed back untagged, unbound, with its MAC', async () => {
    const netName = `fs-dual-${sfx}`;
    const preNet = await neutron<NeutronNet>('networks', { name: netName, admin_state_up: true });
    const v4 = await neutron<NeutronSubnet>('subnets', { name: `${netName}-v4`, network_id: preNet.id, ip_version: 4,
      cidr: '10.70.0.0/24', gateway_ip: '10.70.0.1', enable_dhcp: false });
    const v6 = await neutron<NeutronSubnet>('subnets', { name: `${netName}-v6`, network_id: preNet.id, ip_version: 6,
      cidr: 'fd61:70::/64', gateway_ip: 'fd61:70::1', enable_dhcp: false });
    const prePort = await neutron<NeutronPort>('ports', { name: `${netName}-port`, network_id: preNet.id,
      fixed_ips: [{ subnet_id: v4.id, ip_address: '10.70.0.10' }, { subnet_id: v6.id, ip_address: 'fd61:70::10' }] });
    const name = `fs-n9-${sfx}`;
    const c = `fs-c9-${sfx}`;
    await kuryrNetwork(name, ['--ipv6', '--subnet', '10.70.0.0/24', '--gateway', '10.70.0.1', '--subnet', 'fd61:70::/64',
      '--gateway', 'fd61:70::1', '-o', `neutron.net.uuid=${preNet.id}`], ['10.70.0.0/24', 'fd61:70::/64']);
    assert.deepEqual((await getSubnets(tb, `network_id=${preNet.id}`)).map((s) => s.id).sort(), [v4.id, v6.id].sort());

    const run = await docker(tb, ['run', '-d', '--name', c, '--stop-timeout', '1', '--net', name, '--ip', '10.70.0.10',
      '--ip6', 'fd61:70::10', tb.image, 'sleep', '600'], { allowFail: true });
    cleanup.add(`docker rm -f ${c}`, () => docker(tb, ['rm', '-f', c], { allowFail: true }));
    assert.equal(run.code, 0, `docker run: ${run.stderr}`);
    const ports = await nonDhcpPorts(tb, preNet.id);
    assert.deepEqual(ports.map((p) => p.id), [prePort.id], 'still exactly the pre-created port');
    const port = ports[0]!;
    assert.ok(port.tags.includes('kuryr.port.existing'), `tags ${port.tags.join(',')}`);
    assert.equal(port['binding:host_id'], tb.host);
    assert.equal(port.mac_address, prePort.mac_address, 'the port keeps its MAC');
    const eth0 = await ifaceIn(tb, c, 'eth0');
    assert.deepEqual(eth0.v4, ['10.70.0.10']);
    assert.deepEqual(eth0.v6, ['fd61:70::10']);
    assert.equal(eth0.mac, prePort.mac_address, 'the container gets the port MAC');

    await docker(tb, ['rm', '-f', c]);
    const after = await getPort(tb, prePort.id);
    assert.ok(after, 'the pre-created port is kept');
    assert.deepEqual(kuryrTags(after.tags), [], `tags after removal: ${after.tags.join(',')}`);
    assert.equal(after['binding:host_id'], '');
    assert.equal(after.device_owner, '');
    assert.equal(after.mac_address, prePort.mac_address);
    assert.deepEqual(after.fixed_ips.map((f) => f.ip_address).sort(), ['10.70.0.10', 'fd61:70::10']);
    await docker(tb, ['network', 'rm', name]);
  });

  test('10. the same IP on two networks: each container adopts the port of its own network', async () => {
    const nets: { net: NeutronNet; sub: NeutronSubnet; port: NeutronPort; docker: string; c: string }[] = [];
    for (const x of ['a', 'b']) {
      const netName = `fs-same-${x}-${sfx}`;
      const net = await neutron<NeutronNet>('networks', { name: netName, admin_state_up: true });
      const sub = await neutron<NeutronSubnet>('subnets', { name: `${netName}-sub`, network_id: net.id, ip_version: 4,
        cidr: '10.71.0.0/24', gateway_ip: '10.71.0.1', enable_dhcp: false });
      const port = await neutron<NeutronPort>('ports', { name: `${netName}-port`, network_id: net.id,
        fixed_ips: [{ subnet_id: sub.id, ip_address: '10.71.0.10' }] });
      const dockerName = `fs-n10${x}-${sfx}`;
      await kuryrNetwork(dockerName, ['--subnet', '10.71.0.0/24', '--gateway', '10.71.0.1',
        '-o', `neutron.net.name=${netName}`, '-o', `neutron.subnet.name=${netName}-sub`,
        '--ipam-opt', `neutron.subnet.name=${netName}-sub`], ['10.71.0.0/24']);
      nets.push({ net, sub, port, docker: dockerName, c: `fs-c10${x}-${sfx}` });
    }
    for (const n of nets) {
      await container(n.c, ['--net', n.docker, '--ip', '10.71.0.10']);
      const ep = await endpointOf(tb, n.c, n.docker);
      const eps = await portsForEndpoint(tb, ep.EndpointID);
      assert.deepEqual(eps.map((p) => p.id), [n.port.id], `container ${n.c} adopted the port of its own network`);
      assert.deepEqual(await nonDhcpPorts(tb, n.net.id).then((ps) => ps.map((p) => p.id)), [n.port.id]);
      assert.equal((await ifaceIn(tb, n.c, 'eth0')).mac, n.port.mac_address);
    }
    for (const n of nets) {
      await waitFor(`port ${n.port.id} ACTIVE`, async () => (await getPort(tb, n.port.id))?.status === 'ACTIVE', 30_000);
    }
    const [a, b] = nets as [typeof nets[0], typeof nets[0]];
    await docker(tb, ['rm', '-f', a.c]);
    const pa = await getPort(tb, a.port.id);
    assert.ok(pa, 'first port kept');
    assert.equal(pa['binding:host_id'], '', 'first port unbound');
    assert.deepEqual(kuryrTags(pa.tags), []);
    await waitFor(`first port ${a.port.id} DOWN`, async () => (await getPort(tb, a.port.id))?.status === 'DOWN', 10_000);
    const pb = await getPort(tb, b.port.id);
    assert.equal(pb?.['binding:host_id'], tb.host, 'second port still bound');
    assert.equal(pb?.status, 'ACTIVE', 'second port still ACTIVE');
    assert.ok(pb?.tags.includes('kuryr.port.existing'));
    await docker(tb, ['rm', '-f', b.c]);
    const pb2 = await getPort(tb, b.port.id);
    assert.equal(pb2?.['binding:host_id'], '', 'second port unbound');
    assert.deepEqual(kuryrTags(pb2?.tags ?? ['missing']), []);
    for (const n of nets) await docker(tb, ['network', 'rm', n.docker]);
    for (const n of nets) {
      const [net] = await getNetworks(tb, `id=${n.net.id}`);
      assert.deepEqual(kuryrTags(net?.tags ?? ['missing']), [], 'pre-created network kept and untagged');
      assert.equal((await getSubnets(tb, `id=${n.sub.id}`)).length, 1, 'pre-created subnet kept');
    }
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.71.0.0/24'), []);
  });
});
