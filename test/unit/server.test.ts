// The protocol server through fastify's inject (no socket): body parsing without Content-Type, the error keys
// dockerd reads per interface, transport errors, and internal errors that reveal nothing but a request id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createServer } from '../../src/server/server.ts';
import { createFakeNeutron } from '../../src/testing/fake-neutron.ts';
import { testContext } from '../../src/testing/context.ts';

const silent = pino({ level: 'silent' });

function app(neutron = createFakeNeutron()) {
  return createServer(testContext(neutron), { logger: silent });
}

test('argument-less calls arrive with an empty body and no Content-Type', async () => {
  const a = app();
  const r = await a.inject({ method: 'POST', url: '/Plugin.Activate', payload: '' });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { Implements: ['NetworkDriver', 'IpamDriver'] });
  assert.match(String(r.headers['content-type']), /application\/vnd\.docker\.plugins\.v1\+json/);
  const c = await a.inject({ method: 'POST', url: '/IpamDriver.GetCapabilities' });
  assert.deepEqual(c.json(), { RequiresMACAddress: false, RequiresRequestReplay: false });
});

test('a JSON body with dockerd\'s vnd content type (or none) is parsed', async () => {
  const a = app();
  const body = JSON.stringify({ AddressSpace: 'x', Pool: '10.9.0.0/24', SubPool: '', Options: {}, V6: false }) + '\n';
  for (const headers of [{}, { 'content-type': 'application/vnd.docker.plugins.v1.2+json' }, { 'content-type': 'text/plain' }]) {
    const r = await a.inject({ method: 'POST', url: '/IpamDriver.RequestPool', payload: body, headers });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().Pool, '10.9.0.0/24');
  }
});

test('NetworkDriver failures are 200 {Err}; IpamDriver failures are 200 {Error}', async () => {
  const a = app();
  const n = await a.inject({ method: 'POST', url: '/NetworkDriver.Join',
    payload: { NetworkID: 'a'.repeat(64), EndpointID: 'b'.repeat(64), SandboxKey: '/run/netns/x' } });
  assert.equal(n.statusCode, 200);
  assert.deepEqual(Object.keys(n.json()), ['Err']);
  assert.match(n.json().Err, /^ERR_NETWORK_NOT_FOUND: /);
  const i = await a.inject({ method: 'POST', url: '/IpamDriver.RequestAddress',
    payload: { PoolID: '00000000-0000-4000-8000-000000000000', Address: '', Options: {} } });
  assert.equal(i.statusCode, 200);
  assert.deepEqual(Object.keys(i.json()), ['Error']);
  assert.match(i.json().Error, /^ERR_SUBNET_NOT_FOUND: /);
});

test('schema errors name the offending field', async () => {
  const r = await app().inject({ method: 'POST', url: '/NetworkDriver.CreateNetwork',
    payload: { NetworkID: 'abc', IPv4Data: [], IPv6Data: [] } });
  assert.match(r.json().Err, /^ERR_INVALID_REQUEST: NetworkID: /);
  const p = await app().inject({ method: 'POST', url: '/IpamDriver.RequestPool',
    payload: { AddressSpace: 'x', Pool: '10.0.0.0/33', V6: false } });
  assert.match(p.json().Error, /^ERR_INVALID_REQUEST: Pool: /);
});

test('any absolute SandboxKey is accepted (custom dockerd --exec-root), IPv6 /109 and /119 pools too', async () => {
  const a = app();
  const j = await a.inject({ method: 'POST', url: '/NetworkDriver.Join',
    payload: { NetworkID: 'a'.repeat(64), EndpointID: 'b'.repeat(64), SandboxKey: '/srv/docker/exec/netns/0123' } });
  assert.doesNotMatch(j.json().Err, /SandboxKey/);
  for (const pool of ['fd00::/109', 'fd00::/119']) {
    const r = await a.inject({ method: 'POST', url: '/IpamDriver.RequestPool', payload: { AddressSpace: 'x', Pool: pool, SubPool: '', V6: true } });
    assert.equal(r.json().Pool, pool);
  }
});

test('malformed JSON is 400 {Err}; an unknown method is 404 {Err}', async () => {
  const a = app();
  const bad = await a.inject({ method: 'POST', url: '/NetworkDriver.CreateNetwork', payload: '{"NetworkID":' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().Err, /ERR_INVALID_REQUEST/);
  const unknown = await a.inject({ method: 'POST', url: '/NetworkDriver.Nope', payload: '{}' });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.json().Err, /ERR_UNKNOWN_METHOD/);
});

test('an unexpected exception shows only a request id, never its message', async () => {
  const neutron = createFakeNeutron();
  neutron.failOn('listSubnetPools', new TypeError('secret internals: token=abc'));
  const r = await app(neutron).inject({ method: 'POST', url: '/IpamDriver.RequestPool',
    payload: { AddressSpace: 'x', Pool: '10.8.0.0/24', SubPool: '', Options: {}, V6: false } });
  assert.match(r.json().Error, /^ERR_INTERNAL: unexpected error, see the plugin log for request \S+$/);
  assert.doesNotMatch(r.body, /secret|token/);
});

test('AllocateNetwork echoes Options; the no-op calls answer {}', async () => {
  const a = app();
  const alloc = await a.inject({ method: 'POST', url: '/NetworkDriver.AllocateNetwork',
    payload: { NetworkID: 'abcdefghijklmnopqrstuvwxy', Options: { k: 'v' } } });
  assert.deepEqual(alloc.json(), { Options: { k: 'v' } });
  for (const url of ['/NetworkDriver.DiscoverNew', '/NetworkDriver.DiscoverDelete']) {
    assert.deepEqual((await a.inject({ method: 'POST', url, payload: { DiscoveryType: 1, DiscoveryData: {} } })).json(), {});
  }
  assert.deepEqual((await a.inject({ method: 'POST', url: '/NetworkDriver.FreeNetwork', payload: { NetworkID: 'a'.repeat(64) } })).json(), {});
  const ep = { NetworkID: 'a'.repeat(64), EndpointID: 'b'.repeat(64) };
  for (const url of ['/NetworkDriver.Leave', '/NetworkDriver.ProgramExternalConnectivity', '/NetworkDriver.RevokeExternalConnectivity']) {
    assert.deepEqual((await a.inject({ method: 'POST', url, payload: ep })).json(), {});
  }
});
