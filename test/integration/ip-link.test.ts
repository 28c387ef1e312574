// Integration tests for src/host/ip-link.ts against the real kernel and iproute2 6.1: every test runs in its
// own throwaway netns (kt<random>, deleted afterwards) via the adapter's netns option, and asserts on the
// link table iproute2 reports. Needs root; never touches the host's own namespace.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createExec } from '../../src/host/exec.ts';
import { createIpLink, ipFailureReason, isLinkExists, isLinkNotFound } from '../../src/host/ip-link.ts';

const exec = createExec({ timeoutMs: 20_000 });

async function netns(t: TestContext): Promise<string> {
  const name = `kt${randomBytes(5).toString('hex')}`;
  await exec.run(['ip', 'netns', 'add', name]);
  t.after(async () => { await exec.run(['ip', 'netns', 'del', name], { okCodes: [0, 1] }); });
  return name;
}

async function rawLink(ns: string, name: string): Promise<Record<string, unknown>> {
  const r = await exec.run(['ip', '-n', ns, '-json', '-details', 'link', 'show', 'dev', name]);
  const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  assert.equal(list.length, 1);
  return list[0] ?? {};
}

describe('IpLink on iproute2 (integration)', () => {
  it('addVeth with attributes, show, list', async (t) => {
    const ns = await netns(t);
    const ip = createIpLink(exec, { netns: ns });
    assert.equal(await ip.show('ktA'), undefined);
    await ip.addVeth('ktA', 'ktB', { mtu: 1400, up: true, peer: { mtu: 1300, address: '02:AA:BB:CC:DD:EE' } });
    const a = await ip.show('ktA');
    const b = await ip.show('ktB');
    assert.ok(a && b);
    assert.equal(a.kind, 'veth');
    assert.equal(a.link, 'ktB');
    assert.equal(a.mtu, 1400);
    assert.equal(a.up, true);
    assert.equal(a.operstate, 'LOWERLAYERDOWN', 'peer is still down');
    assert.equal(b.address, '02:aa:bb:cc:dd:ee');
    assert.equal(b.mtu, 1300);
    assert.equal(b.up, false);
    assert.match(a.address, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.deepEqual((await ip.list()).map((l) => l.ifname).sort(), ['ktA', 'ktB', 'lo']);
  });

  it('addBridge, set master/alias/up in one command, list by master, detach and clear alias', async (t) => {
    const ns = await netns(t);
    const ip = createIpLink(exec, { netns: ns });
    await ip.addBridge('ktbr');
    const raw = await rawLink(ns, 'ktbr');
    const info = (raw['linkinfo'] as { info_data: Record<string, unknown> }).info_data;
    assert.equal(info['forward_delay'], 0);
    assert.equal(info['stp_state'], 0);
    assert.equal((await ip.show('ktbr'))?.up, false, 'created down');

    await ip.addVeth('ktA', 'ktB');
    await ip.set('ktbr', { alias: 'kuryr-managed', up: true });
    await ip.set('ktA', { master: 'ktbr', mtu: 1450, address: '02:00:00:00:00:01', up: true, alias: 'hello world' });
    const a = await ip.show('ktA');
    assert.equal(a?.master, 'ktbr');
    assert.equal(a?.mtu, 1450);
    assert.equal(a?.address, '02:00:00:00:00:01');
    assert.equal(a?.alias, 'hello world');
    assert.equal((await ip.show('ktbr'))?.alias, 'kuryr-managed');
    assert.deepEqual((await ip.list({ master: 'ktbr' })).map((l) => l.ifname), ['ktA']);

    await ip.set('ktA', { master: null, alias: '', up: false });
    const after = await ip.show('ktA');
    assert.equal(after?.master, undefined);
    assert.equal(after?.alias, undefined);
    assert.equal(after?.up, false);
    assert.deepEqual(await ip.list({ master: 'ktbr' }), []);
  });

  it('rename, macvlan, and a peer created in another netns', async (t) => {
    const ns = await netns(t);
    const other = await netns(t);
    const ip = createIpLink(exec, { netns: ns });
    await ip.addVeth('ktP', 'ktQ', { up: true });
    await ip.addMacvlan('ktM', 'ktP', { mode: 'bridge', address: '02:00:00:00:00:07' });
    const m = await ip.show('ktM');
    assert.equal(m?.kind, 'macvlan');
    assert.equal(m?.link, 'ktP');
    assert.equal(m?.address, '02:00:00:00:00:07');
    await ip.set('ktM', { name: 'ktM2' });
    assert.equal(await ip.show('ktM'), undefined);
    assert.equal((await ip.show('ktM2'))?.kind, 'macvlan');

    await ip.addVeth('ktC', 'ktD', { peer: { netns: other } });
    const c = await ip.show('ktC');
    assert.equal(c?.link, undefined, 'peer not in this netns');
    assert.equal(typeof c?.linkNetnsId, 'number');
    assert.equal((await createIpLink(exec, { netns: other }).show('ktD'))?.kind, 'veth');
  });

  it('classifies real failures: exists, not found (link and master), invalid MTU', async (t) => {
    const ns = await netns(t);
    const ip = createIpLink(exec, { netns: ns });
    await ip.addVeth('ktA', 'ktB');
    const exists = await ip.addVeth('ktA', 'ktZ').then(() => undefined, (e: unknown) => e);
    assert.ok(isLinkExists(exists), String(exists));
    assert.ok(isLinkExists(await ip.addBridge('ktB').then(() => undefined, (e: unknown) => e)));
    await assert.rejects(ip.set('ktnope', { up: true }), (e: unknown) => isLinkNotFound(e));
    await assert.rejects(ip.set('ktA', { master: 'ktnobr' }), (e: unknown) => isLinkNotFound(e));
    assert.deepEqual(await ip.list({ master: 'ktnobr' }), []);
    await ip.addBridge('ktbr');
    await ip.addMacvlan('ktM', 'ktA');
    // a veth carrying a macvlan cannot be enslaved: a real EBUSY
    await assert.rejects(ip.set('ktA', { master: 'ktbr' }), (e: unknown) => ipFailureReason(e) === 'busy');
    // the kernel refuses moving a bridge between namespaces (target: another throwaway netns)
    const other = await netns(t);
    await assert.rejects(ip.set('ktbr', { netns: other }), (e: unknown) => ipFailureReason(e) === 'other' || ipFailureReason(e) === 'unsupported');
    assert.equal((await ip.show('ktbr'))?.kind, 'bridge');
  });

  it('del is idempotent and removes both veth ends', async (t) => {
    const ns = await netns(t);
    const ip = createIpLink(exec, { netns: ns });
    await ip.addVeth('ktA', 'ktB');
    assert.equal(await ip.del('ktB'), true);
    assert.equal(await ip.show('ktA'), undefined);
    assert.equal(await ip.del('ktA'), false);
    assert.equal(await ip.del('ktB'), false);
    assert.deepEqual((await ip.list()).map((l) => l.ifname), ['lo']);
  });
});
