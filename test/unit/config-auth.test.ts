// Unit tests for the Neutron auth sources: [neutron] auth_type = v3applicationcredential, the OpenStack CLI's
// OS_* environment and clouds.yaml clouds (+ secure.yaml) as layers under kuryr.conf, their precedence, and
// that no secret from any of them reaches an error or a warning. File access is injected (loadConfig).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import { configError, configErrorAsync } from '../helpers/config-errors.ts';
import {
  cloudsYamlCandidates, loadConfig, parseConfigText, redactConfig, requestedCloudFor, type LoadConfigInput, type LoadedConfig,
} from '../../src/config/load.ts';
import { parseIni } from '../../src/config/ini.ts';
import type { NeutronAuthConfig } from '../../src/config/types.ts';

type Env = Record<string, string | undefined>;

const load = (text: string, env: Env = {}): LoadedConfig => parseConfigText(text, 'test.conf', { env, hostname: 'node-1' });



const SECRET = 'S3cr3t-AppCred-Value';
const APPCRED = [
  '[neutron]',
  'auth_type = v3applicationcredential',
  'auth_url = http://keystone:5000/v3',
  'application_credential_id = ac1',
  `application_credential_secret = ${SECRET}`,
  '',
].join('\n');

const without = (text: string, key: string): string => text.split('\n').filter((l) => !l.startsWith(`${key} =`)).join('\n');

describe('[neutron] auth_type = v3applicationcredential', () => {
  it('by id: auth_url, id and secret', () => {
    const { config, warnings } = load(APPCRED);
    assert.deepEqual(config.neutron.auth, {
      type: 'v3applicationcredential', authUrl: 'http://keystone:5000/v3', applicationCredentialId: 'ac1',
      applicationCredentialSecret: SECRET,
    } satisfies NeutronAuthConfig);
    assert.deepEqual(warnings, []);
  });

  it('by name, with the owning user by name + domain or by id; endpoint_override kept', () => {
    const byName = without(APPCRED, 'application_credential_id') +
      'application_credential_name = kuryr-cred\nusername = kuryr\nuser_domain_name = Default\nendpoint_override = http://n:9696\n';
    assert.deepEqual(load(byName).config.neutron.auth, {
      type: 'v3applicationcredential', authUrl: 'http://keystone:5000/v3', applicationCredentialSecret: SECRET,
      applicationCredentialName: 'kuryr-cred', username: 'kuryr', userDomainName: 'Default', endpointOverride: 'http://n:9696',
    } satisfies NeutronAuthConfig);
    const byUserId = without(APPCRED, 'application_credential_id') + 'application_credential_name = c\nuser_id = u1\n';
    assert.deepEqual(load(byUserId).config.neutron.auth, {
      type: 'v3applicationcredential', authUrl: 'http://keystone:5000/v3', applicationCredentialSecret: SECRET,
      applicationCredentialName: 'c', userId: 'u1',
    } satisfies NeutronAuthConfig);
    // default_domain_* fills in the user domain, as for password
    const dflt = without(APPCRED, 'application_credential_id') + 'application_credential_name = c\nusername = u\ndefault_domain_id = default\n';
    const auth = load(dflt).config.neutron.auth;
    assert.equal(auth.type === 'v3applicationcredential' && auth.userDomainId, 'default');
  });

  it('by id, user settings are not carried (keystoneauth sends only id + secret)', () => {
    const { config } = load(`${APPCRED}username = kuryr\nuser_domain_name = Default\n`);
    assert.deepEqual(Object.keys(config.neutron.auth).sort(), ['applicationCredentialId', 'applicationCredentialSecret', 'authUrl', 'type']);
  });

  it('each required setting is named when missing, and the secret is never echoed', () => {
    const cases: [string, RegExp][] = [
      [without(APPCRED, 'auth_url'), /^\[neutron\] auth_url is not set: required when auth_type = v3applicationcredential/],
      [without(APPCRED, 'application_credential_secret'), /^\[neutron\] application_credential_secret is not set: required/],
      [without(APPCRED, 'application_credential_id'), /^\[neutron\] application_credential_id is not set: .*application_credential_name/],
      [`${without(APPCRED, 'application_credential_id')}application_credential_name = c\n`,
        /^\[neutron\] username is not set: application_credential_name needs the user that owns the credential/],
      [`${without(APPCRED, 'application_credential_id')}application_credential_name = c\nusername = u\n`,
        /^\[neutron\] user_domain_name is not set: username needs user_domain_name/],
    ];
    for (const [text, re] of cases) {
      const err = configError(() => load(text));
      assert.match(err.message, re);
      assert.ok(!err.message.includes(SECRET) && !JSON.stringify(err.details).includes(SECRET), err.message);
    }
  });

  it('project, domain, system and trust options are ignored with a warning (the credential has its own scope)', () => {
    const { config, warnings } = load(`${APPCRED}project_name = service\nproject_domain_name = Default\ntrust_id = t\n`);
    assert.equal(config.neutron.auth.type, 'v3applicationcredential');
    assert.deepEqual(warnings, [
      '[neutron] project_name is ignored with auth_type = v3applicationcredential: an application credential is always scoped to the project it was created in',
      '[neutron] project_domain_name is ignored with auth_type = v3applicationcredential: an application credential is always scoped to the project it was created in',
      '[neutron] trust_id is ignored with auth_type = v3applicationcredential: an application credential is always scoped to the project it was created in',
    ]);
  });

  it('works from an auth_section too', () => {
    const text = APPCRED.replace('[neutron]', '[neutron]\nauth_section = ks\n[ks]');
    assert.equal(load(text).config.neutron.auth.type, 'v3applicationcredential');
  });

  it('a bad secret $reference prints *** ; redactConfig masks the secret', () => {
    const err = configError(() => load(APPCRED.replace(`= ${SECRET}`, '= abc$nosuchXYZ')));
    assert.match(err.message, /^\[neutron\] application_credential_secret = \*\*\*: /);
    assert.ok(!err.message.includes('nosuchXYZ'));
    const { config } = load(APPCRED);
    const safe = redactConfig(config);
    assert.equal(safe.neutron.auth.type === 'v3applicationcredential' && safe.neutron.auth.applicationCredentialSecret, '***');
    assert.ok(!JSON.stringify(safe).includes(SECRET));
    assert.equal(config.neutron.auth.type === 'v3applicationcredential' && config.neutron.auth.applicationCredentialSecret, SECRET);
  });
});

// ------------------------------------------------------------------------------------------------------
// OS_* environment

const OS_PASSWORD_ENV: Env = {
  OS_AUTH_URL: 'http://ks:5000/v3',
  OS_USERNAME: 'kuryr',
  OS_PASSWORD: 'env-Pa55word',
  OS_PROJECT_NAME: 'service',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
};

describe('auth from the OS_* environment (no auth_type in the files)', () => {
  it('password auth, as an openrc file sets it up; session options too', () => {
    const { config, warnings } = load('[DEFAULT]\ndebug = true\n', {
      ...OS_PASSWORD_ENV, OS_REGION_NAME: 'RegionTwo', OS_INTERFACE: 'internalURL', OS_CACERT: '/etc/ca.pem', OS_INSECURE: 'true',
      OS_CERT: '/c.pem', OS_KEY: '/k.pem', OS_IDENTITY_API_VERSION: '3',
    });
    assert.deepEqual(config.neutron.auth, {
      type: 'password', authUrl: 'http://ks:5000/v3', password: 'env-Pa55word', username: 'kuryr', projectName: 'service',
      userDomainName: 'Default', projectDomainName: 'Default',
    } satisfies NeutronAuthConfig);
    assert.equal(config.neutron.regionName, 'RegionTwo');
    assert.equal(config.neutron.endpointType, 'internal');
    assert.equal(config.neutron.cafile, '/etc/ca.pem');
    assert.equal(config.neutron.insecure, true);
    assert.equal(config.neutron.certfile, '/c.pem');
    assert.equal(config.neutron.keyfile, '/k.pem');
    assert.deepEqual(warnings, []);
  });

  it('legacy OS_TENANT_NAME and ids; OS_AUTH_TYPE=v3password', () => {
    const { config } = load('', {
      OS_AUTH_TYPE: 'v3password', OS_AUTH_URL: 'http://ks/v3', OS_USER_ID: 'u1', OS_PASSWORD: 'p', OS_TENANT_ID: 'p1',
    });
    assert.deepEqual(config.neutron.auth, { type: 'password', authUrl: 'http://ks/v3', password: 'p', userId: 'u1', projectId: 'p1' });
  });

  it('an application credential: auth_type is inferred, OS_PROJECT_* leftovers only warn', () => {
    const { config, warnings } = load('', {
      OS_AUTH_URL: 'http://ks/v3', OS_APPLICATION_CREDENTIAL_ID: 'ac1', OS_APPLICATION_CREDENTIAL_SECRET: SECRET,
      OS_PROJECT_NAME: 'service',
    });
    assert.deepEqual(config.neutron.auth, {
      type: 'v3applicationcredential', authUrl: 'http://ks/v3', applicationCredentialId: 'ac1', applicationCredentialSecret: SECRET,
    } satisfies NeutronAuthConfig);
    assert.deepEqual(warnings, ['[neutron] project_name is ignored with auth_type = v3applicationcredential: an application ' +
      'credential is always scoped to the project it was created in (from $OS_PROJECT_NAME)']);
    // OS_AUTH_TYPE=v3applicationcredential with a name
    const byName = load('', {
      OS_AUTH_TYPE: 'v3applicationcredential', OS_AUTH_URL: 'http://ks/v3', OS_APPLICATION_CREDENTIAL_NAME: 'c',
      OS_APPLICATION_CREDENTIAL_SECRET: SECRET, OS_USER_ID: 'u1',
    }).config.neutron.auth;
    assert.equal(byName.type === 'v3applicationcredential' && byName.applicationCredentialName, 'c');
  });

  it('explicit [neutron] options win over OS_* one by one', () => {
    const { config } = load('[neutron]\nregion_name = FromFile\nproject_name = file-project\n', {
      ...OS_PASSWORD_ENV, OS_REGION_NAME: 'FromEnv',
    });
    assert.equal(config.neutron.regionName, 'FromFile');
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.projectName, 'file-project');
    // oslo's own OS_NEUTRON__* variables are "the files"
    const oslo = load('', { ...OS_PASSWORD_ENV, OS_NEUTRON__PASSWORD: 'oslo-pw' });
    assert.equal(oslo.config.neutron.auth.type === 'password' && oslo.config.neutron.auth.password, 'oslo-pw');
  });

  it('is ignored entirely when the files set auth_type', () => {
    const { config } = load('[neutron]\nauth_type = none\nendpoint_override = http://n:9696\n', {
      ...OS_PASSWORD_ENV, OS_REGION_NAME: 'R', OS_INSECURE: 'true', OS_CLOUD: 'nowhere',
    });
    assert.deepEqual(config.neutron.auth, { type: 'none', endpointOverride: 'http://n:9696' });
    assert.equal(config.neutron.regionName, undefined);
    assert.equal(config.neutron.insecure, false);
    const err = configError(() => load('[neutron]\nauth_type = password\n', OS_PASSWORD_ENV));
    assert.match(err.message, /^\[neutron\] auth_url is not set: /);
  });

  it('empty variables are unset; a missing setting says where it was looked for', () => {
    const err = configError(() => load('', { ...OS_PASSWORD_ENV, OS_PROJECT_NAME: '' }));
    assert.equal(err.message, '[neutron] project_name is not set (nor $OS_PROJECT_NAME): required when auth_type = password ' +
      '(or set project_id): the plugin needs a project-scoped token');
    assert.ok(!err.message.includes('env-Pa55word'));
  });

  it('bad values name the variable; secrets stay masked', () => {
    assert.equal(configError(() => load('', { ...OS_PASSWORD_ENV, OS_AUTH_URL: 'keystone:5000' })).message,
      '[neutron] auth_url = keystone:5000: must be an http:// or https:// URL (from $OS_AUTH_URL)');
    assert.equal(configError(() => load('', { ...OS_PASSWORD_ENV, OS_INSECURE: 'maybe' })).message,
      '[neutron] insecure = maybe: not a boolean (use true/false, yes/no, on/off or 1/0) (from $OS_INSECURE)');
    assert.equal(configError(() => load('', { ...OS_PASSWORD_ENV, OS_INTERFACE: 'private' })).message,
      '[neutron] endpoint_type = private: must be one of public, admin, internal (from $OS_INTERFACE)');
    assert.equal(configError(() => load('', { ...OS_PASSWORD_ENV, OS_AUTH_TYPE: 'v3token' })).message,
      '[neutron] auth_type = v3token: auth type not supported yet (supported: none, password, v3password, ' +
      'v3applicationcredential) (from $OS_AUTH_TYPE)');
    const scoped = configError(() => load('', { ...OS_PASSWORD_ENV, OS_DOMAIN_NAME: 'D' }));
    assert.equal(scoped.message, '[neutron] domain_name = D: domain-scoped tokens are not supported yet; scope to a project ' +
      'with project_name or project_id (from $OS_DOMAIN_NAME)');
  });

  it('with nothing anywhere, auth_type is asked for, naming clouds.yaml and OS_*', () => {
    const err = configError(() => load('[DEFAULT]\ndebug = true\n', { OS_REGION_NAME: 'R', OS_INTERFACE: 'internal' }));
    assert.match(err.message, /^\[neutron\] auth_type is not set: set \[neutron\] auth_type = password/);
    assert.match(err.message, /\[neutron\] cloud = NAME or \$OS_CLOUD/);
    assert.match(err.message, /OS_AUTH_URL/);
  });

  it('property: no error or warning ever contains OS_PASSWORD or the application credential secret', () => {
    const secret = fc.string({ minLength: 8, maxLength: 30 }).filter((s) => s.trim() === s && !/[\r\n]/.test(s));
    const drop = fc.subarray(['OS_AUTH_URL', 'OS_USERNAME', 'OS_PROJECT_NAME', 'OS_USER_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_NAME',
      'OS_APPLICATION_CREDENTIAL_ID']);
    fc.assert(fc.property(secret, drop, fc.boolean(), fc.boolean(), (pw, dropped, appCred, badUrl) => {
      const env: Env = {
        ...OS_PASSWORD_ENV, OS_PASSWORD: pw, OS_APPLICATION_CREDENTIAL_ID: 'ac1',
        ...(appCred ? { OS_APPLICATION_CREDENTIAL_SECRET: pw } : {}),
        ...(badUrl ? { OS_AUTH_URL: `x${pw}` } : {}),
      };
      for (const d of dropped) delete env[d];
      try {
        const { warnings } = load('', env);
        for (const w of warnings) assert.ok(!w.includes(pw), w);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        if (!badUrl) assert.ok(!e.message.includes(pw), e.message);
        assert.ok(!JSON.stringify(e.details).includes(pw) || badUrl);
      }
    }), { numRuns: 200 });
  });
});

// ------------------------------------------------------------------------------------------------------
// clouds.yaml

type Files = Record<string, string | NodeJS.ErrnoException>;

function fsFiles(files: Files): { readFile: (p: string) => Promise<string>; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile: async (p) => {
      reads.push(p);
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      if (typeof f !== 'string') throw f;
      return f;
    },
  };
}

const HOME = '/home/op';
const HOME_CLOUDS = `${HOME}/.config/openstack/clouds.yaml`;
const HOME_SECURE = `${HOME}/.config/openstack/secure.yaml`;

async function loadWith(conf: string, files: Files, env: Env = {}, extra: Partial<LoadConfigInput> = {}):
Promise<LoadedConfig & { reads: string[] }> {
  const fs = fsFiles({ '/etc/kuryr/kuryr.conf': conf, ...files });
  const loaded = await loadConfig({
    configFiles: ['/etc/kuryr/kuryr.conf'], configDirs: [], env, hostname: 'node-1', readFile: fs.readFile,
    listDir: async () => [], cwd: '/srv', homeDir: HOME, ...extra,
  });
  return { ...loaded, reads: fs.reads.filter((r) => r !== '/etc/kuryr/kuryr.conf') };
}

const PROD_PASSWORD = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000/v3
      username: kuryr
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    verify: false
  other:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://other:5000/v3
      application_credential_id: ac-other
      application_credential_secret: ${SECRET}
`;
const PROD_SECURE = `
clouds:
  prod:
    auth:
      password: yaml-Pa55word
`;

describe('auth from a clouds.yaml cloud', () => {
  it('$OS_CLOUD selects a cloud in ~/.config/openstack, with secure.yaml beside it merged in', async () => {
    const { config, warnings, reads } = await loadWith('[DEFAULT]\n', { [HOME_CLOUDS]: PROD_PASSWORD, [HOME_SECURE]: PROD_SECURE },
      { OS_CLOUD: 'prod' });
    assert.deepEqual(config.neutron.auth, {
      type: 'password', authUrl: 'https://keystone.example:5000/v3', password: 'yaml-Pa55word', username: 'kuryr',
      projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default',
    } satisfies NeutronAuthConfig);
    assert.equal(config.neutron.regionName, 'RegionOne');
    assert.equal(config.neutron.endpointType, 'internal');
    assert.equal(config.neutron.insecure, true);
    assert.deepEqual(warnings, []);
    assert.deepEqual(reads, ['/srv/clouds.yaml', HOME_CLOUDS, HOME_SECURE]);
  });

  it('an application-credential cloud; auth_type from the cloud', async () => {
    const { config } = await loadWith('[neutron]\ncloud = other\n', { [HOME_CLOUDS]: PROD_PASSWORD });
    assert.deepEqual(config.neutron.auth, {
      type: 'v3applicationcredential', authUrl: 'http://other:5000/v3', applicationCredentialId: 'ac-other',
      applicationCredentialSecret: SECRET,
    } satisfies NeutronAuthConfig);
  });

  it('[neutron] cloud wins over $OS_CLOUD and is honoured even with auth_type in the files (files win per option)', async () => {
    const conf = '[neutron]\ncloud = prod\nauth_type = password\npassword = file-pw\nregion_name = FromFile\n';
    const { config } = await loadWith(conf, { [HOME_CLOUDS]: PROD_PASSWORD }, { OS_CLOUD: 'other', OS_PASSWORD: 'env-pw' });
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.password, 'file-pw');
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.username, 'kuryr');
    assert.equal(config.neutron.regionName, 'FromFile');
    assert.equal(config.neutron.endpointType, 'internal');
  });

  it('$OS_CLOUD is ignored when the files set auth_type (and nothing is read)', async () => {
    const { config, reads } = await loadWith('[neutron]\nauth_type = none\nendpoint_override = http://n:9696\n', {}, { OS_CLOUD: 'prod' });
    assert.equal(config.neutron.auth.type, 'none');
    assert.deepEqual(reads, []);
  });

  it('precedence per option: files > cloud > OS_*', async () => {
    const { config } = await loadWith('[neutron]\nproject_name = file-project\n', { [HOME_CLOUDS]: PROD_PASSWORD }, {
      OS_CLOUD: 'prod', OS_PASSWORD: 'env-pw', OS_REGION_NAME: 'EnvRegion', OS_USERNAME: 'env-user', OS_CACERT: '/env/ca.pem',
    });
    const auth = config.neutron.auth;
    assert.equal(auth.type, 'password');
    if (auth.type !== 'password') return;
    assert.equal(auth.projectName, 'file-project'); // files
    assert.equal(auth.username, 'kuryr'); // cloud over env
    assert.equal(config.neutron.regionName, 'RegionOne'); // cloud over env
    assert.equal(auth.password, 'env-pw'); // only the env has it (no secure.yaml)
    assert.equal(config.neutron.cafile, '/env/ca.pem');
  });

  it('search order: $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack, /etc/openstack (first found)', async () => {
    assert.deepEqual(cloudsYamlCandidates({ env: { OS_CLIENT_CONFIG_FILE: '/x/c.yaml', HOME: '/h' }, readFile: async () => '', cwd: '/w' }),
      ['/x/c.yaml', '/w/clouds.yaml', '/h/.config/openstack/clouds.yaml', '/etc/openstack/clouds.yaml']);
    const etc = await loadWith('', { '/etc/openstack/clouds.yaml': PROD_PASSWORD, '/etc/openstack/secure.yaml': PROD_SECURE },
      { OS_CLOUD: 'prod' });
    assert.equal(etc.config.neutron.auth.type === 'password' && etc.config.neutron.auth.password, 'yaml-Pa55word');
    const cwdWins = await loadWith('', {
      '/srv/clouds.yaml': PROD_PASSWORD.replace('keystone.example', 'cwd.example'), [HOME_CLOUDS]: PROD_PASSWORD,
    }, { OS_CLOUD: 'prod', OS_PASSWORD: 'p' });
    assert.equal(cwdWins.config.neutron.auth.type === 'password' && cwdWins.config.neutron.auth.authUrl, 'https://cwd.example:5000/v3');
    assert.deepEqual(cwdWins.reads, ['/srv/clouds.yaml', '/srv/secure.yaml']);
    const explicit = await loadWith('', { '/opt/c.yaml': PROD_PASSWORD, '/opt/s.yaml': PROD_SECURE, [HOME_CLOUDS]: 'clouds: {}' },
      { OS_CLOUD: 'prod', OS_CLIENT_CONFIG_FILE: '/opt/c.yaml', OS_CLIENT_SECURE_FILE: '/opt/s.yaml' });
    assert.equal(explicit.config.neutron.auth.type === 'password' && explicit.config.neutron.auth.password, 'yaml-Pa55word');
    assert.deepEqual(explicit.reads, ['/opt/c.yaml', '/opt/s.yaml']);
  });

  it('regions[0] stands in for region_name; verify: true keeps TLS checks; unknown auth keys warn by name', async () => {
    const yaml = `clouds:\n  c:\n    regions: [{name: R1}, R2]\n    verify: true\n    auth:\n      auth_url: http://k/v3\n` +
      '      username: u\n      password: p\n      project_id: p1\n      user_domain_id: default\n      passcode: "123456"\n';
    const { config, warnings } = await loadWith('', { [HOME_CLOUDS]: yaml }, { OS_CLOUD: 'c', OS_INSECURE: 'true' });
    assert.equal(config.neutron.regionName, 'R1');
    assert.equal(config.neutron.insecure, false);
    assert.deepEqual(warnings, [`clouds.yaml cloud "c": auth.passcode is not an option this plugin reads; ignored (in ${HOME_CLOUDS})`]);
  });

  it('errors: no file, no such cloud, bad YAML (no content quoted), vendor profile, non-scalar, bad value', async () => {
    const noFile = await configErrorAsync(loadWith('', {}, { OS_CLOUD: 'prod', HOME: '/ignored' }));
    assert.equal(noFile.message, '[neutron] cloud = prod: no clouds.yaml found (looked for /srv/clouds.yaml, ' +
      `${HOME_CLOUDS}, /etc/openstack/clouds.yaml) (from $OS_CLOUD)`);

    const noCloud = await configErrorAsync(loadWith('[neutron]\ncloud = staging\n', { [HOME_CLOUDS]: PROD_PASSWORD }));
    assert.equal(noCloud.message, `[neutron] cloud = staging: no such cloud in ${HOME_CLOUDS} (it has: prod, other) ` +
      '(from /etc/kuryr/kuryr.conf)');

    const badYaml = await configErrorAsync(loadWith('', { [HOME_CLOUDS]: 'clouds:\n  prod:\n    auth: {password: "leaked-pw"\n  x: 1\n' },
      { OS_CLOUD: 'prod' }), 'ERR_CONFIG_PARSE');
    assert.match(badYaml.message, new RegExp(`^${HOME_CLOUDS}: not valid YAML \\([A-Z_]+ at line \\d+, column \\d+\\)$`));
    assert.ok(!badYaml.message.includes('leaked-pw'));

    const badSecure = await configErrorAsync(loadWith('', { [HOME_CLOUDS]: PROD_PASSWORD, [HOME_SECURE]: 'clouds:\n  a: 1\n  a: "leaked-pw"\n' },
      { OS_CLOUD: 'prod' }), 'ERR_CONFIG_PARSE');
    assert.match(badSecure.message, /secure\.yaml: not valid YAML \(DUPLICATE_KEY at line 3, column 3\)$/);
    assert.ok(!badSecure.message.includes('leaked-pw'));

    const profile = await configErrorAsync(loadWith('', { [HOME_CLOUDS]: 'clouds:\n  v:\n    profile: vexxhost\n' }, { OS_CLOUD: 'v' }));
    assert.match(profile.message, /^clouds\.yaml cloud "v": profile names a vendor profile; profiles are not supported/);

    const list = await configErrorAsync(loadWith('', { [HOME_CLOUDS]: 'clouds:\n  v:\n    auth:\n      password: [a, b]\n' }, { OS_CLOUD: 'v' }));
    assert.equal(list.message, `clouds.yaml cloud "v": auth.password must be a single value, not a list or mapping (in ${HOME_CLOUDS})`);

    const badUrl = await configErrorAsync(loadWith('', { [HOME_CLOUDS]: 'clouds:\n  v:\n    auth:\n      auth_url: keystone\n' }, { OS_CLOUD: 'v' }));
    assert.equal(badUrl.message, `[neutron] auth_url = keystone: must be an http:// or https:// URL (from auth.auth_url of cloud "v" in ${HOME_CLOUDS})`);

    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const unreadable = await configErrorAsync(loadWith('', { '/srv/clouds.yaml': denied }, { OS_CLOUD: 'prod' }), 'ERR_CONFIG_PARSE');
    assert.equal(unreadable.message, '/srv/clouds.yaml: cannot be read (EACCES)');
  });

  it('a missing secret in the cloud says where it was looked for; the YAML secret never shows', async () => {
    const yaml = PROD_PASSWORD.replace('      application_credential_id: ac-other\n', '');
    const err = await configErrorAsync(loadWith('[neutron]\ncloud = other\n', { [HOME_CLOUDS]: yaml }));
    assert.equal(err.message, '[neutron] application_credential_id is not set (nor auth.application_credential_id of cloud "other"): ' +
      'required when auth_type = v3applicationcredential (or application_credential_name with the user that owns it)');
    assert.ok(!err.message.includes(SECRET));
  });

  it('the pure entry points say when a cloud was named but not read', () => {
    const err = configError(() => load('[DEFAULT]\n', { OS_CLOUD: 'prod' }));
    assert.equal(err.message, '[neutron] cloud = prod: clouds.yaml was not read (load the configuration with loadConfig) (from $OS_CLOUD)');
    assert.deepEqual(requestedCloudFor([{ name: 'k.conf', doc: parseIni('[neutron]\ncloud = x\n', 'k.conf') }], { env: {}, hostname: 'h' }),
      { name: 'x', origin: 'k.conf' });
    assert.equal(requestedCloudFor([{ name: 'k.conf', doc: parseIni('[neutron]\nauth_type = none\n', 'k.conf') }],
      { env: { OS_CLOUD: 'x' }, hostname: 'h' }), undefined);
    // openstacksdk's OS_CLOUD=envvars: the OS_* variables, no clouds.yaml
    assert.equal(load('', { ...OS_PASSWORD_ENV, OS_CLOUD: 'envvars' }).config.neutron.auth.type, 'password');
  });
});
