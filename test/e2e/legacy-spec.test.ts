// Existing installations point dockerd at the plugin with a legacy spec file holding an HTTP URL
// (/usr/lib/docker/plugins/kuryr/kuryr.spec = http://127.0.0.1:23750 upstream). The plugin listening on TCP
// must serve dockerd the same way it does on the unix socket.
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';
import { docker, neutronGet, testbed, type Testbed, inNetns } from '../helpers/testbed.ts';

const SPEC_DIR = '/etc/docker/plugins';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('legacy kuryr.spec discovery over http://127.0.0.1:<port>', () => {
  let tb: Testbed;
  let plugin: PluginProcess;
  let createdDir = false;
  const name = `kuryr-spec-${Math.random().toString(16).slice(2, 8)}`;
  const net = `${name}-net`;
  const container = `${name}-c`;

  before(async () => {
    tb = testbed();
    const port = await freePort();
    plugin = await startPlugin({ neutronUrl: tb.neutronUrl, host: tb.host, tcpPort: port, name });
    createdDir = await readdir(SPEC_DIR).then(() => false, () => true);
    await mkdir(SPEC_DIR, { recursive: true });
    await writeFile(`${SPEC_DIR}/${name}.spec`, `http://127.0.0.1:${port}\n`);
  });

  after(async () => {
    await docker(tb, ['rm', '-f', container], { allowFail: true });
    await docker(tb, ['network', 'rm', net], { allowFail: true });
    await rm(`${SPEC_DIR}/${name}.spec`, { force: true });
    if (createdDir) await rmdir(SPEC_DIR).catch(() => undefined);
    await plugin?.stop();
    if (plugin) await cleanupPluginDir(plugin);
  });

  test('dockerd finds the plugin through the spec file; a container gets a Neutron port', async () => {
    await docker(tb, ['network', 'create', '-d', name, '--ipam-driver', name, '--subnet', '10.23.0.0/24', net]);
    await docker(tb, ['run', '-d', '--name', container, '--net', net, tb.image, 'sleep', '300']);
    const out = await inNetns(tb, container, ['ip', '-o', '-4', 'addr', 'show', 'eth0']);
    const ip = /inet (10\.23\.0\.\d+)\/24/.exec(out.stdout)?.[1];
    assert.ok(ip, out.stdout);
    const { ports } = await neutronGet<{ ports: { fixed_ips: { ip_address: string }[]; device_owner: string }[] }>(tb,
      `ports?fixed_ips=ip_address%3D${ip}&device_owner=compute%3Akuryr`);
    assert.equal(ports.length, 1);
    await docker(tb, ['rm', '-f', container]);
    await docker(tb, ['network', 'rm', net]);
    const { subnetpools } = await neutronGet<{ subnetpools: unknown[] }>(tb, `subnetpools?name=${encodeURIComponent('kuryrPool-10.23.0.0/24')}`);
    assert.equal(subnetpools.length, 0);
  });
});
