// Unit tests for src/host/ip-link.ts over the fake Exec: the argv each method builds (with and without -n),
// JSON parsing into LinkInfo, stderr classification (not found / exists / ...), idempotent del, and that
// invalid names never reach a command. The real-kernel counterpart is test/integration/ip-link.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostCommandError, InvalidRequestError } from '../../src/errors.ts';
import { classifyIpStderr, createIpLink, ipFailureReason, isLinkExists, isLinkNotFound, parseLinkJson } from '../../src/host/ip-link.ts';
import { argvIncludes, createFakeExec } from '../../src/testing/fake-exec.ts';

describe('IpLink argv', () => {
  it('prefixes every command with -n <netns> when a netns is given', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec, { netns: 'ktunit1' });
    await ip.addVeth('ktA', 'ktB');
    await ip.show('ktA');
    await ip.del('ktA');
    assert.deepEqual(exec.commands(), [
      'ip -n ktunit1 link add name ktA type veth peer name ktB',
      'ip -n ktunit1 -json -details link show dev ktA',
      'ip -n ktunit1 link del dev ktA',
    ]);
    assert.deepEqual(exec.links.names('ktunit1'), []);
    assert.equal(ip.netns, 'ktunit1');
  });

  it('builds one `ip link set` argv with every requested attribute', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    await ip.addBridge('ktbr');
    await ip.addVeth('ktA', 'ktB', { mtu: 1400, up: true, peer: { mtu: 1300, address: '02:AA:BB:CC:DD:EE' } });
    await ip.set('ktA', { mtu: 1450, address: '02:00:00:00:00:01', master: 'ktbr', alias: 'hello', up: true });
    await ip.set('ktA', { master: null, up: false, alias: '' });
    await ip.set('ktA', {});
    assert.deepEqual(exec.commands(), [
      'ip link add name ktbr type bridge forward_delay 0 stp_state 0',
      'ip link add name ktA mtu 1400 up type veth peer name ktB mtu 1300 address 02:aa:bb:cc:dd:ee',
      'ip link set dev ktA mtu 1450 address 02:00:00:00:00:01 master ktbr alias hello up',
      'ip link set dev ktA nomaster alias  down',
    ]);
    const a = exec.links.get('ktA');
    assert.equal(a?.master, undefined);
    assert.equal(a?.alias, undefined);
    assert.equal(a?.up, false);
    assert.equal(a?.mtu, 1450);
    assert.equal(exec.links.get('ktB')?.address, '02:aa:bb:cc:dd:ee');
    assert.equal(exec.links.get('ktB')?.mtu, 1300);
  });

  it('addMacvlan and set(name/netns) build the documented argv', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    await ip.addVeth('ktP', 'ktQ');
    await ip.addMacvlan('ktM', 'ktP', { mode: 'bridge', mtu: 1400, address: '02:00:00:00:00:09' });
    await ip.set('ktM', { name: 'ktM2', netns: 'ktother' });
    assert.deepEqual(exec.commands().slice(1), [
      'ip link add link ktP name ktM mtu 1400 address 02:00:00:00:00:09 type macvlan mode bridge',
      'ip link set dev ktM netns ktother name ktM2',
    ]);
    assert.equal(exec.links.get('ktM2', 'ktother')?.kind, 'macvlan');
  });

  it('refuses bad names, MACs, MTUs and modes before running anything', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    const bad: Array<() => Promise<unknown>> = [
      () => ip.show('a/b'), () => ip.addVeth('x'.repeat(16), 'ok'), () => ip.addVeth('ok', '..'),
      () => ip.set('ok', { address: 'zz' }), () => ip.set('ok', { mtu: 10 }), () => ip.set('ok', { master: 'a b' }),
      () => ip.set('ok', { alias: 'a\nb' }), () => ip.set('ok', { netns: '../x' }), () => ip.del('-x'),
      () => ip.addBridge('ok', { forwardDelay: -1 }), () => ip.list({ master: '' }),
      // @ts-expect-error: runtime check of an invalid mode
      () => ip.addMacvlan('ok', 'p', { mode: 'l2' }),
    ];
    for (const f of bad) {
      // names/MACs/modes: ERR_INVALID_NAME; the MTU: ERR_INVALID_REQUEST
      await assert.rejects(f, (e: unknown) => e instanceof InvalidRequestError && (e.code === 'ERR_INVALID_NAME' || /MTU/.test(e.message)));
    }
    assert.deepEqual(exec.calls, []);
    assert.throws(() => createIpLink(exec, { netns: 'a b' }), InvalidRequestError);
  });
});

describe('IpLink parsing', () => {
  it('show maps iproute2 JSON to LinkInfo', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    await ip.addBridge('ktbr');
    await ip.set('ktbr', { alias: 'kuryr-managed', up: true });
    await ip.addVeth('ktA', 'ktB', { mtu: 1400 });
    await ip.set('ktA', { master: 'ktbr', up: true });
    const a = await ip.show('ktA');
    assert.ok(a);
    assert.equal(a.ifname, 'ktA');
    assert.equal(a.kind, 'veth');
    assert.equal(a.master, 'ktbr');
    assert.equal(a.link, 'ktB');
    assert.equal(a.mtu, 1400);
    assert.equal(a.up, true);
    assert.equal(a.operstate, 'LOWERLAYERDOWN');
    assert.ok(a.flags.includes('UP'));
    assert.equal(a.alias, undefined);
    const br = await ip.show('ktbr');
    assert.equal(br?.kind, 'bridge');
    assert.equal(br?.alias, 'kuryr-managed');
    assert.deepEqual((await ip.list({ master: 'ktbr' })).map((l) => l.ifname), ['ktA']);
    assert.deepEqual((await ip.list()).map((l) => l.ifname), ['ktbr', 'ktA', 'ktB']);
  });

  it('parses a verbatim iproute2 6.1 record (peer in another netns)', () => {
    const raw = JSON.parse('{"ifindex":5,"link_index":6,"ifname":"ktC","flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"CE:BE:AD:0C:00:35","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"linkinfo":{"info_kind":"veth"},"ifalias":""}');
    assert.deepEqual(parseLinkJson(raw), {
      ifname: 'ktC', ifindex: 5, address: 'ce:be:ad:0c:00:35', mtu: 1500, operstate: 'DOWN',
      flags: ['BROADCAST', 'MULTICAST'], up: false, kind: 'veth', linkNetnsId: 0,
    });
    assert.equal(parseLinkJson({ ifname: 'x' }), undefined);
  });

  it('show returns undefined for a missing link; list of a missing master is empty', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    assert.equal(await ip.show('ktnope'), undefined);
    assert.deepEqual(await ip.list({ master: 'ktnope' }), []);
  });

  it('garbage output is a HostCommandError, not a crash', async () => {
    const exec = createFakeExec().on(['ip', '-json'], { stdout: 'not json' });
    const ip = createIpLink(exec);
    await assert.rejects(ip.show('ktA'), (e: unknown) => e instanceof HostCommandError && /unexpected output/.test(e.message));
    exec.on(['ip', '-json'], { stdout: '{}' });
    await assert.rejects(ip.list(), (e: unknown) => e instanceof HostCommandError && /not a JSON array/.test(e.message));
  });
});

describe('IpLink failures', () => {
  it('classifies iproute2 stderr texts', () => {
    assert.equal(classifyIpStderr('Cannot find device "x"'), 'not_found');
    assert.equal(classifyIpStderr('Device "x" does not exist.'), 'not_found');
    assert.equal(classifyIpStderr('Error: argument "x" is wrong: Device does not exist'), 'not_found');
    assert.equal(classifyIpStderr('RTNETLINK answers: No such device'), 'not_found');
    assert.equal(classifyIpStderr('RTNETLINK answers: File exists'), 'exists');
    assert.equal(classifyIpStderr('RTNETLINK answers: Device or resource busy'), 'busy');
    assert.equal(classifyIpStderr('RTNETLINK answers: Address already in use'), 'address_in_use');
    assert.equal(classifyIpStderr('RTNETLINK answers: Operation not supported'), 'unsupported');
    assert.equal(classifyIpStderr('Error: mtu less than device minimum.'), 'invalid_argument');
    assert.equal(classifyIpStderr('something else'), 'other');
  });

  it('"already exists" keeps argv, exit code and stderr and is recognisable', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec, { netns: 'ktu2' });
    await ip.addVeth('ktA', 'ktB');
    const err = await ip.addVeth('ktA', 'ktC').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.code, 'ERR_HOST_COMMAND');
    assert.ok(isLinkExists(err));
    assert.ok(!isLinkNotFound(err));
    assert.deepEqual(err.details['argv'], ['ip', '-n', 'ktu2', 'link', 'add', 'name', 'ktA', 'type', 'veth', 'peer', 'name', 'ktC']);
    assert.equal(err.details['code'], 2);
    assert.equal(err.details['stderr'], 'RTNETLINK answers: File exists');
    assert.ok(err.cause instanceof HostCommandError, 'the exec error is chained');
    assert.match(err.message, /device already exists/);
  });

  it('set on a missing link or master is not_found; other failures are classified', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    await assert.rejects(ip.set('ktnope', { up: true }), (e: unknown) => isLinkNotFound(e));
    await ip.addVeth('ktA', 'ktB');
    await assert.rejects(ip.set('ktA', { master: 'ktnobr' }), (e: unknown) => isLinkNotFound(e));
    exec.failOn(argvIncludes('master', 'ktbusy'), 'RTNETLINK answers: Device or resource busy', { code: 2 });
    await assert.rejects(ip.set('ktA', { master: 'ktbusy' }), (e: unknown) => ipFailureReason(e) === 'busy');
  });

  it('del is idempotent and says whether it deleted; other del failures propagate', async () => {
    const exec = createFakeExec();
    const ip = createIpLink(exec);
    await ip.addVeth('ktA', 'ktB');
    assert.equal(await ip.del('ktA'), true);
    assert.deepEqual(exec.links.names(), [], 'deleting one end removes the pair');
    assert.equal(await ip.del('ktA'), false);
    exec.failOn(argvIncludes('del', 'dev', 'ktX'), 'RTNETLINK answers: Operation not permitted', { code: 2 });
    await assert.rejects(ip.del('ktX'), (e: unknown) => ipFailureReason(e) === 'other');
  });

  it('spawn failures (no exit code) pass through unchanged', async () => {
    const boom = new HostCommandError('ERR_HOST_COMMAND', 'ip: spawn ENOENT', { details: { argv: ['ip'] } });
    const exec = createFakeExec().on(['ip'], boom);
    const ip = createIpLink(exec);
    await assert.rejects(ip.show('ktA'), (e: unknown) => e === boom);
  });
});
