// Drop-in parity with the Python kuryr-libnetwork, end to end (real dockerd + real Neutron + `kuryr serve`):
// a plugin restart under running containers, --mac-address, refusing ports that belong to someone else, networks
// carved from the operator's default subnetpool, and taking over Neutron state left by the Python plugin.
// CIDRs of this file: 10.73–10.76.0.0/24, 10.78.0.0/24, and /24s of the default subnetpool `kuryr`
// (10.77.0.0/16 when this file creates it).
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, hostLinks, neutronSend, testbed, type Testbed } from '../helpers/testbed.ts';
import {
  Cleanup, addTag, create, deleteIfExists, endpointOf, getNetworks, getPort, getPools, getSubnets, idTags, ifaceIn,
  kuryrTags, networksForDocker, nonDhcpPorts, ping, poolsNamed, portsForEndpoint, suffix,
  type NeutronNet, type NeutronPool, type NeutronPort, type NeutronSubnet,
} from '../helpers/e2e.ts';
import { deleteNetworkDeep, sweepKuryrLeftovers } from '../helpers/e2e-sweep.ts';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/') as [string, string];
  const mask = Number(len) === 0 ? 0 : (~0 << (32 - Number(len))) >>> 0;
  return ((ipv4ToInt(ip) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

describe('drop-in parity with the Python plugin', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  const plugins: PluginProcess[] = [];
  const sfx = suffix();
  const cleanup = new Cleanup();
  const dockerNets: string[] = [];
  const cidrs: string[] = [];
  let otherHost = '';

  async function startOurPlugin(name?: string): Promise<PluginProcess> {
    const p = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host, ...(name === undefined ? {} : { name }) });
    plugins.push(p);
    return p;
  }
  async function kuryrNetwork(name: string, args: string[], poolCidrs: string[]): Promise<string> {
    cidrs.push(...poolCidrs);
    cleanup.add(`docker network rm ${name}`, () => docker(tb, ['network', 'rm', name], { allowFail: true }));
    const id = (await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name, ...args, name])).stdout;
    assert.match(id, /^[0-9a-f]{64}$/);
    dockerNets.push(id);
    return id;
  }
  function removeLater(c: string): void {
    cleanup.add(`docker rm -f ${c}`, () => docker(tb, ['rm', '-f', c], { allowFail: true }));
  }
  async function container(name: string, args: string[]): Promise<void> {
    removeLater(name);
    await docker(tb, ['run', '-d', '--name', name, '--stop-timeout', '1', ...args, tb.image, 'sleep', '600']);
  }
  async function neutron<T>(kind: 'networks' | 'subnets' | 'ports' | 'subnetpools', body: Record<string, unknown>): Promise<T & { id: string }> {
    const made = await create<T & { id: string }>(tb, kind, body);
    cleanup.add(`delete ${kind} ${made.id}`, () => (kind === 'networks' ? deleteNetworkDeep(tb, made.id) : deleteIfExists(tb, kind, made.id)));
    return made;
  }
  async function theNetwork(dockerId: string): Promise<NeutronNet> {
    const nets = await networksForDocker(tb, dockerId);
    assert.equal(nets.length, 1, `exactly one Neutron network tagged for Docker network ${dockerId}`);
    return nets[0]!;
  }
  async function theSubnet(networkId: string): Promise<NeutronSubnet> {
    const subs = await getSubnets(tb, `network_id=${networkId}`);
    assert.equal(subs.length, 1);
    return subs[0]!;
  }

  before(async () => {
    tb = testbed();
    otherHost = (process.env['KURYR_TEST_OTHER_HOSTS'] ?? 'kuryr-test-other').split(/[ ,]+/).filter(Boolean)[0]!;
    plugin = await startOurPlugin();
    cleanup.add('stop plugins', async () => {
      for (const p of plugins) { await p.stop(); await cleanupPluginDir(p); }
    });
    cleanup.add('sweep leftovers', () => sweepKuryrLeftovers(tb, dockerNets, cidrs));
  });

  after(async () => {
    const errors = await cleanup.run();
    if (errors.length > 0) console.error(errors.join('\n'));
  });

  test('(a) a plugin restart under running containers: data path, docker rm and network rm still work', async () => {
    const name = `par-a-${sfx}`;
    const cs = [`par-a1-${sfx}`, `par-a2-${sfx}`];
    const id = await kuryrNetwork(name, ['--subnet', '10.73.0.0/24', '--gateway', '10.73.0.1'], ['10.73.0.0/24']);
    const net = await theNetwork(id);
    const portIds: string[] = [];
    const ips: string[] = [];
    for (const c of cs) {
      await container(c, ['--net', name]);
      const ep = await endpointOf(tb, c, name);
      const ports = await portsForEndpoint(tb, ep.EndpointID);
      assert.equal(ports.length, 1);
      portIds.push(ports[0]!.id);
      ips.push(ep.IPAddress);
    }
    assert.match(await ping(tb, cs[0]!, ips[1]!), / 0% packet loss/);

    const old = plugin;
    assert.equal(await old.stop('SIGTERM'), 0, 'the old plugin exits 0 on SIGTERM');
    assert.equal(await stat(old.socket).catch(() => undefined), undefined, 'socket removed');
    plugin = await startOurPlugin(old.name);
    assert.equal(plugin.socket, old.socket, 'the new process serves the same socket');

    assert.match(await ping(tb, cs[0]!, ips[1]!), / 0% packet loss/, 'containers still reach each other');
    assert.match(await ping(tb, cs[1]!, ips[0]!), / 0% packet loss/);
    for (const c of cs) await docker(tb, ['rm', '-f', c]);
    for (const pid of portIds) assert.equal(await getPort(tb, pid), undefined, `port ${pid} deleted`);
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(tb, `id=${net.id}`), []);
    assert.deepEqual(await getSubnets(tb, `network_id=${net.id}`), []);
    assert.deepEqual(await poolsNamed(tb, 'kuryrPool-10.73.0.0/24'), []);
    const links = await hostLinks();
    for (const pid of portIds) {
      assert.equal(links.find((l) => l.ifname.endsWith(pid.slice(0, 11))), undefined, `no veth left for port ${pid}`);
    }
    assert.equal(links.find((l) => l.ifname === `brq${net.id.slice(0, 11)}`), undefined, 'no brq bridge left');
  });

  test('(b) --mac-address: the container and the Neutron port both get that MAC', async () => {
    const name = `par-b-${sfx}`;
    const c = `par-b1-${sfx}`;
    const mac = '02:42:ac:11:00:99';
    const id = await kuryrNetwork(name, ['--subnet', '10.74.0.0/24', '--gateway', '10.74.0.1'], ['10.74.0.0/24']);
    const net = await theNetwork(id);
    await container(c, ['--net', name, '--mac-address', mac]);
    const eth0 = await ifaceIn(tb, c, 'eth0');
    assert.equal(eth0.mac, mac);
    const ep = await endpointOf(tb, c, name);
    const ports = await portsForEndpoint(tb, ep.EndpointID);
    assert.equal(ports.length, 1);
    assert.equal(ports[0]!.mac_address, mac);
    assert.deepEqual(eth0.v4, [ports[0]!.fixed_ips[0]!.ip_address]);
    assert.equal((await nonDhcpPorts(tb, net.id)).length, 1);
    await docker(tb, ['rm', '-f', c]);
    assert.deepEqual(await nonDhcpPorts(tb, net.id), []);
    await docker(tb, ['network', 'rm', name]);
  });

  test('(c) a port bound to another host, or owned by a VM, is refused and left untouched', async () => {
    const name = `par-c-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.75.0.0/24', '--gateway', '10.75.0.1'], ['10.75.0.0/24']);
    const net = await theNetwork(id);
    const sub = await theSubnet(net.id);
    const foreign = [
      { ip: '10.75.0.20', body: { 'binding:host_id': otherHost }, expect: new RegExp(otherHost) },
      { ip: '10.75.0.21', body: { device_owner: 'compute:nova', device_id: 'vm-1' }, expect: /compute:nova/ },
    ];
    for (const f of foreign) {
      const port = await neutron<NeutronPort>('ports', { name: `par-c-foreign-${f.ip}`, network_id: net.id,
        fixed_ips: [{ subnet_id: sub.id, ip_address: f.ip }], ...f.body });
      const before = (await getPort(tb, port.id))!;
      const c = `par-c-${f.ip.split('.')[3]}-${sfx}`;
      removeLater(c);
      const run = await docker(tb, ['run', '-d', '--name', c, '--net', name, '--ip', f.ip, tb.image, 'sleep', '600'], { allowFail: true });
      assert.notEqual(run.code, 0, `docker run --ip ${f.ip} must fail`);
      assert.match(run.stderr, f.expect);
      const afterRun = (await getPort(tb, port.id))!;
      assert.ok(afterRun, 'the port still exists');
      assert.equal(afterRun['binding:host_id'], before['binding:host_id']);
      assert.equal(afterRun.device_owner, before.device_owner);
      assert.equal(afterRun.device_id, before.device_id);
      assert.equal(afterRun.mac_address, before.mac_address);
      assert.deepEqual(kuryrTags(afterRun.tags), [], `no kuryr tags: ${afterRun.tags.join(',')}`);
      if (f.body['binding:host_id'] !== undefined) assert.equal(afterRun['binding:host_id'], otherHost, 'still bound there');
      await docker(tb, ['rm', '-f', c], { allowFail: true });
      await deleteIfExists(tb, 'ports', port.id);
    }
    assert.deepEqual(await nonDhcpPorts(tb, net.id), [], 'no port of ours left from the refused runs');
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(tb, `id=${net.id}`), []);
  });

  test('(d) without --subnet a network gets its own /N of the default subnetpool `kuryr`, which is kept', async () => {
    let pool: NeutronPool | undefined = (await poolsNamed(tb, 'kuryr'))[0];
    if (pool === undefined) {
      const made = await create<NeutronPool>(tb, 'subnetpools', { name: 'kuryr', prefixes: ['10.77.0.0/16'], default_prefixlen: 24 });
      cleanup.add('delete the default subnetpool this file created', async () => {
        if ((await getSubnets(tb, `subnetpool_id=${made.id}`)).length === 0) await deleteIfExists(tb, 'subnetpools', made.id);
      });
      const all = await poolsNamed(tb, 'kuryr');
      if (all.length > 1) {
        // another file created one at the same moment: use theirs
        await deleteIfExists(tb, 'subnetpools', made.id);
      }
      pool = (await poolsNamed(tb, 'kuryr'))[0]!;
    }
    const len = Number(pool.default_prefixlen);
    const prefixes = pool.prefixes.filter((p) => !p.includes(':'));
    const nets: { name: string; c: string; net: NeutronNet; sub: NeutronSubnet }[] = [];
    for (const x of ['1', '2']) {
      const name = `par-d${x}-${sfx}`;
      const c = `par-d${x}c-${sfx}`;
      const id = await kuryrNetwork(name, [], []);
      const net = await theNetwork(id);
      const sub = await theSubnet(net.id);
      assert.equal(sub.subnetpool_id, pool.id, 'subnet allocated from the default pool');
      assert.equal(Number(sub.cidr.split('/')[1]), len, `subnet ${sub.cidr} has the default prefix length`);
      assert.ok(prefixes.some((p) => inCidr(sub.cidr.split('/')[0]!, p)), `subnet ${sub.cidr} lies in ${prefixes.join(',')}`);
      await container(c, ['--net', name]);
      const ip = (await ifaceIn(tb, c, 'eth0')).v4[0];
      assert.ok(ip !== undefined && inCidr(ip, sub.cidr), `container address ${ip} in ${sub.cidr}`);
      const ports = await nonDhcpPorts(tb, net.id);
      assert.deepEqual(ports.map((p) => p.fixed_ips[0]!.ip_address), [ip]);
      nets.push({ name, c, net, sub });
    }
    assert.notEqual(nets[0]!.sub.cidr, nets[1]!.sub.cidr, 'the two networks get different subnets');
    for (const n of nets) {
      await docker(tb, ['rm', '-f', n.c]);
      await docker(tb, ['network', 'rm', n.name]);
      assert.deepEqual(await getSubnets(tb, `id=${n.sub.id}`), [], `subnet ${n.sub.cidr} deleted`);
      assert.deepEqual(await getNetworks(tb, `id=${n.net.id}`), []);
    }
    assert.equal((await getPools(tb, `id=${pool.id}`)).length, 1, 'the default subnetpool `kuryr` is kept');
  });

  test('(e) Neutron state left by the Python plugin is taken over: run, rm and network rm clean it all up', async () => {
    const cidr = '10.76.0.0/24';
    const name = `par-e-${sfx}`;
    const c = `par-e1-${sfx}`;
    // The Python plugin's RequestPool: subnetpool kuryrPool-<cidr>. Made by hand before `docker network create`, so
    // the PoolID dockerd keeps is this pool's (a subnetpool cannot be re-created with the same id).
    const pool = await create<NeutronPool>(tb, 'subnetpools', { name: `kuryrPool-${cidr}`, prefixes: [cidr], default_prefixlen: 24, shared: false });
    cidrs.push(cidr);
    const id = await kuryrNetwork(name, ['--subnet', cidr, '--gateway', '10.76.0.1'], [cidr]);
    const ours = await theNetwork(id);
    const ourSub = await theSubnet(ours.id);
    assert.equal(ourSub.subnetpool_id, pool.id, 'the plugin reuses the existing kuryrPool-<cidr>');

    // Stop the plugin and replace its network and subnet by the ones the Python plugin would have made.
    assert.equal(await plugin.stop(), 0);
    let pyNet: NeutronNet;
    let pySub: NeutronSubnet;
    try {
      await deleteNetworkDeep(tb, ours.id);
      pyNet = (await neutronSend(tb, 'POST', 'networks', { network: { name: `kuryr-net-${id.slice(0, 8)}`, admin_state_up: true, shared: false } }) as
        { network: NeutronNet }).network;
      cleanup.add(`delete network ${pyNet.id}`, () => deleteNetworkDeep(tb, pyNet.id));
      for (const t of idTags(id)) await addTag(tb, 'networks', pyNet.id, t);
      pySub = (await neutronSend(tb, 'POST', 'subnets', { subnets: [{ name: `kuryr-subnet-${cidr}`, network_id: pyNet.id,
        ip_version: 4, cidr, enable_dhcp: true, subnetpool_id: pool.id, gateway_ip: '10.76.0.1' }] }) as { subnets: NeutronSubnet[] }).subnets[0]!;
      await addTag(tb, 'subnets', pySub.id, pool.id);
      assert.equal((await theNetwork(id)).id, pyNet.id);
    } finally {
      plugin = await startOurPlugin(plugin.name);
    }
    await container(c, ['--net', name]);
    const ep = await endpointOf(tb, c, name);
    const ports = await portsForEndpoint(tb, ep.EndpointID);
    assert.equal(ports.length, 1);
    assert.equal(ports[0]!.network_id, pyNet.id);
    assert.equal(ports[0]!.fixed_ips[0]!.subnet_id, pySub.id);
    const eth0 = await ifaceIn(tb, c, 'eth0');
    assert.deepEqual(eth0.v4, [ports[0]!.fixed_ips[0]!.ip_address]);
    assert.equal(eth0.mac, ports[0]!.mac_address);
    await docker(tb, ['rm', '-f', c]);
    assert.deepEqual(await nonDhcpPorts(tb, pyNet.id), []);
    await docker(tb, ['network', 'rm', name]);
    assert.deepEqual(await getNetworks(tb, `id=${pyNet.id}`), [], 'network deleted');
    assert.deepEqual(await getSubnets(tb, `id=${pySub.id}`), [], 'subnet deleted');
    assert.deepEqual(await getPools(tb, `id=${pool.id}`), [], 'subnetpool deleted');
  });

  test('(f) a pre-created port handed back on removal can be adopted again by the next container', async () => {
    const name = `par-f-${sfx}`;
    const id = await kuryrNetwork(name, ['--subnet', '10.78.0.0/24', '--gateway', '10.78.0.1'], ['10.78.0.0/24']);
    const net = await theNetwork(id);
    const sub = await theSubnet(net.id);
    const port = await neutron<NeutronPort>('ports', { name: `par-f-port-${sfx}`, network_id: net.id,
      fixed_ips: [{ subnet_id: sub.id, ip_address: '10.78.0.30' }] });
    for (const round of [1, 2]) {
      const c = `par-f${round}-${sfx}`;
      removeLater(c);
      const run = await docker(tb, ['run', '-d', '--name', c, '--stop-timeout', '1', '--net', name, '--ip', '10.78.0.30',
        tb.image, 'sleep', '600'], { allowFail: true });
      assert.equal(run.code, 0, `round ${round}: docker run --ip 10.78.0.30: ${run.stderr}`);
      const ep = await endpointOf(tb, c, name);
      assert.deepEqual((await portsForEndpoint(tb, ep.EndpointID)).map((p) => p.id), [port.id], `round ${round}: the port is adopted`);
      assert.equal((await ifaceIn(tb, c, 'eth0')).mac, port.mac_address);
      await docker(tb, ['rm', '-f', c]);
      const back = await getPort(tb, port.id);
      assert.ok(back, 'the port is kept');
      assert.equal(back['binding:host_id'], '');
      assert.deepEqual(kuryrTags(back.tags), []);
    }
    await deleteIfExists(tb, 'ports', port.id);
    await docker(tb, ['network', 'rm', name]);
  });
});
