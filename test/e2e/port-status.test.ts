// Port binding outcomes with the real dockerd and Neutron: with [neutron] vif_plugging_is_fatal the plugin
// waits for the port to turn ACTIVE; on a host Neutron cannot bind to (no L2 agent) the container fails with a
// clear binding error and nothing is left behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, hostLinks, neutronGet, testbed, type Testbed } from '../helpers/testbed.ts';

describe('port status and binding failures', () => {
  let tb: Testbed;
  const plugins: PluginProcess[] = [];
  const suffix = Math.random().toString(16).slice(2, 8);
  const nets: string[] = [];
  const containers: string[] = [];

  before(() => { tb = testbed(); });
  after(async () => {
    for (const c of containers) await docker(tb, ['rm', '-f', c], { allowFail: true });
    for (const n of nets) await docker(tb, ['network', 'rm', n], { allowFail: true });
    for (const p of plugins) { await p.stop(); await cleanupPluginDir(p); }
  });

  test('vif_plugging_is_fatal: CreateEndpoint returns once the port is ACTIVE', async () => {
    const plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host,
      extraConfig: 'vif_plugging_is_fatal = true\nvif_plugging_timeout = 30' });
    plugins.push(plugin);
    const net = `status-${suffix}`;
    nets.push(net);
    await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name, '--subnet', '10.25.0.0/24', net]);
    const c = `status-c-${suffix}`;
    containers.push(c);
    await docker(tb, ['run', '-d', '--name', c, '--net', net, tb.image, 'sleep', '300']);
    const ep = (JSON.parse((await docker(tb, ['inspect', c])).stdout) as { NetworkSettings: { Networks: Record<string, { EndpointID: string }> } }[])[0]!
      .NetworkSettings.Networks[net]!.EndpointID;
    const { ports } = await neutronGet<{ ports: { status: string }[] }>(tb, `ports?tags=kuryr.net.uuid.lh:${ep.slice(0, 32)}`);
    assert.equal(ports[0]?.status, 'ACTIVE', 'the port was ACTIVE when the container started');
    // the port was still DOWN right after binding, so the plugin polled it before answering CreateEndpoint
    assert.match(await plugin.logs(), /"method":"GET","path":"\/v2\.0\/ports\/[0-9a-f-]{36}","status":200/);
    await docker(tb, ['rm', '-f', c]);
    await docker(tb, ['network', 'rm', net]);
  });

  test('a host without an L2 agent: a clear binding error, and no port, veth or network left', async () => {
    const plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: `kuryr-no-agent-${suffix}` });
    plugins.push(plugin);
    const net = `noagent-${suffix}`;
    nets.push(net);
    await docker(tb, ['network', 'create', '-d', plugin.name, '--ipam-driver', plugin.name, '--subnet', '10.26.0.0/24', net]);
    const r = await docker(tb, ['run', '--rm', '--net', net, tb.image, 'true'], { allowFail: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ERR_BINDING_FAILED/);
    assert.match(r.stderr, /agent/);
    const { subnets } = await neutronGet<{ subnets: { network_id: string }[] }>(tb, `subnets?cidr=10.26.0.0/24`);
    const { ports } = await neutronGet<{ ports: unknown[] }>(tb, `ports?network_id=${subnets[0]!.network_id}`);
    assert.equal(ports.length, 0, 'the port reserved for the failed container was released');
    assert.equal((await hostLinks()).filter((l) => /^(tap|t_c)/.test(l.ifname) && l.ifname.length === 14 &&
      (l.master ?? '').startsWith(`brq${subnets[0]!.network_id.slice(0, 11)}`)).length, 0);
    await docker(tb, ['network', 'rm', net]);
    assert.equal((await neutronGet<{ subnets: unknown[] }>(tb, `subnets?cidr=10.26.0.0/24`)).subnets.length, 0);
  });
});
