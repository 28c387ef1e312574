// A Neutron without the tag extension (emulated by a proxy in front of the real Neutron that hides
// standard-attr-tag and rejects every tag call or tag filter): real dockerd + the plugin from its CLI fall back
// to upstream's names and still run containers and clean up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, neutronGet, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';

describe('names mode against real Neutron without standard-attr-tag', () => {
  let tb: Testbed;
  let proxy: FaultProxy;
  let plugin: PluginProcess;
  const suffix = Math.random().toString(16).slice(2, 8);
  const net = `names-${suffix}`;
  const containers = [`names-c1-${suffix}`, `names-c2-${suffix}`];

  before(async () => {
    tb = testbed();
    proxy = await startFaultProxy(tb.neutronUrl);
    proxy.failNext({ method: 'GET', path: /^\/v2\.0\/extensions\/standard-attr-tag/, status: 404, times: Infinity });
    for (const method of ['GET', 'PUT', 'DELETE']) {
      proxy.failNext({ method, path: /\/tags(\/|$)|[?&](not-)?tags(-any)?=/, status: 400, times: Infinity });
    }
    plugin = await startPlugin({ neutronUrl: proxy.url, host: tb.host });
  });
  after(async () => {
    for (const c of containers) await docker(tb, ['rm', '-f', c], { allowFail: true });
    await docker(tb, ['network', 'rm', net], { allowFail: true });
    await plugin?.stop();
    if (plugin) await cleanupPluginDir(plugin);
    await proxy?.close();
  });

  test('network, two containers that ping, and a clean removal, without a single tag', async () => {
    const dockerNetId = (await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name,
      '--subnet', '10.24.0.0/24', net])).stdout;
    const { networks } = await neutronGet<{ networks: { id: string; tags: string[] }[] }>(tb, `networks?name=${dockerNetId}`);
    assert.equal(networks.length, 1, 'the Neutron network is named after the Docker network id');
    assert.deepEqual(networks[0]!.tags, []);
    for (const c of containers) await docker(tb, ['run', '-d', '--name', c, '--net', net, tb.image, 'sleep', '300']);
    const ip2 = /inet (10\.24\.0\.\d+)/.exec((await inNetns(tb, containers[1]!, ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout)?.[1];
    assert.ok(ip2);
    assert.match((await inNetns(tb, containers[0]!, ['ping', '-c', '2', '-W', '2', ip2])).stdout, / 0% packet loss/);
    const { ports } = await neutronGet<{ ports: { name: string; device_id: string; tags: string[] }[] }>(tb, `ports?network_id=${networks[0]!.id}`);
    assert.equal(ports.length, 2);
    for (const p of ports) {
      assert.equal(p.name, `${p.device_id}-port`);
      assert.deepEqual(p.tags, []);
    }
    for (const c of containers) await docker(tb, ['rm', '-f', c]);
    await docker(tb, ['network', 'rm', net]);
    assert.equal((await neutronGet<{ networks: unknown[] }>(tb, `networks?id=${networks[0]!.id}`)).networks.length, 0);
    assert.equal((await neutronGet<{ ports: unknown[] }>(tb, `ports?network_id=${networks[0]!.id}`)).ports.length, 0);
    assert.equal((await neutronGet<{ subnetpools: unknown[] }>(tb, `subnetpools?name=${encodeURIComponent('kuryrPool-10.24.0.0/24')}`)).subnetpools.length, 0);
    assert.ok(!proxy.requests.some((r) => /\/tags|tags=/.test(r.path) && r.status !== 400), 'no tag request reached Neutron');
  });
});
