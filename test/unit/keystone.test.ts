// Keystone v3 password and application-credential auth: request bodies, token caching and refresh with a
// fake clock (margin for short-lived tokens, one shared login, the old token while Keystone is away),
// catalog selection by interface/region, and error messages that never carry the password or secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MockAgent } from 'undici';

import { ConfigError, PluginError, UnavailableError } from '../../src/errors.ts';
import { createNeutronHttpClient, describeNeutronTarget } from '../../src/neutron/http-client.ts';
import {
  buildApplicationCredentialAuthBody, buildAuthBody, buildPasswordAuthBody, createKeystoneSession, selectCatalogEndpoint,
  tokenTimes, tokensUrl, type ApplicationCredentialAuthConfig, type CatalogService, type PasswordAuthConfig,
} from '../../src/neutron/keystone.ts';
import type { Clock } from '../../src/util/clock.ts';

const KEYSTONE = 'http://keystone.test:5000';
const T0 = Date.parse('2030-01-01T00:00:00Z');

const AUTH: PasswordAuthConfig = {
  type: 'password',
  authUrl: `${KEYSTONE}/v3`,
  username: 'kuryr',
  password: 'hunter2-very-secret',
  userDomainName: 'Default',
  projectName: 'service',
  projectDomainName: 'Default',
};

const CATALOG: CatalogService[] = [
  { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${KEYSTONE}/v3` }] },
  { type: 'network', name: 'neutron', endpoints: [
    { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://pub-one:9696/' },
    { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://int-one:9696' },
    { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'http://pub-two:9696/v2.0/' },
    { interface: 'admin', region_id: 'RegionTwo', region: 'RegionTwo', url: 'https://cloud.test/network' },
  ] },
];

function fakeClock(start = T0): Clock & { t: number } {
  const c = { t: start, now: () => c.t, sleep: async (ms: number) => { c.t += ms; } };
  return c;
}

interface KsServer {
  bodies: unknown[];
  /** next reply: status + token; default 201 with a fresh token expiring in an hour from the clock */
  next: { status: number; body?: unknown } | undefined;
}

function keystoneServer(agent: MockAgent, clock: Clock, catalog: unknown = CATALOG): KsServer {
  const srv: KsServer = { bodies: [], next: undefined };
  agent.get(KEYSTONE).intercept({ path: '/v3/auth/tokens', method: 'POST' }).reply((opts) => {
    srv.bodies.push(JSON.parse(String(opts.body)));
    if (srv.next !== undefined) {
      const r = srv.next;
      return { statusCode: r.status, data: JSON.stringify(r.body ?? {}) };
    }
    const expires = new Date(clock.now() + 3600_000).toISOString();
    return {
      statusCode: 201,
      data: JSON.stringify({ token: { expires_at: expires, catalog } }),
      responseOptions: { headers: { 'x-subject-token': `tok-${srv.bodies.length}`, 'content-type': 'application/json' } },
    };
  }).persist();
  return srv;
}

function session(agent: MockAgent, clock: Clock, extra: Partial<Parameters<typeof createKeystoneSession>[0]> = {}) {
  return createKeystoneSession({ auth: AUTH, endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock, ...extra });
}

function mockAgent(): MockAgent {
  const a = new MockAgent();
  a.disableNetConnect();
  return a;
}

describe('keystone: request', () => {
  it('builds the password body for user/project by name + domain', () => {
    assert.deepEqual(buildPasswordAuthBody(AUTH), {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'kuryr', domain: { name: 'Default' }, password: 'hunter2-very-secret' } } },
        scope: { project: { name: 'service', domain: { name: 'Default' } } },
      },
    });
  });

  it('uses ids when given and the default domain id otherwise', () => {
    const byId = buildPasswordAuthBody({ type: 'password', authUrl: 'x', userId: 'u1', password: 'p', projectId: 'p1' });
    assert.deepEqual(byId, {
      auth: { identity: { methods: ['password'], password: { user: { id: 'u1', password: 'p' } } }, scope: { project: { id: 'p1' } } },
    });
    const dflt = buildPasswordAuthBody({ type: 'password', authUrl: 'x', username: 'u', password: 'p', projectName: 'svc', projectDomainId: 'd9' });
    assert.deepEqual(dflt, {
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'u', domain: { id: 'default' }, password: 'p' } } },
        scope: { project: { name: 'svc', domain: { id: 'd9' } } },
      },
    });
    assert.throws(() => buildPasswordAuthBody({ type: 'password', authUrl: 'x', password: 'p' }), ConfigError);
  });

  it('accepts auth_url with or without /v3', () => {
    assert.equal(tokensUrl('http://k:5000/v3'), 'http://k:5000/v3/auth/tokens');
    assert.equal(tokensUrl('http://k:5000/v3/'), 'http://k:5000/v3/auth/tokens');
    assert.equal(tokensUrl('http://k:5000'), 'http://k:5000/v3/auth/tokens');
    assert.equal(tokensUrl('http://k/identity/v2.0'), 'http://k/identity/v3/auth/tokens');
  });

  it('posts to {auth_url}/auth/tokens and reads X-Subject-Token', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    assert.deepEqual(srv.bodies[0], buildPasswordAuthBody(AUTH));
  });
});

describe('keystone: token cache', () => {
  it('caches the token and refreshes it 60 s before expires_at', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    clock.t = T0 + 3600_000 - 61_000;
    assert.equal(await s.token(), 'tok-1');
    assert.equal(srv.bodies.length, 1);
    clock.t = T0 + 3600_000 - 59_000;
    assert.equal(await s.token(), 'tok-2');
    assert.equal(srv.bodies.length, 2);
  });

  it('shares one authentication between concurrent callers', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const s = session(agent, clock);
    const tokens = await Promise.all([s.token(), s.token(), s.endpoint(), s.token()]);
    assert.deepEqual(tokens, ['tok-1', 'tok-1', 'http://pub-one:9696', 'tok-1']);
    assert.equal(srv.bodies.length, 1);
  });

  it('invalidate(stale) drops only that token', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    keystoneServer(agent, clock);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    s.invalidate('something-else');
    assert.equal(await s.token(), 'tok-1');
    s.invalidate('tok-1');
    assert.equal(await s.token(), 'tok-2');
    s.invalidate();
    assert.equal(await s.token(), 'tok-3');
  });
});

describe('keystone: catalog', () => {
  it('selects by interface and region, normalizing the URL', () => {
    assert.equal(selectCatalogEndpoint(CATALOG, { serviceType: 'network', interface: 'public' }), 'http://pub-one:9696');
    assert.equal(selectCatalogEndpoint(CATALOG, { serviceType: 'network', interface: 'internal' }), 'http://int-one:9696');
    assert.equal(selectCatalogEndpoint(CATALOG, { serviceType: 'network', interface: 'public', region: 'RegionTwo' }), 'http://pub-two:9696');
    assert.equal(selectCatalogEndpoint(CATALOG, { serviceType: 'network', interface: 'admin' }), 'https://cloud.test/network');
    const legacy: CatalogService[] = [{ type: 'network', endpoints: [{ interface: 'publicURL', url: 'http://legacy:9696' }] }];
    assert.equal(selectCatalogEndpoint(legacy, { serviceType: 'network', interface: 'public' }), 'http://legacy:9696');
  });

  it('says what the catalog had when nothing matches', () => {
    assert.throws(
      () => selectCatalogEndpoint(CATALOG, { serviceType: 'network', interface: 'internal', region: 'RegionTwo' }),
      (e: unknown) => {
        assert.ok(e instanceof PluginError);
        assert.equal(e.code, 'ERR_NEUTRON_AUTH');
        assert.match(e.message, /no endpoint with type "network", interface "internal", region "RegionTwo"/);
        assert.match(e.message, /network\/public\/RegionOne, network\/internal\/RegionOne, network\/public\/RegionTwo, network\/admin\/RegionTwo/);
        return true;
      },
    );
  });

  it('session.endpoint() uses the region and interface; endpointOverride bypasses the catalog', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    keystoneServer(agent, clock);
    assert.equal(await session(agent, clock, { regionName: 'RegionTwo', endpointType: 'admin' }).endpoint(), 'https://cloud.test/network');
    const withOverride = createKeystoneSession({
      auth: { ...AUTH, endpointOverride: 'http://override:9696/v2.0/' }, endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock,
    });
    assert.equal(await withOverride.endpoint(), 'http://override:9696');
  });

  it('a catalog without a network service is ERR_NEUTRON_AUTH', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    keystoneServer(agent, clock, [CATALOG[0]]);
    await assert.rejects(session(agent, clock).endpoint(), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'ERR_NEUTRON_AUTH');
      assert.match(e.message, /it has \(type\/interface\/region\): identity\/public\/RegionOne$/);
      return true;
    });
  });
});

describe('keystone: errors', () => {
  it('wrong password → ERR_NEUTRON_AUTH naming user and auth_url, without the password', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    srv.next = { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } };
    await assert.rejects(session(agent, clock).token(), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'ERR_NEUTRON_AUTH');
      assert.equal(e.message, `Keystone refused the credentials for user kuryr (domain Default) at ${KEYSTONE}/v3 (401)`);
      assert.doesNotMatch(`${e.message} ${JSON.stringify(e.details)}`, /hunter2/);
      return true;
    });
  });

  it('keystone 503 is a retryable UnavailableError; an unreachable keystone too', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    srv.next = { status: 503, body: { error: { code: 503, title: 'Service Unavailable', message: 'down' } } };
    await assert.rejects(session(agent, clock).token(), (e: unknown) => e instanceof UnavailableError && e.retryable &&
      e.message === `Keystone at ${KEYSTONE}/v3 answered 503 Service Unavailable: down`);

    const agent2 = mockAgent();
    agent2.get(KEYSTONE).intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await assert.rejects(session(agent2, clock).token(), (e: unknown) => e instanceof UnavailableError &&
      e.message === 'POST /v3/auth/tokens: Keystone unreachable (ECONNREFUSED)');
  });

  it('rejects a bad auth_url at construction, without echoing credentials', () => {
    assert.throws(() => session(mockAgent(), fakeClock(), { auth: { ...AUTH, authUrl: 'ftp://u:pw@k/v3' } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.doesNotMatch(e.message, /pw/);
      return true;
    });
  });

  it('describe() names auth URL, user and project only', () => {
    const d = session(mockAgent(), fakeClock()).describe();
    assert.equal(d, `Keystone ${KEYSTONE}/v3 user kuryr (domain Default) project service`);
  });
});

// ------------------------------------------------------------------------------------------------------

const APPCRED: ApplicationCredentialAuthConfig = {
  type: 'v3applicationcredential',
  authUrl: `${KEYSTONE}/v3`,
  applicationCredentialId: 'ac-123',
  applicationCredentialSecret: 'appcred-very-secret',
};

/** Keystone issuing tokens of `lifetimeMs`, with issued_at/expires_at on `serverClock` (may differ from ours). */
function shortTokenServer(agent: MockAgent, serverClock: () => number, lifetimeMs: number) {
  const srv = { bodies: [] as unknown[], down: false };
  agent.get(KEYSTONE).intercept({ path: '/v3/auth/tokens', method: 'POST' }).reply((opts) => {
    srv.bodies.push(JSON.parse(String(opts.body)));
    if (srv.down) return { statusCode: 503, data: JSON.stringify({ error: { code: 503, title: 'Service Unavailable', message: 'down' } }) };
    const issued = Math.floor(serverClock() / 1000) * 1000; // Keystone: whole seconds
    return {
      statusCode: 201,
      data: JSON.stringify({ token: {
        issued_at: new Date(issued).toISOString(), expires_at: new Date(issued + lifetimeMs).toISOString(), catalog: CATALOG,
      } }),
      responseOptions: { headers: { 'x-subject-token': `tok-${srv.bodies.length}` } },
    };
  }).persist();
  return srv;
}

describe('keystone: application credentials', () => {
  it('builds the application_credential body: by id, or by name with the owning user; no scope', () => {
    assert.deepEqual(buildApplicationCredentialAuthBody(APPCRED), {
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-123', secret: 'appcred-very-secret' } } },
    });
    const byName = { type: 'v3applicationcredential', authUrl: 'x', applicationCredentialName: 'cred', applicationCredentialSecret: 's' } as const;
    assert.deepEqual(buildApplicationCredentialAuthBody({ ...byName, userId: 'u1' }), {
      auth: { identity: { methods: ['application_credential'], application_credential: { name: 'cred', user: { id: 'u1' }, secret: 's' } } },
    });
    assert.deepEqual(buildApplicationCredentialAuthBody({ ...byName, username: 'kuryr', userDomainName: 'Default' }), {
      auth: { identity: { methods: ['application_credential'],
        application_credential: { name: 'cred', user: { name: 'kuryr', domain: { name: 'Default' } }, secret: 's' } } },
    });
    assert.deepEqual(
      (buildApplicationCredentialAuthBody({ ...byName, username: 'kuryr' }) as { auth: { identity: { application_credential: { user: unknown } } } })
        .auth.identity.application_credential.user,
      { name: 'kuryr', domain: { id: 'default' } },
    );
    assert.throws(() => buildApplicationCredentialAuthBody(byName), ConfigError);
    assert.throws(() => buildApplicationCredentialAuthBody({ type: 'v3applicationcredential', authUrl: 'x', applicationCredentialSecret: 's' }),
      ConfigError);
    assert.deepEqual(buildAuthBody(APPCRED), buildApplicationCredentialAuthBody(APPCRED));
    assert.deepEqual(buildAuthBody(AUTH), buildPasswordAuthBody(AUTH));
  });

  it('a session posts it, and a 401 names the credential id but never the secret', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const s = createKeystoneSession({ auth: APPCRED, endpointType: 'internal', timeoutMs: 2000, dispatcher: agent, clock });
    assert.equal(await s.token(), 'tok-1');
    assert.equal(await s.endpoint(), 'http://int-one:9696');
    assert.deepEqual(srv.bodies[0], buildApplicationCredentialAuthBody(APPCRED));
    assert.equal(s.describe(), `Keystone ${KEYSTONE}/v3 application credential id ac-123`);
    assert.equal(s.tokensIssued(), 1);

    srv.next = { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } };
    s.invalidate();
    await assert.rejects(s.token(), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'ERR_NEUTRON_AUTH');
      assert.equal(e.message, `Keystone refused the credentials for application credential id ac-123 at ${KEYSTONE}/v3 (401)`);
      assert.doesNotMatch(`${e.message} ${JSON.stringify(e.details)}`, /very-secret/);
      return true;
    });
    const byName = createKeystoneSession({
      auth: { type: 'v3applicationcredential', authUrl: `${KEYSTONE}/v3`, applicationCredentialName: 'cred', applicationCredentialSecret: 'x',
        username: 'kuryr', userDomainName: 'Default' },
      endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock,
    });
    assert.equal(byName.describe(), `Keystone ${KEYSTONE}/v3 application credential cred of user kuryr (domain Default)`);
  });

  it('the Neutron HTTP client authenticates with it and sends the token', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const seen: (string | undefined)[] = [];
    agent.get('http://pub-one:9696').intercept({ path: '/v2.0/networks', method: 'GET' }).reply((opts) => {
      seen.push((opts.headers as Record<string, string>)['x-auth-token']);
      return { statusCode: 200, data: JSON.stringify({ networks: [] }) };
    }).persist();
    const client = createNeutronHttpClient({ auth: APPCRED, endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock });
    assert.deepEqual(await client.listNetworks(), []);
    assert.deepEqual(seen, ['tok-1']);
    assert.deepEqual(srv.bodies, [buildApplicationCredentialAuthBody(APPCRED)]);
    assert.equal(client.describe(), `Neutron catalog network/public (Keystone ${KEYSTONE}/v3, application credential id ac-123)`);
    assert.equal(describeNeutronTarget(AUTH), `Neutron catalog network/public (Keystone ${KEYSTONE}/v3, user kuryr)`);
  });
});

describe('keystone: refresh before expiry', () => {
  it('tokenTimes: 60 s ahead for long tokens, a quarter of the lifetime for short ones, 1 s slack for whole-second issued_at', () => {
    const sent = 1_000_000;
    assert.deepEqual(tokenTimes(sent, T0, T0 + 3600_000, 60_000), { expiresAt: sent + 3599_000, refreshAt: sent + 3539_000 });
    assert.deepEqual(tokenTimes(sent, T0, T0 + 20_000, 60_000), { expiresAt: sent + 19_000, refreshAt: sent + 14_000 });
    // only the lifetime counts: Keystone's clock an hour ahead of ours changes nothing
    assert.deepEqual(tokenTimes(sent, sent + 3600_000, sent + 3620_000, 60_000), { expiresAt: sent + 19_000, refreshAt: sent + 14_000 });
    // without issued_at: expires_at as is, margin from what is left
    assert.deepEqual(tokenTimes(sent, undefined, sent + 40_000, 60_000), { expiresAt: sent + 40_000, refreshAt: sent + 30_000 });
    assert.deepEqual(tokenTimes(sent, undefined, undefined, 60_000), { expiresAt: undefined, refreshAt: undefined });
    // a smaller configured cap wins
    assert.deepEqual(tokenTimes(sent, T0, T0 + 3600_000, 10_000), { expiresAt: sent + 3599_000, refreshAt: sent + 3589_000 });
  });

  it('a 20 s token is replaced 5 s before it runs out, with one login for all concurrent callers', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = shortTokenServer(agent, () => clock.t, 20_000);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    clock.t = T0 + 13_999;
    assert.deepEqual(await Promise.all([s.token(), s.endpoint()]), ['tok-1', 'http://pub-one:9696']);
    clock.t = T0 + 14_000;
    assert.deepEqual(await Promise.all([s.token(), s.token(), s.endpoint(), s.token()]), ['tok-2', 'tok-2', 'http://pub-one:9696', 'tok-2']);
    assert.equal(srv.bodies.length, 2);
    // and so on, every 14 s of the next token's life
    clock.t = T0 + 28_000;
    assert.equal(await s.token(), 'tok-3');
    assert.equal(s.tokensIssued(), 3);
  });

  it('Keystone down in the refresh window: the still-valid token is used; once it has run out, the error surfaces', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = shortTokenServer(agent, () => clock.t, 20_000);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    srv.down = true;
    clock.t = T0 + 15_000;
    assert.equal(await s.token(), 'tok-1');
    assert.equal(srv.bodies.length, 2, 'a refresh was tried');
    clock.t = T0 + 19_000;
    await assert.rejects(s.token(), (e: unknown) => e instanceof UnavailableError && e.code === 'ERR_NEUTRON_UNAVAILABLE');
    srv.down = false;
    assert.equal(await s.token(), 'tok-4');
  });

  it('a refresh refused with 401 (credentials revoked) is not papered over', async () => {
    const agent = mockAgent();
    const clock = fakeClock();
    const srv = keystoneServer(agent, clock);
    const s = session(agent, clock);
    assert.equal(await s.token(), 'tok-1');
    srv.next = { status: 401, body: {} };
    clock.t = T0 + 3600_000 - 30_000;
    await assert.rejects(s.token(), (e: unknown) => e instanceof PluginError && e.code === 'ERR_NEUTRON_AUTH');
  });
});
