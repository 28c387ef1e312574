// Integration tests for src/binding/veth.ts on the real kernel: each test runs the binding's `ip` commands
// inside its own throwaway netns (kt<random>) and checks the resulting link table — bridge membership, MAC,
// MTU, alias ownership, clean unplug — plus real binding scripts in a temporary bindir. Needs root.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createVethBinding, MANAGED_BRIDGE_ALIAS } from '../../src/binding/veth.ts';
import type { PlugRequest, UnplugRequest } from '../../src/binding/veth.ts';
import { HostCommandError, PluginError } from '../../src/errors.ts';
import { createExec } from '../../src/host/exec.ts';
import { linuxBridgeName, vethPairNames } from '../../src/host/if-names.ts';
import { createIpLink } from '../../src/host/ip-link.ts';
import type { IpLink } from '../../src/host/ip-link.ts';

const exec = createExec({ timeoutMs: 20_000 });

async function setup(t: TestContext): Promise<{ ns: string; ip: IpLink; bindir: string; binding: ReturnType<typeof createVethBinding> }> {
  const ns = `kt${randomBytes(5).toString('hex')}`;
  await exec.run(['ip', 'netns', 'add', ns]);
  const bindir = await mkdtemp(join(tmpdir(), 'ktbin-'));
  t.after(async () => {
    await exec.run(['ip', 'netns', 'del', ns], { okCodes: [0, 1] });
    await rm(bindir, { recursive: true, force: true });
  });
  const ip = createIpLink(exec, { netns: ns });
  return { ns, ip, bindir, binding: createVethBinding({ ipLink: ip, exec, bindir }) };
}

function port(networkId: string, over: Partial<PlugRequest> = {}): PlugRequest {
  return {
    portId: randomUUID(), endpointId: randomBytes(32).toString('hex'), networkId, projectId: randomBytes(16).toString('hex'),
    mac: `FA:16:3E:${randomBytes(3).toString('hex').match(/../g)?.join(':') ?? '00:00:01'}`, mtu: 1450,
    vifType: 'bridge', vifDetails: { port_filter: true }, ...over,
  };
}
function unplugOf(p: PlugRequest): UnplugRequest {
  return { portId: p.portId, endpointId: p.endpointId, networkId: p.networkId, mac: p.mac, vifType: p.vifType, vifDetails: p.vifDetails };
}
async function names(ip: IpLink): Promise<string[]> {
  return (await ip.list()).map((l) => l.ifname).filter((n) => n !== 'lo').sort();
}

describe('veth binding on the kernel (integration)', () => {
  it('bridge: plug enslaves tap to a kuryr-managed brq; t_c has the port MAC and MTU', async (t) => {
    const { ns, ip, binding } = await setup(t);
    const net = randomUUID();
    const p = port(net);
    const res = await binding.plug(p);
    const { host, container } = vethPairNames(p.portId);
    const brq = linuxBridgeName(net);
    assert.deepEqual(res, { hostIfName: host, containerIfName: container });

    const tap = await ip.show(host);
    const tc = await ip.show(container);
    const br = await ip.show(brq);
    assert.equal(tap?.master, brq);
    assert.equal(tap?.up, true);
    assert.equal(tap?.mtu, 1450);
    assert.equal(tap?.link, container);
    assert.equal(tc?.address, p.mac.toLowerCase());
    assert.equal(tc?.mtu, 1450);
    assert.equal(br?.kind, 'bridge');
    assert.equal(br?.alias, MANAGED_BRIDGE_ALIAS);
    assert.equal(br?.up, true);
    const raw = JSON.parse((await exec.run(['ip', '-n', ns, '-json', '-details', 'link', 'show', 'dev', brq])).stdout) as Array<{ linkinfo: { info_data: Record<string, unknown> } }>;
    assert.equal(raw[0]?.linkinfo.info_data['forward_delay'], 0);
    assert.equal(raw[0]?.linkinfo.info_data['stp_state'], 0);
    assert.deepEqual(await names(ip), [brq, container, host].sort(), 'no temporary bridge left');
  });

  it('two endpoints share the bridge; unplugging both leaves no links and removes the bridge', async (t) => {
    const { ip, binding } = await setup(t);
    const net = randomUUID();
    const brq = linuxBridgeName(net);
    const p1 = port(net);
    const p2 = port(net);
    await Promise.all([binding.plug(p1), binding.plug(p2)]);
    const members = (await ip.list({ master: brq })).map((l) => l.ifname).sort();
    assert.deepEqual(members, [vethPairNames(p1.portId).host, vethPairNames(p2.portId).host].sort());

    await binding.unplug(unplugOf(p1));
    assert.deepEqual(await names(ip), [brq, vethPairNames(p2.portId).container, vethPairNames(p2.portId).host].sort());
    await binding.unplug(unplugOf(p2));
    assert.deepEqual(await names(ip), []);
    await binding.unplug(unplugOf(p2)); // idempotent
  });

  it('a pre-existing bridge without our alias is used and kept', async (t) => {
    const { ip, binding } = await setup(t);
    const net = randomUUID();
    const brq = linuxBridgeName(net);
    await ip.addBridge(brq);
    await ip.set(brq, { up: true });
    const p = port(net);
    await binding.plug(p);
    assert.equal((await ip.show(vethPairNames(p.portId).host))?.master, brq);
    await binding.unplug(unplugOf(p));
    assert.deepEqual(await names(ip), [brq]);
    assert.equal((await ip.show(brq))?.alias, undefined);
  });

  it('plug twice reuses the pair; tap vif_type leaves the host end unbridged', async (t) => {
    const { ip, binding } = await setup(t);
    const p = port(randomUUID(), { vifType: 'tap' });
    const { host, container } = vethPairNames(p.portId);
    await binding.plug(p);
    const first = await ip.show(host);
    await binding.plug({ ...p, mtu: 1400 });
    const second = await ip.show(host);
    assert.equal(second?.ifindex, first?.ifindex, 'same link, not recreated');
    assert.equal(second?.mtu, 1400);
    assert.equal((await ip.show(container))?.mtu, 1400);
    assert.equal(second?.master, undefined);
    await binding.unplug(unplugOf(p));
    assert.deepEqual(await names(ip), []);
  });

  it('attach failure rolls back: no veth and no bridge left', async (t) => {
    const { ip, binding } = await setup(t);
    const net = randomUUID();
    const brq = linuxBridgeName(net);
    const p = port(net);
    const { host, container } = vethPairNames(p.portId);
    // make the attach fail for real: a macvlan on the host end makes the kernel refuse enslaving it (EBUSY)
    await ip.addVeth(host, container);
    await ip.addMacvlan('ktblock', host);
    // plug reuses the existing pair, then the attach fails with EBUSY
    const err = await binding.plug(p).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError, String(err));
    assert.equal(err.details['reason'], 'busy');
    assert.deepEqual(await names(ip), [], 'veth (and its macvlan) and our fresh bridge are gone');
    assert.equal(await ip.show(brq), undefined);
  });

  it('binding scripts: bind/unbind argv as upstream, and a failing script rolls the veth back', async (t) => {
    const { ip, bindir, binding } = await setup(t);
    const record = join(bindir, 'calls.log');
    await writeFile(join(bindir, 'ktrec'), `#!/bin/sh\nprintf '%s|' "$@" >> '${record}'\necho >> '${record}'\n`);
    await writeFile(join(bindir, 'ktfail'), '#!/bin/sh\necho "boom: $1" >&2\nexit 3\n');
    await chmod(join(bindir, 'ktrec'), 0o755);
    await chmod(join(bindir, 'ktfail'), 0o755);

    const p = port(randomUUID(), { vifType: 'ktrec', vifDetails: { port_filter: true, vlan: '100' } });
    const { host } = vethPairNames(p.portId);
    await binding.plug(p);
    await binding.unplug(unplugOf(p));
    const lines = (await readFile(record, 'utf8')).trim().split('\n');
    const mac = p.mac.toLowerCase();
    assert.deepEqual(lines, [
      `bind|${p.portId}|${host}|${p.endpointId}|${mac}|${p.networkId}|${p.projectId}|"{'port_filter': True, 'vlan': '100'}"|`,
      `unbind|${p.portId}|${host}|${p.endpointId}|${mac}|"{'port_filter': True, 'vlan': '100'}"|${p.networkId}|`,
    ]);
    assert.deepEqual(await names(ip), []);

    const f = port(randomUUID(), { vifType: 'ktfail' });
    const err = await binding.plug(f).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.details['code'], 3);
    assert.equal(err.details['stderr'], 'boom: bind');
    assert.deepEqual(await names(ip), []);

    const missing = await binding.plug(port(randomUUID(), { vifType: 'ktnothere' })).then(() => undefined, (e: unknown) => e);
    assert.ok(missing instanceof PluginError);
    assert.equal(missing.code, 'ERR_BINDING_UNSUPPORTED');
    assert.equal(missing.message, `vif_type ktnothere is not supported: no ${join(bindir, 'ktnothere')}`);
  });
});
