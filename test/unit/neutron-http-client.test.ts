// The undici Neutron client against MockAgent (no network): request shapes, query encoding, pagination,
// tag URLs, error mapping, read retry, 401 re-auth, timeout, and that tokens never reach error messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MockAgent } from 'undici';

import {
  ConflictError, InvalidRequestError, NotFoundError, PluginError, UnavailableError,
} from '../../src/errors.ts';
import type { NeutronAuthConfig } from '../../src/config/types.ts';
import {
  createNeutronHttpClient, describeNeutronTarget, encodeNeutronQuery, type NeutronHttpClientOptions,
} from '../../src/neutron/http-client.ts';
import { neutronErrorType } from '../../src/neutron/errors.ts';
import type { Clock } from '../../src/util/clock.ts';

const NEUTRON = 'http://neutron.test:9696';
const KEYSTONE = 'http://keystone.test:5000';

interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

interface Scripted {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function fakeClock(): Clock & { slept: number[]; t: number } {
  const c = {
    t: 1_700_000_000_000,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => { c.slept.push(ms); c.t += ms; },
  };
  return c;
}

function headerRecord(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h !== null && typeof h === 'object') {
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) out[k.toLowerCase()] = String(v);
  }
  return out;
}

/** A MockAgent whose `origin` answers every request through `handler`; returns the request log. */
function scriptedServer(agent: MockAgent, origin: string, handler: (req: SeenRequest, n: number) => Scripted): SeenRequest[] {
  const seen: SeenRequest[] = [];
  agent.get(origin).intercept({ path: () => true, method: () => true }).reply((opts) => {
    const bodyText = typeof opts.body === 'string' ? opts.body : opts.body == null ? '' : String(opts.body);
    const req: SeenRequest = {
      method: opts.method,
      path: opts.path,
      headers: headerRecord(opts.headers),
      body: bodyText === '' ? undefined : JSON.parse(bodyText),
    };
    seen.push(req);
    const r = handler(req, seen.length);
    const data = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return { statusCode: r.status, data, responseOptions: { headers: { 'content-type': 'application/json', ...r.headers } } };
  }).persist();
  return seen;
}

function mockAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

function noauthClient(agent: MockAgent, extra: Partial<NeutronHttpClientOptions> = {}) {
  const clock = fakeClock();
  const client = createNeutronHttpClient({
    auth: { type: 'none', endpointOverride: `${NEUTRON}/` },
    endpointType: 'public',
    timeoutMs: 2000,
    dispatcher: agent,
    clock,
    ...extra,
  });
  return { client, clock };
}

const PASSWORD_AUTH: NeutronAuthConfig = {
  type: 'password',
  authUrl: `${KEYSTONE}/v3`,
  username: 'kuryr',
  password: 'sup3r-s3cret',
  userDomainName: 'Default',
  projectName: 'service',
  projectDomainName: 'Default',
};

function tokenBody(expiresAt: string) {
  return {
    token: {
      expires_at: expiresAt,
      catalog: [
        { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${KEYSTONE}/v3` }] },
        { type: 'network', name: 'neutron', endpoints: [
          { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${NEUTRON}/` },
          { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://internal.test:9696' },
        ] },
      ],
    },
  };
}

async function caught(p: Promise<unknown>): Promise<PluginError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PluginError, `not a PluginError: ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('encodeNeutronQuery', () => {
  it('repeats array keys, encodes = and &, keeps , : / readable, skips undefined', () => {
    assert.equal(
      encodeNeutronQuery({
        network_id: 'n1', fixed_ips: ['subnet_id=s1', 'ip_address=10.0.0.5'], tags: 'kuryr.net.uuid.lh:ab,x/y',
        name: 'a b&c', shared: false, mtu: 1450, gone: undefined,
      }),
      'network_id=n1&fixed_ips=subnet_id%3Ds1&fixed_ips=ip_address%3D10.0.0.5&tags=kuryr.net.uuid.lh:ab,x/y' +
      '&name=a%20b%26c&shared=false&mtu=1450',
    );
    assert.equal(encodeNeutronQuery(undefined), '');
    assert.equal(encodeNeutronQuery({}), '');
  });
});

describe('neutron http client: requests', () => {
  it('lists with an encoded query, no token in noauth mode, and logs each call', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, () => ({ status: 200, body: { ports: [{ id: 'p1' }] } }));
    const logs: Record<string, unknown>[] = [];
    const { client } = noauthClient(agent, { logger: { debug: (o) => { logs.push(o); } } });
    const ports = await client.listPorts({ network_id: 'n1', fixed_ips: ['subnet_id=s1', 'ip_address=10.0.0.5'], tags: 'a,b' });
    assert.deepEqual(ports, [{ id: 'p1' }]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.path, '/v2.0/ports?network_id=n1&fixed_ips=subnet_id%3Ds1&fixed_ips=ip_address%3D10.0.0.5&tags=a,b');
    assert.equal(seen[0]?.headers['x-auth-token'], undefined);
    assert.equal(seen[0]?.headers['accept'], 'application/json');
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.['method'], 'GET');
    assert.equal(logs[0]?.['status'], 200);
    assert.equal(typeof logs[0]?.['ms'], 'number');
    assert.equal(logs[0]?.['path'], seen[0]?.path);
  });

  it('follows <resource>_links next pages, on our own origin', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => {
      if (req.path === '/v2.0/networks?name=x') {
        return { status: 200, body: {
          networks: [{ id: 'n1' }],
          networks_links: [{ rel: 'next', href: 'http://10.0.0.1:9696/v2.0/networks?name=x&limit=1&marker=n1' }],
        } };
      }
      if (req.path === '/v2.0/networks?name=x&limit=1&marker=n1') {
        return { status: 200, body: {
          networks: [{ id: 'n2' }],
          networks_links: [{ rel: 'previous', href: 'http://10.0.0.1:9696/v2.0/networks?name=x&page_reverse=True' }],
        } };
      }
      return { status: 500 };
    });
    const { client } = noauthClient(agent);
    const nets = await client.listNetworks({ name: 'x' });
    assert.deepEqual(nets.map((n) => n.id), ['n1', 'n2']);
    assert.equal(seen.length, 2);
  });

  it('keeps a base path prefix (Neutron behind a proxy) when following next links', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => req.path === '/network/v2.0/ports'
      ? { status: 200, body: { ports: [{ id: 'p1' }], ports_links: [{ rel: 'next', href: 'http://backend:9696/v2.0/ports?marker=p1' }] } }
      : { status: 200, body: { ports: [{ id: 'p2' }], ports_links: [] } });
    const { client } = noauthClient(agent, { auth: { type: 'none', endpointOverride: `${NEUTRON}/network/v2.0` } });
    assert.deepEqual((await client.listPorts()).map((p) => p.id), ['p1', 'p2']);
    assert.deepEqual(seen.map((r) => r.path), ['/network/v2.0/ports', '/network/v2.0/ports?marker=p1']);
  });

  it('wraps create/update bodies and unwraps the answer; DELETE sends no body', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => {
      if (req.method === 'POST') return { status: 201, body: { port: { id: 'p1', name: 'x' } } };
      if (req.method === 'PUT') return { status: 200, body: { port: { id: 'p1', name: 'y' } } };
      return { status: 204 };
    });
    const { client } = noauthClient(agent);
    const created = await client.createPort({ network_id: 'n1', name: 'x', 'binding:host_id': 'h1' });
    assert.deepEqual(created, { id: 'p1', name: 'x' });
    const updated = await client.updatePort('p1', { name: 'y' });
    assert.equal(updated.name, 'y');
    await client.deletePort('p1');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), ['POST /v2.0/ports', 'PUT /v2.0/ports/p1', 'DELETE /v2.0/ports/p1']);
    assert.deepEqual(seen[0]?.body, { port: { network_id: 'n1', name: 'x', 'binding:host_id': 'h1' } });
    assert.equal(seen[0]?.headers['content-type'], 'application/json');
    assert.deepEqual(seen[1]?.body, { port: { name: 'y' } });
    assert.equal(seen[2]?.body, undefined);
  });

  it('sends the single-subnet and subnetpool forms', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => req.path === '/v2.0/subnets'
      ? { status: 201, body: { subnet: { id: 's1' } } }
      : { status: 201, body: { subnetpool: { id: 'sp1', default_prefixlen: '24' } } });
    const { client } = noauthClient(agent);
    assert.equal((await client.createSubnet({ network_id: 'n1', ip_version: 4, cidr: '10.0.0.0/24' })).id, 's1');
    assert.equal((await client.createSubnetPool({ name: 'p', prefixes: ['10.0.0.0/16'] })).default_prefixlen, '24');
    assert.deepEqual(seen[0]?.body, { subnet: { network_id: 'n1', ip_version: 4, cidr: '10.0.0.0/24' } });
    assert.deepEqual(seen[1]?.body, { subnetpool: { name: 'p', prefixes: ['10.0.0.0/16'] } });
  });

  it('URL-encodes tags in the tag path', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => ({ status: req.method === 'PUT' ? 201 : 204, body: req.method === 'PUT' ? 'null' : undefined }));
    const { client } = noauthClient(agent);
    await client.addTag('networks', 'n1', 'kuryr.net.uuid.lh:0123abcd');
    await client.removeTag('ports', 'p1', 'a b+c');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
      'PUT /v2.0/networks/n1/tags/kuryr.net.uuid.lh%3A0123abcd',
      'DELETE /v2.0/ports/p1/tags/a%20b%2Bc',
    ]);
  });

  it('adds and removes a tag containing "/" through the tag list (Neutron 404s on %2F in the path)', async () => {
    const agent = mockAgent();
    let tags = ['b', 'z'];
    const seen = scriptedServer(agent, NEUTRON, (req) => {
      if (req.method === 'GET') return { status: 200, body: { tags } };
      tags = (req.body as { tags: string[] }).tags;
      return { status: 200, body: { tags } };
    });
    const { client } = noauthClient(agent);
    await client.addTag('subnets', 's1', 'pool:10.0.0.0/24');
    assert.deepEqual(tags, ['b', 'z', 'pool:10.0.0.0/24']);
    await client.removeTag('subnets', 's1', 'pool:10.0.0.0/24');
    assert.deepEqual(tags, ['b', 'z']);
    const err = await caught(client.removeTag('subnets', 's1', 'pool:10.0.0.0/24'));
    assert.ok(err instanceof NotFoundError);
    assert.equal(neutronErrorType(err), 'TagNotFound');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
      'GET /v2.0/subnets/s1/tags', 'PUT /v2.0/subnets/s1/tags',
      'GET /v2.0/subnets/s1/tags', 'PUT /v2.0/subnets/s1/tags',
      'GET /v2.0/subnets/s1/tags',
    ]);
  });

  it('hasExtension: 200 → true, 404 (even an HTML page) → false', async () => {
    const agent = mockAgent();
    scriptedServer(agent, NEUTRON, (req) => req.path.endsWith('/standard-attr-tag')
      ? { status: 200, body: { extension: { alias: 'standard-attr-tag' } } }
      : { status: 404, body: '<html><body>404 Not Found</body></html>', headers: { 'content-type': 'text/html' } });
    const { client } = noauthClient(agent);
    assert.equal(await client.hasExtension('standard-attr-tag'), true);
    assert.equal(await client.hasExtension('tag-ext'), false);
  });

  it('security groups: hyphenated URLs, underscored bodies and list keys (with their _links pages)', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (req) => {
      if (req.method === 'GET' && req.path === '/v2.0/security-groups?name=p1-exposed_ports') {
        return { status: 200, body: {
          security_groups: [{ id: 'sg1' }],
          security_groups_links: [{ rel: 'next', href: 'http://10.0.0.1:9696/v2.0/security-groups?name=p1-exposed_ports&marker=sg1' }],
        } };
      }
      if (req.method === 'GET') return { status: 200, body: { security_groups: [{ id: 'sg2' }], security_groups_links: [] } };
      if (req.path === '/v2.0/security-groups' && req.method === 'POST') {
        return { status: 201, body: { security_group: { id: 'sg3', name: 'p1-exposed_ports', security_group_rules: [] } } };
      }
      if (req.path === '/v2.0/security-group-rules') {
        return { status: 201, body: { security_group_rule: { id: 'r1', protocol: 'tcp', port_range_min: 80, port_range_max: 81 } } };
      }
      return { status: 204 };
    });
    const { client } = noauthClient(agent);
    assert.deepEqual((await client.listSecurityGroups({ name: 'p1-exposed_ports' })).map((g) => g.id), ['sg1', 'sg2']);
    const group = await client.createSecurityGroup({ name: 'p1-exposed_ports', description: 'Docker exposed ports created by Kuryr.' });
    assert.equal(group.id, 'sg3');
    const rule = await client.createSecurityGroupRule({
      security_group_id: 'sg3', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 81,
    });
    assert.deepEqual([rule.id, rule.port_range_min, rule.port_range_max], ['r1', 80, 81]);
    await client.deleteSecurityGroup('sg3');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
      'GET /v2.0/security-groups?name=p1-exposed_ports',
      'GET /v2.0/security-groups?name=p1-exposed_ports&marker=sg1',
      'POST /v2.0/security-groups',
      'POST /v2.0/security-group-rules',
      'DELETE /v2.0/security-groups/sg3',
    ]);
    assert.deepEqual(seen[2]?.body, { security_group: { name: 'p1-exposed_ports', description: 'Docker exposed ports created by Kuryr.' } });
    assert.deepEqual(seen[3]?.body, { security_group_rule: {
      security_group_id: 'sg3', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 81,
    } });
    assert.equal(seen[4]?.body, undefined);
  });

  it('security groups: a list answer without security_groups, and Neutron refusals, are typed errors', async () => {
    const agent = mockAgent();
    scriptedServer(agent, NEUTRON, (req) => {
      if (req.method === 'GET') return { status: 200, body: { securitygroups: [] } };
      if (req.method === 'DELETE') {
        return { status: 409, body: { NeutronError: { type: 'SecurityGroupInUse', message: 'Security Group sg1 in use.', detail: '' } } };
      }
      return { status: 400, body: { NeutronError: { type: 'SecurityGroupInvalidPortValue', message: 'Invalid value for port 0', detail: '' } } };
    });
    const { client } = noauthClient(agent);
    const bad = await caught(client.listSecurityGroups());
    assert.ok(bad instanceof UnavailableError);
    assert.match(bad.message, /no "security_groups" list/);
    const inUse = await caught(client.deleteSecurityGroup('sg1'));
    assert.ok(inUse instanceof ConflictError);
    assert.equal(neutronErrorType(inUse), 'SecurityGroupInUse');
    assert.equal(inUse.message, 'DELETE /v2.0/security-groups/sg1: 409 SecurityGroupInUse: Security Group sg1 in use.');
    const invalid = await caught(client.createSecurityGroupRule({ security_group_id: 'sg1', direction: 'ingress', protocol: 'tcp', port_range_min: 0 }));
    assert.ok(invalid instanceof InvalidRequestError);
    assert.equal(neutronErrorType(invalid), 'SecurityGroupInvalidPortValue');
  });

  it('lists agents', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, () => ({ status: 200, body: { agents: [{ id: 'a1', host: 'h1' }] } }));
    const { client } = noauthClient(agent);
    assert.deepEqual((await client.listAgents({ host: 'h1', agent_type: 'NIC Switch agent' })).map((a) => a.id), ['a1']);
    assert.equal(seen[0]?.path, '/v2.0/agents?host=h1&agent_type=NIC%20Switch%20agent');
  });
});

describe('neutron http client: error mapping', () => {
  const cases: { status: number; type: string; cls: typeof PluginError; code: string; retryable: boolean }[] = [
    { status: 400, type: 'InvalidInput', cls: InvalidRequestError, code: 'ERR_NEUTRON_BAD_REQUEST', retryable: false },
    { status: 403, type: 'PolicyNotAuthorized', cls: PluginError, code: 'ERR_NEUTRON_FORBIDDEN', retryable: false },
    { status: 404, type: 'PortNotFound', cls: NotFoundError, code: 'ERR_NEUTRON_NOT_FOUND', retryable: false },
    { status: 409, type: 'IpAddressAlreadyAllocated', cls: ConflictError, code: 'ERR_NEUTRON_CONFLICT', retryable: false },
    { status: 500, type: 'SubnetAllocationError', cls: UnavailableError, code: 'ERR_NEUTRON_UNAVAILABLE', retryable: false },
    { status: 503, type: 'ServiceUnavailable', cls: UnavailableError, code: 'ERR_NEUTRON_UNAVAILABLE', retryable: true },
  ];
  for (const c of cases) {
    it(`${c.status} ${c.type} → ${c.cls.name} ${c.code}`, async () => {
      const agent = mockAgent();
      scriptedServer(agent, NEUTRON, () => ({
        status: c.status, body: { NeutronError: { type: c.type, message: `something about ${c.type}`, detail: '' } },
      }));
      const { client } = noauthClient(agent);
      const err = await caught(client.createPort({ network_id: 'n1' }));
      assert.ok(err instanceof c.cls, `${err.name}`);
      assert.equal(err.code, c.code);
      assert.equal(err.retryable, c.retryable);
      assert.deepEqual(err.details, { status: c.status, type: c.type, method: 'POST', path: '/v2.0/ports' });
      assert.equal(err.message, `POST /v2.0/ports: ${c.status} ${c.type}: something about ${c.type}`);
    });
  }

  it('401 in noauth mode → ERR_NEUTRON_AUTH with keystonemiddleware’s body', async () => {
    const agent = mockAgent();
    scriptedServer(agent, NEUTRON, () => ({ status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } }));
    const { client } = noauthClient(agent);
    const err = await caught(client.getNetwork('n1'));
    assert.equal(err.code, 'ERR_NEUTRON_AUTH');
    assert.equal(err.message, 'GET /v2.0/networks/n1: 401 Unauthorized: The request you have made requires authentication.');
  });

  it('maps a non-JSON error body by status', async () => {
    const agent = mockAgent();
    scriptedServer(agent, NEUTRON, () => ({ status: 404, body: '<html>gone</html>' }));
    const { client } = noauthClient(agent);
    const err = await caught(client.getSubnet('s1'));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.message, 'GET /v2.0/subnets/s1: 404: Not Found');
    assert.equal(err.details['type'], null);
  });
});

describe('neutron http client: retries and timeouts', () => {
  it('retries a GET on 503 with back-off through the clock, then succeeds', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (_req, n) => n < 3 ? { status: 503, body: '' } : { status: 200, body: { network: { id: 'n1' } } });
    const { client, clock } = noauthClient(agent);
    assert.equal((await client.getNetwork('n1')).id, 'n1');
    assert.equal(seen.length, 3);
    assert.deepEqual(clock.slept, [200, 400]);
  });

  it('gives up after 3 attempts on 502/504 with a retryable UnavailableError', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, (_req, n) => ({ status: n % 2 === 0 ? 504 : 502 }));
    const { client } = noauthClient(agent);
    const err = await caught(client.listNetworks());
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.retryable, true);
    assert.equal(err.details['status'], 502);
    assert.equal(seen.length, 3);
  });

  it('retries a GET after a connect error', async () => {
    const agent = mockAgent();
    agent.get(NEUTRON).intercept({ path: '/v2.0/ports/p1', method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9696'), { code: 'ECONNREFUSED' }));
    scriptedServer(agent, NEUTRON, () => ({ status: 200, body: { port: { id: 'p1' } } }));
    const { client, clock } = noauthClient(agent);
    assert.equal((await client.getPort('p1')).id, 'p1');
    assert.deepEqual(clock.slept, [200]);
  });

  it('never retries POST, PUT or DELETE', async () => {
    const agent = mockAgent();
    const seen = scriptedServer(agent, NEUTRON, () => ({ status: 503 }));
    const { client, clock } = noauthClient(agent);
    await caught(client.createNetwork({ name: 'x' }));
    await caught(client.updatePort('p1', { name: 'x' }));
    await caught(client.deleteSubnet('s1'));
    await caught(client.addTag('ports', 'p1', 't'));
    assert.equal(seen.length, 4);
    assert.deepEqual(clock.slept, []);
  });

  it('does not retry a POST after a connect error', async () => {
    const agent = mockAgent();
    agent.get(NEUTRON).intercept({ path: '/v2.0/ports', method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const seen = scriptedServer(agent, NEUTRON, () => ({ status: 201, body: { port: { id: 'p1' } } }));
    const { client } = noauthClient(agent);
    const err = await caught(client.createPort({ network_id: 'n1' }));
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.retryable, true);
    assert.match(err.message, /^POST \/v2\.0\/ports: Neutron unreachable \(ECONNRESET\)$/);
    assert.equal(seen.length, 0);
  });

  it('turns a slow answer into UnavailableError after timeoutMs', async () => {
    const agent = mockAgent();
    agent.get(NEUTRON).intercept({ path: '/v2.0/networks', method: 'POST' })
      .reply(201, { network: { id: 'n1' } }).delay(1000);
    const { client } = noauthClient(agent, { timeoutMs: 50 });
    const started = Date.now();
    const err = await caught(client.createNetwork({ name: 'x' }));
    assert.ok(err instanceof UnavailableError);
    assert.equal(err.message, 'POST /v2.0/networks: no answer from Neutron within 50 ms');
    assert.ok(Date.now() - started < 900, 'the timeout did not cut the wait short');
  });
});

describe('neutron http client: keystone', () => {
  it('authenticates, uses the catalog endpoint and sends X-Auth-Token', async () => {
    const agent = mockAgent();
    const ks = scriptedServer(agent, KEYSTONE, () => ({
      status: 201, body: tokenBody('2099-01-01T00:00:00.000000Z'), headers: { 'x-subject-token': 'tok-1' },
    }));
    const seen = scriptedServer(agent, NEUTRON, () => ({ status: 200, body: { networks: [] } }));
    const client = createNeutronHttpClient({
      auth: PASSWORD_AUTH, endpointType: 'public', regionName: 'RegionOne', timeoutMs: 2000, dispatcher: agent, clock: fakeClock(),
    });
    await client.listNetworks();
    await client.listNetworks();
    assert.equal(ks.length, 1, 'the token is cached');
    assert.equal(ks[0]?.path, '/v3/auth/tokens');
    assert.deepEqual(seen.map((r) => r.headers['x-auth-token']), ['tok-1', 'tok-1']);
  });

  it('re-authenticates once after a 401 and retries the call (even a POST)', async () => {
    const agent = mockAgent();
    let issued = 0;
    scriptedServer(agent, KEYSTONE, () => {
      issued += 1;
      return { status: 201, body: tokenBody('2099-01-01T00:00:00Z'), headers: { 'x-subject-token': `tok-${issued}` } };
    });
    const seen = scriptedServer(agent, NEUTRON, (req) => req.headers['x-auth-token'] === 'tok-1'
      ? { status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } } }
      : { status: 201, body: { network: { id: 'n1' } } });
    const client = createNeutronHttpClient({
      auth: PASSWORD_AUTH, endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock: fakeClock(),
    });
    assert.equal((await client.createNetwork({ name: 'x' })).id, 'n1');
    assert.deepEqual(seen.map((r) => `${r.method} ${r.headers['x-auth-token']}`), ['POST tok-1', 'POST tok-2']);
    assert.equal(issued, 2);
  });

  it('a second 401 is ERR_NEUTRON_AUTH, and no token or password appears in the error', async () => {
    const agent = mockAgent();
    let issued = 0;
    scriptedServer(agent, KEYSTONE, () => {
      issued += 1;
      return { status: 201, body: tokenBody('2099-01-01T00:00:00Z'), headers: { 'x-subject-token': `gAAAAAB-secret-token-${issued}` } };
    });
    const seen = scriptedServer(agent, NEUTRON, () => ({
      status: 401, body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
    }));
    const client = createNeutronHttpClient({
      auth: PASSWORD_AUTH, endpointType: 'public', timeoutMs: 2000, dispatcher: agent, clock: fakeClock(),
    });
    const err = await caught(client.getPort('p1'));
    assert.equal(err.code, 'ERR_NEUTRON_AUTH');
    assert.equal(seen.length, 2);
    const everything = `${err.message} ${JSON.stringify(err.details)} ${String(err.stack)}`;
    assert.doesNotMatch(everything, /secret-token|sup3r-s3cret/);
  });

  it('uses the internal interface when asked', async () => {
    const agent = mockAgent();
    scriptedServer(agent, KEYSTONE, () => ({
      status: 201, body: tokenBody('2099-01-01T00:00:00Z'), headers: { 'x-subject-token': 'tok' },
    }));
    const seen = scriptedServer(agent, 'http://internal.test:9696', () => ({ status: 200, body: { subnets: [] } }));
    const client = createNeutronHttpClient({
      auth: PASSWORD_AUTH, endpointType: 'internal', timeoutMs: 2000, dispatcher: agent, clock: fakeClock(),
    });
    assert.deepEqual(await client.listSubnets({ network_id: 'n1' }), []);
    assert.equal(seen[0]?.path, '/v2.0/subnets?network_id=n1');
  });
});

describe('describeNeutronTarget', () => {
  it('names the target without credentials', () => {
    assert.equal(describeNeutronTarget({ type: 'none', endpointOverride: 'http://u:pw@127.0.0.1:19696' }),
      'Neutron http://127.0.0.1:19696/ (noauth)');
    const d = describeNeutronTarget(PASSWORD_AUTH, 'RegionOne', 'internal');
    assert.equal(d, `Neutron catalog network/internal/RegionOne (Keystone ${KEYSTONE}/v3, user kuryr)`);
    assert.doesNotMatch(d, /sup3r-s3cret/);
  });
});
