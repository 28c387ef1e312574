// Unit tests for src/binding/veth.ts over the fake Exec's in-memory link table and OVS: the resulting host
// state per vif_type, command order (call log), rollback on failures part-way, idempotent plug/unplug,
// bridge ownership (alias) rules, error codes/messages, and the Python repr handed to binding scripts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostCommandError, InvalidRequestError, PluginError } from '../../src/errors.ts';
import { createVethBinding, MANAGED_BRIDGE_ALIAS, pythonRepr, vifDetailsArg } from '../../src/binding/veth.ts';
import type { PlugRequest, UnplugRequest } from '../../src/binding/veth.ts';
import { createIpLink, isLinkExists } from '../../src/host/ip-link.ts';
import { argvIncludes, createFakeExec } from '../../src/testing/fake-exec.ts';
import type { FakeExec } from '../../src/testing/fake-exec.ts';

const BINDIR = '/usr/libexec/kuryr';
const NET = 'a2b4c6d8-e0f1-4a3b-8c5d-6e7f8091a2b3';
const BRQ = 'brqa2b4c6d8-e0';
const PORT1 = '3d1a5c9e-7f0b-4a4e-9a55-0c1d2e3f4a5b';
const PORT2 = '9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4';
const EP1 = 'e'.repeat(64);
const EP2 = 'f'.repeat(64);
const TAP1 = 'tap3d1a5c9e-7f';
const TC1 = 't_c3d1a5c9e-7f';
const TAP2 = 'tap9e8d7c6b-5a';

function plugReq(over: Partial<PlugRequest> = {}): PlugRequest {
  return {
    portId: PORT1, endpointId: EP1, networkId: NET, projectId: '0123456789abcdef0123456789abcdef',
    mac: 'FA:16:3E:12:34:56', mtu: 1450, vifType: 'bridge', vifDetails: { port_filter: true }, ...over,
  };
}
function unplugReq(over: Partial<UnplugRequest> = {}): UnplugRequest {
  return { portId: PORT1, endpointId: EP1, networkId: NET, mac: 'fa:16:3e:12:34:56', vifType: 'bridge', vifDetails: { port_filter: true }, ...over };
}

let seq = 0;
function setup(opts: { ovsBridges?: string[] } = {}) {
  const exec: FakeExec = createFakeExec(opts);
  const ipLink = createIpLink(exec);
  const binding = createVethBinding({ ipLink, exec, bindir: BINDIR, tempName: () => `u${(seq++).toString(16)}` });
  return { exec, ipLink, binding };
}

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<unknown> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof PluginError, `expected a PluginError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (re !== undefined) assert.match(err.message, re);
  return err;
}

describe('veth binding: bridge (Linux bridge agent)', () => {
  it('plug creates the pair, a kuryr-managed brq bridge, and enslaves the host end', async () => {
    const { exec, binding } = setup();
    const res = await binding.plug(plugReq());
    assert.deepEqual(res, { hostIfName: TAP1, containerIfName: TC1 });

    const tap = exec.links.get(TAP1);
    const tc = exec.links.get(TC1);
    const br = exec.links.get(BRQ);
    assert.ok(tap && tc && br);
    assert.equal(tc.address, 'fa:16:3e:12:34:56', 'container end carries the port MAC, lower-cased');
    assert.equal(tc.mtu, 1450);
    assert.equal(tc.up, false, 'Docker brings the container end up after moving it');
    assert.equal(tap.mtu, 1450);
    assert.equal(tap.up, true);
    assert.equal(tap.master, BRQ);
    assert.equal(br.kind, 'bridge');
    assert.equal(br.alias, MANAGED_BRIDGE_ALIAS);
    assert.equal(br.up, true);
    assert.deepEqual(br.bridge, { forwardDelay: 0, stpState: 0 });
    assert.deepEqual(exec.links.names().sort(), [BRQ, TAP1, TC1].sort(), 'no temporary bridge left behind');

    // order: veth first, then the bridge built under a temp name and renamed into place, then the attach
    const mutating = exec.commands().filter((c) => !c.includes(' show '));
    assert.equal(mutating.length, 4);
    assert.match(mutating[0] ?? '', /^ip link add name tap3d1a5c9e-7f mtu 1450 up type veth peer name t_c3d1a5c9e-7f mtu 1450 address fa:16:3e:12:34:56$/);
    assert.match(mutating[1] ?? '', /^ip link add name tmp\w+ type bridge forward_delay 0 stp_state 0$/);
    assert.match(mutating[2] ?? '', new RegExp(`^ip link set dev tmp\\w+ name ${BRQ} alias ${MANAGED_BRIDGE_ALIAS} up$`));
    assert.equal(mutating[3], `ip link set dev ${TAP1} master ${BRQ} up`);
  });

  it('a second endpoint on the same network shares the bridge; it is deleted with the last member', async () => {
    const { exec, binding } = setup();
    await binding.plug(plugReq());
    await binding.plug(plugReq({ portId: PORT2, endpointId: EP2, mac: 'fa:16:3e:00:00:02' }));
    assert.equal(exec.commands(argvIncludes('type', 'bridge')).length, 1, 'bridge created once');
    assert.equal(exec.links.get(TAP2)?.master, BRQ);

    await binding.unplug(unplugReq());
    assert.equal(exec.links.get(TAP1), undefined);
    assert.equal(exec.links.get(TC1), undefined);
    assert.ok(exec.links.get(BRQ), 'bridge kept while another port uses it');

    await binding.unplug(unplugReq({ portId: PORT2, endpointId: EP2, mac: 'fa:16:3e:00:00:02' }));
    assert.deepEqual(exec.links.names(), [], 'no links left');
    // detach happens before the delete
    const cmds = exec.commands(argvIncludes('link', 'set', 'dev', TAP2)).concat(exec.commands(argvIncludes('link', 'del', 'dev', TAP2)));
    assert.deepEqual(cmds, [`ip link set dev ${TAP2} master ${BRQ} up`, `ip link set dev ${TAP2} nomaster`, `ip link del dev ${TAP2}`]);
    const all = exec.commands();
    assert.ok(all.indexOf(`ip link set dev ${TAP2} nomaster`) < all.indexOf(`ip link del dev ${TAP2}`));
  });

  it('concurrent plugs on one network create one bridge', async () => {
    const { exec, binding } = setup();
    await Promise.all([
      binding.plug(plugReq()),
      binding.plug(plugReq({ portId: PORT2, endpointId: EP2, mac: 'fa:16:3e:00:00:02' })),
    ]);
    assert.equal(exec.commands(argvIncludes('type', 'bridge')).length, 1);
    assert.equal(exec.links.get(TAP1)?.master, BRQ);
    assert.equal(exec.links.get(TAP2)?.master, BRQ);
  });

  it('a pre-existing bridge without our alias is used and never deleted', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: BRQ, kind: 'bridge', up: true });
    await binding.plug(plugReq());
    assert.equal(exec.commands(argvIncludes('type', 'bridge')).length, 0, 'no bridge created');
    assert.equal(exec.links.get(TAP1)?.master, BRQ);
    await binding.unplug(unplugReq());
    assert.deepEqual(exec.links.names(), [BRQ]);
    assert.equal(exec.links.get(BRQ)?.alias, undefined);
  });

  it('an agent creating the bridge between our check and rename wins; our temp bridge is removed', async () => {
    const { exec, binding } = setup();
    exec.on(argvIncludes('name', BRQ), () => {
      exec.links.seed({ ifname: BRQ, kind: 'bridge', up: true });
      return { code: 2, stderr: 'RTNETLINK answers: File exists' };
    }, { times: 1 });
    await binding.plug(plugReq());
    assert.deepEqual(exec.links.names().sort(), [BRQ, TAP1, TC1].sort());
    assert.equal(exec.links.get(BRQ)?.alias, undefined, "the agent's bridge is not marked as ours");
    assert.equal(exec.links.get(TAP1)?.master, BRQ);
  });

  it('vif_details.bridge_name (linuxbridge bridge_mappings) overrides brq<net>', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: 'br-phys', kind: 'bridge', up: true });
    await binding.plug(plugReq({ vifDetails: { bridge_name: 'br-phys' } }));
    assert.equal(exec.links.get(TAP1)?.master, 'br-phys');
    assert.equal(exec.links.get(BRQ), undefined);
  });

  it('rollback: attach failure deletes the veth and the bridge we just created, and rethrows the original error', async () => {
    const { exec, binding } = setup();
    exec.failOn(argvIncludes('dev', TAP1, 'master', BRQ), 'RTNETLINK answers: Device or resource busy', { code: 2 });
    const err = await binding.plug(plugReq()).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.details['reason'], 'busy');
    assert.deepEqual(exec.links.names(), [], 'nothing left: no veth, no bridge, no temp bridge');
    assert.equal(err.details['rollbackErrors'], undefined);
  });

  it('rollback keeps a bridge that is not ours', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: BRQ, kind: 'bridge', up: true });
    exec.failOn(argvIncludes('master', BRQ), 'RTNETLINK answers: Operation not supported', { code: 2 });
    await assert.rejects(binding.plug(plugReq()), HostCommandError);
    assert.deepEqual(exec.links.names(), [BRQ]);
  });

  it('a failing rollback does not mask the original error; it is noted in details', async () => {
    const { exec, binding } = setup();
    exec.failOn(argvIncludes('dev', TAP1, 'master', BRQ), 'RTNETLINK answers: Device or resource busy', { code: 2 });
    exec.failOn(argvIncludes('del', 'dev', TAP1), 'RTNETLINK answers: Operation not permitted', { code: 2 });
    const err = await binding.plug(plugReq()).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.details['reason'], 'busy');
    const notes = err.details['rollbackErrors'];
    assert.ok(Array.isArray(notes) && notes.length === 1 && /Operation not permitted/.test(String(notes[0])));
  });

  it('a link that is not a bridge under the brq name is a clear conflict, and the veth is rolled back', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: BRQ, kind: 'veth' });
    await rejectsWith(binding.plug(plugReq()), 'ERR_HOST_COMMAND', /exists but is a veth link, not a bridge/);
    assert.deepEqual(exec.links.names(), [BRQ]);
  });

  it('plug is idempotent: a second plug reuses the pair and fixes its attributes', async () => {
    const { exec, binding } = setup();
    await binding.plug(plugReq());
    exec.clearCalls();
    await binding.plug(plugReq({ mtu: 1400 }));
    assert.equal(exec.commands(argvIncludes('type', 'veth')).length, 0, 'pair reused, not recreated');
    assert.equal(exec.links.get(TC1)?.mtu, 1400);
    assert.equal(exec.links.get(TAP1)?.mtu, 1400);
    assert.equal(exec.links.get(TAP1)?.master, BRQ);
    assert.deepEqual(exec.links.names().sort(), [BRQ, TAP1, TC1].sort());
  });

  it('a half leftover (container end only) is replaced by a fresh pair', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: TC1, kind: 'veth' });
    await binding.plug(plugReq());
    assert.equal(exec.links.get(TAP1)?.peerIndex, exec.links.get(TC1)?.ifindex);
    assert.equal(exec.links.get(TC1)?.address, 'fa:16:3e:12:34:56');
  });

  it('unplug is idempotent: nothing there is success, and a retry after success is too', async () => {
    const { exec, binding } = setup();
    await binding.unplug(unplugReq());
    await binding.plug(plugReq());
    await binding.unplug(unplugReq());
    await binding.unplug(unplugReq());
    assert.deepEqual(exec.links.names(), []);
  });

  it('unplug finishes a half-done cleanup: veth gone but our empty bridge still there', async () => {
    const { exec, binding } = setup();
    exec.links.seed({ ifname: BRQ, kind: 'bridge', alias: MANAGED_BRIDGE_ALIAS, up: true });
    await binding.unplug(unplugReq());
    assert.deepEqual(exec.links.names(), []);
  });
});

describe('veth binding: ovs', () => {
  it('plug adds the tap to br-int with the external ids in one transaction', async () => {
    const { exec, binding } = setup({ ovsBridges: ['br-int'] });
    await binding.plug(plugReq({ vifType: 'ovs', vifDetails: { port_filter: true, ovs_hybrid_plug: false } }));
    assert.deepEqual(exec.commands(['ovs-vsctl']), [
      `ovs-vsctl -- --may-exist add-port br-int ${TAP1} -- set Interface ${TAP1} external-ids:iface-id=${PORT1} `
      + `external-ids:iface-status=active external-ids:attached-mac=fa:16:3e:12:34:56 external-ids:vm-uuid=${EP1} external-ids:owner=kuryr`,
    ]);
    assert.deepEqual(exec.ovs.ports.get(TAP1), {
      bridge: 'br-int', name: TAP1,
      externalIds: { 'iface-id': PORT1, 'iface-status': 'active', 'attached-mac': 'fa:16:3e:12:34:56', 'vm-uuid': EP1, owner: 'kuryr' },
    });
    assert.equal(exec.links.get(TAP1)?.up, true);
    assert.equal(exec.links.get(TAP1)?.master, undefined);
    const all = exec.commands();
    assert.ok(all.findIndex((c) => c.includes('type veth')) < all.findIndex((c) => c.startsWith('ovs-vsctl')), 'veth before OVS');

    await binding.unplug(unplugReq({ vifType: 'ovs', vifDetails: {} }));
    assert.deepEqual(exec.commands(['ovs-vsctl']).at(-1), `ovs-vsctl --if-exists del-port br-int ${TAP1}`);
    assert.equal(exec.ovs.ports.size, 0);
    assert.deepEqual(exec.links.names(), []);
    await binding.unplug(unplugReq({ vifType: 'ovs', vifDetails: {} }));
  });

  it('uses vif_details.bridge_name when Neutron sends one', async () => {
    const { exec, binding } = setup({ ovsBridges: ['br-int', 'br-tenant'] });
    await binding.plug(plugReq({ vifType: 'ovs', vifDetails: { bridge_name: 'br-tenant' } }));
    assert.equal(exec.ovs.ports.get(TAP1)?.bridge, 'br-tenant');
    await binding.unplug(unplugReq({ vifType: 'ovs', vifDetails: { bridge_name: 'br-tenant' } }));
    assert.equal(exec.ovs.ports.size, 0);
  });

  it('hybrid plugging is refused before anything is created', async () => {
    const { exec, binding } = setup({ ovsBridges: ['br-int'] });
    await rejectsWith(binding.plug(plugReq({ vifType: 'ovs', vifDetails: { ovs_hybrid_plug: true } })),
      'ERR_BINDING_UNSUPPORTED', /hybrid OVS plugging is not supported/);
    assert.deepEqual(exec.calls, []);
  });

  it('an ovs-vsctl failure rolls the veth back', async () => {
    const { exec, binding } = setup(); // no br-int
    exec.failOn(['ovs-vsctl'], 'ovs-vsctl: no bridge named br-int', { code: 1 });
    const err = await binding.plug(plugReq({ vifType: 'ovs' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.match(err.message, /no bridge named br-int/);
    assert.deepEqual(exec.links.names(), []);
  });
});

describe('veth binding: tap, unbound, binding_failed', () => {
  it('tap: only the pair, unplug deletes it', async () => {
    const { exec, binding } = setup();
    await binding.plug(plugReq({ vifType: 'tap' }));
    assert.deepEqual(exec.links.names().sort(), [TAP1, TC1].sort());
    assert.equal(exec.links.get(TAP1)?.master, undefined);
    await binding.unplug(unplugReq({ vifType: 'tap' }));
    assert.deepEqual(exec.links.names(), []);
  });

  it('binding_failed names the port and the likely causes; nothing is created', async () => {
    const { exec, binding } = setup();
    const err = await rejectsWith(binding.plug(plugReq({ vifType: 'binding_failed' })), 'ERR_BINDING_FAILED');
    const msg = (err as Error).message;
    assert.ok(msg.includes(PORT1));
    assert.match(msg, /no L2 agent/);
    assert.match(msg, /\[DEFAULT\] host/);
    assert.match(msg, /mechanism driver cannot bind/);
    assert.deepEqual(exec.calls, []);
  });

  it('unbound (or an empty vif_type) says the port is not bound to a host', async () => {
    const { exec, binding } = setup();
    await rejectsWith(binding.plug(plugReq({ vifType: 'unbound' })), 'ERR_BINDING_FAILED', /port is not bound to a host|is not bound to a host/);
    await rejectsWith(binding.plug(plugReq({ vifType: '' })), 'ERR_BINDING_FAILED', /not bound to a host/);
    assert.deepEqual(exec.calls, []);
  });

  it('unplug of a port that never bound just removes a leftover veth', async () => {
    const { exec, ipLink, binding } = setup();
    await ipLink.addVeth(TAP1, TC1);
    await binding.unplug(unplugReq({ vifType: 'binding_failed' }));
    assert.deepEqual(exec.links.names(), []);
  });
});

describe('veth binding: upstream binding scripts', () => {
  it('runs <bindir>/<vif_type> bind with upstream argument order and the Python-repr vif_details', async () => {
    const { exec, binding } = setup();
    exec.addExecutable(`${BINDIR}/midonet`);
    await binding.plug(plugReq({ vifType: 'midonet', vifDetails: { port_filter: true, 'a\'b': null } }));
    const bind = exec.calls.find((c) => c.argv[0] === `${BINDIR}/midonet`);
    assert.deepEqual(bind?.argv, [
      `${BINDIR}/midonet`, 'bind', PORT1, TAP1, EP1, 'fa:16:3e:12:34:56', NET, '0123456789abcdef0123456789abcdef',
      `"{'port_filter': True, "a'b": None}"`,
    ]);
    assert.deepEqual(exec.links.names().sort(), [TAP1, TC1].sort());
    const all = exec.commands();
    assert.ok(all.indexOf(`test -x ${BINDIR}/midonet`) < all.findIndex((c) => c.includes('type veth')), 'script checked before creating anything');

    await binding.unplug(unplugReq({ vifType: 'midonet', vifDetails: {} }));
    const unbind = exec.calls.filter((c) => c.argv[0] === `${BINDIR}/midonet`).at(-1);
    assert.deepEqual(unbind?.argv, [`${BINDIR}/midonet`, 'unbind', PORT1, TAP1, EP1, 'fa:16:3e:12:34:56', 'None', NET]);
    assert.deepEqual(exec.links.names(), []);
    assert.ok(exec.commands().indexOf(`ip link del dev ${TAP1}`) > exec.commands().findIndex((c) => c.includes(' unbind ')), 'unbind before delete');
  });

  it('a missing script is ERR_BINDING_UNSUPPORTED naming the path, before any link is made', async () => {
    const { exec, binding } = setup();
    await rejectsWith(binding.plug(plugReq({ vifType: 'vhostuser' })), 'ERR_BINDING_UNSUPPORTED',
      /^vif_type vhostuser is not supported: no \/usr\/libexec\/kuryr\/vhostuser$/);
    assert.deepEqual(exec.commands(), [`test -x ${BINDIR}/vhostuser`]);
  });

  it('vif_type must be a plain file name', async () => {
    const { exec, binding } = setup();
    for (const t of ['../../bin/sh', '/bin/sh', '.hidden', 'a b', '..']) {
      await rejectsWith(binding.plug(plugReq({ vifType: t })), 'ERR_BINDING_UNSUPPORTED', /not a valid binding script name/);
    }
    assert.deepEqual(exec.calls, []);
  });

  it('a failing script rolls the veth back and its HostCommandError reaches the caller', async () => {
    const { exec, binding } = setup();
    exec.addExecutable(`${BINDIR}/iovisor`, { code: 1, stderr: 'ifc_ctl: gateway unreachable' });
    const err = await binding.plug(plugReq({ vifType: 'iovisor' })).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HostCommandError);
    assert.equal(err.details['code'], 1);
    assert.equal(err.details['stderr'], 'ifc_ctl: gateway unreachable');
    assert.deepEqual(exec.links.names(), []);
  });

  it('unplug with a script that is gone still removes the veth', async () => {
    const { exec, ipLink, binding } = setup();
    await ipLink.addVeth(TAP1, TC1);
    await binding.unplug(unplugReq({ vifType: 'midonet' }));
    assert.deepEqual(exec.links.names(), []);
  });
});

describe('veth binding: input validation', () => {
  it('refuses bad IDs, MACs and MTUs before touching the host', async () => {
    const { exec, binding } = setup();
    const cases: Array<Partial<PlugRequest>> = [
      { portId: 'not-a-uuid' }, { networkId: '../x' }, { mac: 'fa:16:3e:12:34' }, { mtu: 20 },
      { endpointId: 'a b' }, { projectId: 'x=y' },
    ];
    for (const c of cases) await assert.rejects(binding.plug(plugReq(c)), InvalidRequestError);
    await assert.rejects(binding.unplug(unplugReq({ mac: 'nope' })), InvalidRequestError);
    assert.deepEqual(exec.calls, []);
  });

  it('isLinkExists surfaces when a foreign link holds our veth name and cannot be removed', async () => {
    const { exec, binding } = setup();
    exec.failOn(argvIncludes('type', 'veth'), 'RTNETLINK answers: File exists', { code: 2 });
    const err = await binding.plug(plugReq()).then(() => undefined, (e: unknown) => e);
    assert.ok(isLinkExists(err));
  });
});

describe('pythonRepr / vifDetailsArg', () => {
  it('renders dicts like Python str(dict)', () => {
    assert.equal(pythonRepr({ port_filter: true, ovs_hybrid_plug: false, bridge_name: 'br-int', datapath_type: 'system' }),
      "{'port_filter': True, 'ovs_hybrid_plug': False, 'bridge_name': 'br-int', 'datapath_type': 'system'}");
    assert.equal(pythonRepr({ a: null, b: [1, 'x', { c: 2.5 }], d: {} }), "{'a': None, 'b': [1, 'x', {'c': 2.5}], 'd': {}}");
    assert.equal(pythonRepr({ vlan: '100' }), "{'vlan': '100'}");
  });
  it('quotes and escapes strings as Python does', () => {
    assert.equal(pythonRepr("it's"), `"it's"`);
    assert.equal(pythonRepr(`both ' and "`), `'both \\' and "'`);
    assert.equal(pythonRepr('a\\b\n\t\r'), "'a\\\\b\\n\\t\\r'");
    assert.equal(pythonRepr('\u0001\u007f\u00a0é\u2028😀'), "'\\x01\\x7f\\xa0é\\u2028😀'");
  });
  it('renders numbers like Python ints and floats', () => {
    assert.equal(pythonRepr(1500), '1500');
    assert.equal(pythonRepr(-3), '-3');
    assert.equal(pythonRepr(1e21), '1000000000000000000000');
    assert.equal(pythonRepr(0.1), '0.1');
    assert.equal(pythonRepr(1.5e-7), '1.5e-07');
    assert.equal(pythonRepr(0.00001), '1e-05');
    assert.equal(pythonRepr(0.0001), '0.0001');
    assert.equal(pythonRepr(-2.5e-10), '-2.5e-10');
  });
  it('wraps non-empty details in double quotes and renders empty ones as None', () => {
    assert.equal(vifDetailsArg({ port_filter: true }), `"{'port_filter': True}"`);
    assert.equal(vifDetailsArg({}), 'None');
    assert.equal(vifDetailsArg(null), 'None');
    assert.ok(vifDetailsArg({ ovs_hybrid_plug: true }).includes("'ovs_hybrid_plug': True"), "upstream's ovs script greps this");
  });
});
