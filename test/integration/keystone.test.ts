// Keystone auth against the testbed's REAL Keystone (scripts/testbed/setup-keystone.sh: 20 s tokens, user
// kuryr in project service, an application credential, `network` endpoints -> the testbed Neutron):
// password and application-credential tokens and the catalog, a wrong region, `kuryr serve` refusing bad
// credentials at start-up, OS_* and clouds.yaml configs, and tokens expiring under a client and under the
// running plugin without one failed request (an auth-checking proxy stands in for keystonemiddleware).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Agent } from 'undici';

import { loadConfig, loadConfigFromDisk } from '../../src/config/load.ts';
import type { KuryrConfig, NeutronAuthConfig } from '../../src/config/types.ts';
import { PluginError } from '../../src/errors.ts';
import { createNeutronHttpClient } from '../../src/neutron/http-client.ts';
import { createKeystoneSession, type KeystoneAuthConfig } from '../../src/neutron/keystone.ts';
import { startAuthProxy, type AuthProxy } from '../helpers/auth-proxy.ts';
import { cleanupPluginDir, startPlugin, type PluginProcess } from '../helpers/plugin-process.ts';

const BIN = fileURLToPath(new URL('../../bin/kuryr.js', import.meta.url));

interface KeystoneTestbed {
  url: string;
  region: string;
  lifetimeS: number;
  username: string;
  userId: string;
  password: string;
  userDomain: string;
  projectName: string;
  projectId: string;
  projectDomain: string;
  appCredName: string;
  appCredId: string;
  appCredSecret: string;
  neutronUrl: string;
  host: string;
}

function keystoneTestbed(): KeystoneTestbed {
  const names = {
    url: 'KURYR_TEST_KEYSTONE_URL', region: 'KURYR_TEST_KEYSTONE_REGION', lifetimeS: 'KURYR_TEST_KEYSTONE_TOKEN_LIFETIME',
    username: 'KURYR_TEST_KEYSTONE_USERNAME', userId: 'KURYR_TEST_KEYSTONE_USER_ID', password: 'KURYR_TEST_KEYSTONE_PASSWORD',
    userDomain: 'KURYR_TEST_KEYSTONE_USER_DOMAIN_NAME', projectName: 'KURYR_TEST_KEYSTONE_PROJECT_NAME',
    projectId: 'KURYR_TEST_KEYSTONE_PROJECT_ID', projectDomain: 'KURYR_TEST_KEYSTONE_PROJECT_DOMAIN_NAME',
    appCredName: 'KURYR_TEST_KEYSTONE_APPCRED_NAME', appCredId: 'KURYR_TEST_KEYSTONE_APPCRED_ID',
    appCredSecret: 'KURYR_TEST_KEYSTONE_APPCRED_SECRET', neutronUrl: 'NEUTRON_URL', host: 'KURYR_TEST_HOST',
  } as const;
  const missing = Object.values(names).filter((n) => (process.env[n] ?? '') === '');
  if (missing.length > 0) {
    throw new Error(`the testbed Keystone is not set up (missing ${missing.join(', ')}): run the tests with \`npm test\`, ` +
      'or start the testbed with scripts/testbed/up.sh and source $KURYR_TESTBED/env (it sources keystone/env)');
  }
  const get = (k: keyof typeof names): string => process.env[names[k]]!;
  return {
    url: get('url'), region: get('region'), lifetimeS: Number(get('lifetimeS')), username: get('username'), userId: get('userId'),
    password: get('password'), userDomain: get('userDomain'), projectName: get('projectName'), projectId: get('projectId'),
    projectDomain: get('projectDomain'), appCredName: get('appCredName'), appCredId: get('appCredId'),
    appCredSecret: get('appCredSecret'), neutronUrl: get('neutronUrl').replace(/\/+$/, ''), host: get('host'),
  };
}

function passwordAuth(k: KeystoneTestbed): Extract<KeystoneAuthConfig, { type: 'password' }> {
  return {
    type: 'password', authUrl: k.url, username: k.username, password: k.password, userDomainName: k.userDomain,
    projectName: k.projectName, projectDomainName: k.projectDomain,
  };
}

function appCredAuth(k: KeystoneTestbed): Extract<KeystoneAuthConfig, { type: 'v3applicationcredential' }> {
  return { type: 'v3applicationcredential', authUrl: k.url, applicationCredentialId: k.appCredId, applicationCredentialSecret: k.appCredSecret };
}

/** What Keystone says about a token (validated by itself). */
async function inspectToken(k: KeystoneTestbed, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${k.url}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
  assert.equal(res.status, 200, `token validation: ${res.status}`);
  return ((await res.json()) as { token: Record<string, unknown> }).token;
}

function kuryr(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr, stdout });
    });
  });
}

/** A client built the way `kuryr serve` builds it, from a loaded config. */
function clientFor(config: KuryrConfig) {
  return createNeutronHttpClient({
    auth: config.neutron.auth, endpointType: config.neutron.endpointType, timeoutMs: config.neutron.timeout * 1000,
    regionName: config.neutron.regionName, cafile: config.neutron.cafile, insecure: config.neutron.insecure,
  });
}

const OS_SCRUBBED: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^OS_/.test(k)),
);

describe('Keystone (real, from the testbed)', () => {
  let k: KeystoneTestbed;
  let dir: string;
  const dispatcher = new Agent();

  before(async () => {
    k = keystoneTestbed();
    dir = await mkdtemp(join(tmpdir(), 'kuryr-ks-'));
  });
  after(async () => {
    await dispatcher.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test('password: a project-scoped token; the network endpoint by interface and region', async () => {
    for (const endpointType of ['public', 'internal', 'admin'] as const) {
      const s = createKeystoneSession({ auth: passwordAuth(k), endpointType, regionName: k.region, timeoutMs: 10_000, dispatcher });
      assert.equal(await s.endpoint(), k.neutronUrl);
      const token = await inspectToken(k, await s.token());
      assert.equal((token['project'] as { name: string }).name, k.projectName);
      assert.equal((token['user'] as { name: string }).name, k.username);
      const lifetime = Date.parse(String(token['expires_at'])) - Date.parse(String(token['issued_at']));
      assert.equal(lifetime, k.lifetimeS * 1000, 'the testbed issues short-lived tokens');
    }
    // any region when none is configured
    const anyRegion = createKeystoneSession({ auth: passwordAuth(k), endpointType: 'public', timeoutMs: 10_000, dispatcher });
    assert.equal(await anyRegion.endpoint(), k.neutronUrl);
  });

  test('a region the catalog lacks: ERR_NEUTRON_AUTH listing what the catalog has', async () => {
    const s = createKeystoneSession({ auth: passwordAuth(k), endpointType: 'internal', regionName: 'RegionNowhere', timeoutMs: 10_000, dispatcher });
    await assert.rejects(s.endpoint(), (e: unknown) => {
      assert.ok(e instanceof PluginError);
      assert.equal(e.code, 'ERR_NEUTRON_AUTH');
      assert.match(e.message, /no endpoint with type "network", interface "internal", region "RegionNowhere"/);
      for (const i of ['public', 'internal', 'admin']) {
        assert.ok(e.message.includes(`network/${i}/${k.region}`), e.message);
        assert.ok(e.message.includes(`identity/${i}/${k.region}`), e.message);
      }
      return true;
    });
  });

  test('password by user_id + project_id, through the Neutron client to the real Neutron', async () => {
    const client = createNeutronHttpClient({
      auth: { type: 'password', authUrl: k.url, userId: k.userId, password: k.password, projectId: k.projectId },
      endpointType: 'internal', regionName: k.region, timeoutMs: 10_000,
    });
    try {
      assert.ok(Array.isArray(await client.listNetworks({ name: `none-${randomBytes(4).toString('hex')}` })));
      assert.equal(await client.hasExtension('subnet_allocation'), true);
    } finally {
      await client.close();
    }
  });

  test('application credential by id and by name: tokens scoped to its project, catalog included', async () => {
    const byId = createKeystoneSession({ auth: appCredAuth(k), endpointType: 'public', regionName: k.region, timeoutMs: 10_000, dispatcher });
    assert.equal(await byId.endpoint(), k.neutronUrl);
    const token = await inspectToken(k, await byId.token());
    assert.deepEqual((token['methods'] as string[]), ['application_credential']);
    assert.equal((token['project'] as { id: string }).id, k.projectId);
    assert.equal((token['application_credential'] as { id: string }).id, k.appCredId);

    for (const user of [{ userId: k.userId }, { username: k.username, userDomainName: k.userDomain }]) {
      const byName = createKeystoneSession({
        auth: { type: 'v3applicationcredential', authUrl: k.url, applicationCredentialName: k.appCredName,
          applicationCredentialSecret: k.appCredSecret, ...user },
        endpointType: 'admin', timeoutMs: 10_000, dispatcher,
      });
      assert.equal(await byName.endpoint(), k.neutronUrl);
      assert.equal(((await inspectToken(k, await byName.token()))['application_credential'] as { id: string }).id, k.appCredId);
    }
  });

  test('kuryr serve: a wrong password or secret stops start-up with ERR_NEUTRON_AUTH, never printing it', async () => {
    const base = ['[DEFAULT]', `kuryr_uri = unix://${dir}/never.sock`, `state_path = ${dir}/state`, `host = ${k.host}`, '[neutron]',
      `auth_url = ${k.url}`].join('\n');
    const wrongPw = `wrong-${randomBytes(6).toString('hex')}`;
    const pwConf = join(dir, 'wrong-password.conf');
    await writeFile(pwConf, `${base}\nauth_type = password\nusername = ${k.username}\npassword = ${wrongPw}\n` +
      `user_domain_name = ${k.userDomain}\nproject_name = ${k.projectName}\nproject_domain_name = ${k.projectDomain}\n`);
    const r1 = await kuryr(['serve', '--config-file', pwConf], OS_SCRUBBED);
    assert.equal(r1.code, 1, r1.stderr);
    assert.equal(r1.stderr.trim().split('\n').at(-1),
      `kuryr: ERR_NEUTRON_AUTH: Keystone refused the credentials for user ${k.username} (domain ${k.userDomain}) at ${k.url} (401)`);
    assert.ok(!r1.stderr.includes(wrongPw) && !r1.stdout.includes(wrongPw));

    const wrongSecret = `wrong-${randomBytes(6).toString('hex')}`;
    const acConf = join(dir, 'wrong-secret.conf');
    await writeFile(acConf, `${base}\nauth_type = v3applicationcredential\napplication_credential_id = ${k.appCredId}\n` +
      `application_credential_secret = ${wrongSecret}\n`);
    const r2 = await kuryr(['serve', '--config-file', acConf], OS_SCRUBBED);
    assert.equal(r2.code, 1, r2.stderr);
    assert.match(r2.stderr, new RegExp(`ERR_NEUTRON_AUTH: Keystone refused the credentials for application credential id ${k.appCredId} at `));
    assert.ok(!r2.stderr.includes(wrongSecret) && !r2.stdout.includes(wrongSecret));

    // the same through the OS_* environment (no auth in the file at all)
    const envConf = join(dir, 'env-auth.conf');
    await writeFile(envConf, base.replace(`auth_url = ${k.url}`, ''));
    const r3 = await kuryr(['serve', '--config-file', envConf], {
      ...OS_SCRUBBED, OS_AUTH_URL: k.url, OS_USERNAME: k.username, OS_PASSWORD: wrongPw, OS_PROJECT_NAME: k.projectName,
      OS_USER_DOMAIN_NAME: k.userDomain, OS_PROJECT_DOMAIN_NAME: k.projectDomain,
    });
    assert.equal(r3.code, 1, r3.stderr);
    assert.match(r3.stderr, /ERR_NEUTRON_AUTH: Keystone refused the credentials for user /);
    assert.ok(!r3.stderr.includes(wrongPw));
  });

  test('OS_* environment: password and application credential reach the real Neutron', async () => {
    const conf = '[DEFAULT]\ndebug = false\n';
    const io = { configFiles: ['k.conf'], configDirs: [], hostname: k.host, readFile: async () => conf, listDir: async () => [] };
    const envs: Record<string, string>[] = [
      { OS_AUTH_URL: k.url, OS_USERNAME: k.username, OS_PASSWORD: k.password, OS_PROJECT_NAME: k.projectName,
        OS_USER_DOMAIN_NAME: k.userDomain, OS_PROJECT_DOMAIN_NAME: k.projectDomain, OS_REGION_NAME: k.region, OS_INTERFACE: 'internal' },
      { OS_AUTH_TYPE: 'v3applicationcredential', OS_AUTH_URL: k.url, OS_APPLICATION_CREDENTIAL_ID: k.appCredId,
        OS_APPLICATION_CREDENTIAL_SECRET: k.appCredSecret, OS_REGION_NAME: k.region },
    ];
    const types: NeutronAuthConfig['type'][] = [];
    for (const env of envs) {
      const { config } = await loadConfig({ ...io, env });
      types.push(config.neutron.auth.type);
      assert.equal(config.neutron.regionName, k.region);
      const client = clientFor(config);
      try {
        assert.equal(await client.hasExtension('subnet_allocation'), true);
      } finally {
        await client.close();
      }
    }
    assert.deepEqual(types, ['password', 'v3applicationcredential']);
  });

  test('clouds.yaml (+ secure.yaml): password and application credential clouds reach the real Neutron', async () => {
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeFile(cloudsFile, [
      'clouds:',
      '  tb-password:',
      '    auth:',
      `      auth_url: ${k.url}`,
      `      username: ${k.username}`,
      `      project_name: ${k.projectName}`,
      `      user_domain_name: ${k.userDomain}`,
      `      project_domain_name: ${k.projectDomain}`,
      `    region_name: ${k.region}`,
      '    interface: admin',
      '  tb-appcred:',
      '    auth_type: v3applicationcredential',
      '    auth:',
      `      auth_url: ${k.url}`,
      `      application_credential_id: ${k.appCredId}`,
      `    regions: [${k.region}]`,
      '',
    ].join('\n'));
    await writeFile(join(dir, 'secure.yaml'), [
      'clouds:',
      '  tb-password:',
      '    auth:',
      `      password: ${JSON.stringify(k.password)}`,
      '  tb-appcred:',
      '    auth:',
      `      application_credential_secret: ${JSON.stringify(k.appCredSecret)}`,
      '',
    ].join('\n'));
    const kuryrConf = join(dir, 'cloud.conf');
    await writeFile(kuryrConf, '[DEFAULT]\ndebug = false\n');
    for (const [cloud, type] of [['tb-password', 'password'], ['tb-appcred', 'v3applicationcredential']] as const) {
      const { config } = await loadConfigFromDisk({
        configFiles: [kuryrConf], env: { OS_CLOUD: cloud, OS_CLIENT_CONFIG_FILE: cloudsFile }, hostname: k.host, cwd: dir,
      });
      assert.equal(config.neutron.auth.type, type);
      const client = clientFor(config);
      try {
        assert.equal(await client.hasExtension('subnet_allocation'), true);
      } finally {
        await client.close();
      }
    }
  });
});

describe('Keystone tokens expiring under load (real Keystone, auth-checking proxy)', { concurrency: true }, () => {
  let k: KeystoneTestbed;
  let dir: string;
  const proxies: AuthProxy[] = [];

  before(async () => {
    k = keystoneTestbed();
    dir = await mkdtemp(join(tmpdir(), 'kuryr-ks-exp-'));
  });
  after(async () => {
    for (const p of proxies) await p.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Tokens are cached: a new one about every 3/4 lifetime, not one per call. */
  function assertTokenCount(proxy: AuthProxy): void {
    const max = Math.ceil((k.lifetimeS + 6) / (k.lifetimeS / 2)) + 1;
    assert.ok(proxy.tokens.length >= 2 && proxy.tokens.length <= max, `tokens used: ${proxy.tokens.length} (want 2..${max})`);
  }

  /** The proxy really enforces expiry: the first token used, replayed now (a lifetime later), is refused. */
  async function assertFirstTokenNowRefused(proxy: AuthProxy): Promise<void> {
    const first = proxy.tokens[0];
    assert.ok(first !== undefined);
    const before = proxy.rejected.length;
    const res = await fetch(`${proxy.url}/v2.0/networks?name=kuryr-ks-none`, { headers: { 'x-auth-token': first } });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    assert.equal(proxy.rejected.length, before + 1);
    proxy.rejected.pop();
  }

  /** Calls `call` every `everyMs` until more than one token lifetime (+ margin) has passed; returns the failures. */
  async function drive(call: () => Promise<void>, everyMs: number): Promise<{ calls: number; failures: string[] }> {
    const until = Date.now() + k.lifetimeS * 1000 + 6_000;
    const failures: string[] = [];
    let calls = 0;
    while (Date.now() < until) {
      calls += 1;
      try {
        await call();
      } catch (e) {
        failures.push(`${new Date().toISOString()} ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return { calls, failures };
  }

  test('the Neutron client (password) refreshes before expiry: every call succeeds, several tokens are used', async () => {
    const proxy = await startAuthProxy(k.neutronUrl, k.url);
    proxies.push(proxy);
    const client = createNeutronHttpClient({
      auth: { ...passwordAuth(k), endpointOverride: proxy.url }, endpointType: 'public', timeoutMs: 10_000,
    });
    try {
      const { calls, failures } = await drive(async () => { await client.listNetworks({ name: 'kuryr-ks-none' }); }, 400);
      assert.deepEqual(failures, []);
      assert.deepEqual(proxy.rejected, [], 'no request reached Neutron with an expired token');
      assert.ok(calls > 20, `only ${calls} calls`);
      assertTokenCount(proxy);
      assert.equal(proxy.accepted, calls);
      await assertFirstTokenNowRefused(proxy);
    } finally {
      await client.close();
    }
  });

  test('kuryr serve (application credential from clouds.yaml) over its socket across token lifetimes', async () => {
    const proxy = await startAuthProxy(k.neutronUrl, k.url);
    proxies.push(proxy);
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeFile(cloudsFile, ['clouds:', '  tb:', '    auth:', `      auth_url: ${k.url}`,
      `      application_credential_id: ${k.appCredId}`, `      application_credential_secret: ${JSON.stringify(k.appCredSecret)}`, ''].join('\n'));
    // startPlugin's file says auth_type = none; later lines win: app cred from the cloud, Neutron through the proxy
    const saved = process.env['OS_CLIENT_CONFIG_FILE'];
    process.env['OS_CLIENT_CONFIG_FILE'] = cloudsFile;
    let plugin: PluginProcess | undefined;
    try {
      plugin = await startPlugin({
        neutronUrl: proxy.url, host: k.host,
        extraConfig: ['auth_type = v3applicationcredential', 'cloud = tb', `endpoint_override = ${proxy.url}`].join('\n'),
      });
    } finally {
      if (saved === undefined) delete process.env['OS_CLIENT_CONFIG_FILE'];
      else process.env['OS_CLIENT_CONFIG_FILE'] = saved;
    }
    try {
      const p = plugin;
      const before = proxy.accepted;
      const { calls, failures } = await drive(async () => {
        // unknown ids: each call looks in Neutron and succeeds without creating anything
        const id = randomBytes(32).toString('hex');
        const r = await p.call('NetworkDriver.DeleteNetwork', { NetworkID: id });
        if (JSON.stringify(r.body) !== '{}') throw new Error(`DeleteNetwork: ${JSON.stringify(r.body)}`);
        const rp = await p.call('IpamDriver.ReleasePool', { PoolID: '00000000-0000-0000-0000-000000000000' });
        if (JSON.stringify(rp.body) !== '{}') throw new Error(`ReleasePool: ${JSON.stringify(rp.body)}`);
      }, 700);
      assert.deepEqual(failures, []);
      assert.deepEqual(proxy.rejected, [], 'no request reached Neutron with an expired token');
      assert.ok(proxy.accepted - before >= calls, `${proxy.accepted - before} Neutron requests for ${calls} rounds`);
      assertTokenCount(proxy);
      await assertFirstTokenNowRefused(proxy);
      assert.doesNotMatch(await p.logs(), new RegExp(k.appCredSecret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    } finally {
      await plugin.stop();
      await cleanupPluginDir(plugin);
    }
  });
});
