// Unit tests for src/config/load.ts and src/config/options.ts: defaults, value types, environment,
// file/dir precedence, auth assembly, secrets never echoed, warnings, and that docs/config.md and
// etc/kuryr.conf.example describe every option in the table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import { configError, configErrorAsync } from '../helpers/config-errors.ts';
import {
  configDirEntries, envNameFor, loadConfig, parseConfigText, redactConfig, type LoadConfigInput, type LoadedConfig,
} from '../../src/config/load.ts';
import {
  ALL_OPTIONS, KNOWN_SECTIONS, OPTIONS, describeDefault, findOption, parseBool, parseInt10, parseList, types,
} from '../../src/config/options.ts';
import type { KuryrConfig } from '../../src/config/types.ts';
import { OSLO_DEFAULT_LOG_LEVELS } from '../../src/config/options-logging.ts';

const NOAUTH = '[neutron]\nauth_type = none\nendpoint_override = http://127.0.0.1:9696\n';
const PASSWORD_AUTH = [
  '[neutron]',
  'auth_type = password',
  'auth_url = http://controller:5000/v3',
  'username = kuryr',
  'password = pw',
  'user_domain_name = Default',
  'project_name = service',
  'project_domain_name = Default',
  '',
].join('\n');

const load = (text: string, env: Record<string, string | undefined> = {}, hostname = 'node-1'): LoadedConfig =>
  parseConfigText(text, 'test.conf', { env, hostname });



const EXPECTED_DEFAULTS: KuryrConfig = {
  default: {
    kuryrUri: 'unix:///run/docker/plugins/kuryr.sock',
    capabilityScope: 'local',
    localDefaultAddressSpace: 'no_address_space',
    globalDefaultAddressSpace: 'no_address_space',
    portDriver: 'kuryr_libnetwork.port_driver.drivers.veth',
    defaultPortDriver: 'veth',
    enabledPortDrivers: ['veth'],
    processExternalConnectivity: true,
    sslCertFile: '/var/lib/kuryr/certs/cert.pem',
    sslKeyFile: '/var/lib/kuryr/certs/key.pem',
    enableSsl: false,
    bindir: '/usr/libexec/kuryr',
    subnetpoolNamePrefix: 'kuryrPool',
    deploymentType: 'baremetal',
    pybasedir: '',
    host: 'node-1',
    statePath: '/var/lib/kuryr',
    debug: false,
    logFile: undefined,
    logging: {
      useStderr: false, useSyslog: false, syslogFacility: 1, useJournal: false, useJson: true,
      levels: OSLO_DEFAULT_LOG_LEVELS.map((l) => [l.slice(0, l.lastIndexOf('=')), ({ WARN: 'warn', INFO: 'info' } as const)[l.slice(l.lastIndexOf('=') + 1) as 'WARN' | 'INFO']]),
    },
  },
  binding: {
    vethDstPrefix: 'eth',
    defaultDriver: 'veth',
    enabledDrivers: ['veth'],
    linkIface: '',
  },
  neutron: {
    enableDhcp: true,
    defaultSubnetpoolV4: 'kuryr',
    defaultSubnetpoolV6: 'kuryr6',
    vifPluggingIsFatal: false,
    vifPluggingTimeout: 0,
    regionName: undefined,
    endpointType: 'public',
    cafile: undefined,
    insecure: false,
    timeout: 30,
    auth: { type: 'none', endpointOverride: 'http://127.0.0.1:9696' },
  },
  sriov: { sysfsRoot: '/sys', physicalDeviceMappings: new Map(), excludeDevices: new Map() },
};

describe('defaults', () => {
  it('every option has its (upstream or project) default', () => {
    const { config, warnings } = load(NOAUTH);
    assert.deepEqual(config, EXPECTED_DEFAULTS);
    assert.deepEqual(warnings, []);
  });

  it('pybasedir defaults to the install dir passed in', () => {
    const { config } = parseConfigText(NOAUTH, 't', { hostname: 'h', installDir: '/opt/kuryr' });
    assert.equal(config.default.pybasedir, '/opt/kuryr');
  });

  it('every option field path names a KuryrConfig field (or null), and names are unique per section', () => {
    const { config } = load(PASSWORD_AUTH);
    const seen = new Set<string>();
    for (const o of ALL_OPTIONS) {
      for (const n of [o.name, ...o.deprecatedNames]) {
        const key = `${o.section}.${n}`;
        assert.ok(!seen.has(key), `duplicate option ${key}`);
        seen.add(key);
      }
      assert.ok(KNOWN_SECTIONS.includes(o.section));
      if (o.field === null) continue;
      const parts = o.field.split('.');
      const leaf = parts.pop()!;
      let node: unknown = config;
      for (const p of parts) node = (node as Record<string, unknown>)[p];
      assert.equal(typeof node, 'object', `${o.field}: parent missing`);
      // optional fields are absent when unset; they must at least be declared on the type, which tsc checks
      if ([
        'certfile', 'keyfile', 'endpointOverride', 'userId', 'projectId', 'userDomainId', 'projectDomainId',
        'applicationCredentialId', 'applicationCredentialName', 'applicationCredentialSecret',
      ].includes(leaf)) continue;
      assert.ok(leaf in (node as object), `${o.field}: field missing in loaded config`);
    }
  });

  it('findOption resolves current and deprecated names', () => {
    assert.equal(findOption('binding', 'driver')?.name, 'default_driver');
    assert.equal(findOption('neutron', 'tenant_name')?.name, 'project_name');
    assert.equal(findOption('DEFAULT', 'nope'), undefined);
  });
});

describe('value types', () => {
  it('bool accepts true/false/yes/no/1/0/on/off in any case and nothing else', () => {
    for (const [raw, v] of [
      ['true', true], ['TRUE', true], ['Yes', true], ['1', true], ['oN', true],
      ['false', false], ['False', false], ['NO', false], ['0', false], ['Off', false],
    ] as const) {
      assert.deepEqual(parseBool(raw), { ok: true, value: v }, raw);
    }
    for (const raw of ['', 'maybe', 'y', 't', '2', 'enabled']) assert.equal(parseBool(raw).ok, false, raw);
  });

  it('a bad bool in a file names section, option, value and file', () => {
    const err = configError(() => load(`[DEFAULT]\ndebug = maybe\n${NOAUTH}`));
    assert.equal(err.message, '[DEFAULT] debug = maybe: not a boolean (use true/false, yes/no, on/off or 1/0) (from test.conf)');
    assert.deepEqual(err.details, { section: 'DEFAULT', option: 'debug', origin: 'test.conf' });
  });

  it('int: sign, underscores, bounds', () => {
    assert.deepEqual(parseInt10('+5'), { ok: true, value: 5 });
    assert.deepEqual(parseInt10('1_000'), { ok: true, value: 1000 });
    assert.deepEqual(parseInt10('-3'), { ok: true, value: -3 });
    for (const raw of ['', '1.5', 'ten', '0x10', '1e3', '1__0', '99999999999999999999']) {
      assert.equal(parseInt10(raw).ok, false, raw);
    }
    assert.deepEqual(parseInt10('0', { min: 0 }), { ok: true, value: 0 });
    assert.equal(parseInt10('-1', { min: 0 }).ok, false);
    assert.equal(parseInt10('5', { min: 1, max: 4 }).ok, false);
    assert.match(load(`[neutron]\nvif_plugging_timeout = 12\n${NOAUTH}`).config.neutron.vifPluggingTimeout.toString(), /^12$/);
    const err = configError(() => load(`${NOAUTH}timeout = 0\n`));
    assert.match(err.message, /^\[neutron\] timeout = 0: must be >= 1/);
    configError(() => load(`${NOAUTH}vif_plugging_timeout = -1\n`));
  });

  it('list: comma split, trimmed, empties dropped', () => {
    assert.deepEqual(parseList(' a, ,b ,,c,'), ['a', 'b', 'c']);
    assert.deepEqual(parseList(''), []);
    assert.deepEqual(parseList('single'), ['single']);
  });

  it('enum: exact choices; endpoint_type also takes the *URL spellings', () => {
    assert.equal(load(`[DEFAULT]\ncapability_scope = global\n${NOAUTH}`).config.default.capabilityScope, 'global');
    const err = configError(() => load(`[DEFAULT]\ncapability_scope = GLOBAL\n${NOAUTH}`));
    assert.match(err.message, /^\[DEFAULT\] capability_scope = GLOBAL: must be one of local, global/);
    for (const [raw, v] of [['publicURL', 'public'], ['internalURL', 'internal'], ['adminURL', 'admin'], ['admin', 'admin']]) {
      assert.equal(load(`${NOAUTH}endpoint_type = ${raw}\n`).config.neutron.endpointType, v);
    }
    configError(() => load(`${NOAUTH}endpoint_type = private\n`));
  });

  it('optional strings: empty means unset', () => {
    const { config } = load(`${NOAUTH}region_name =\ncafile = /etc/ssl/ca.pem\n`);
    assert.equal(config.neutron.regionName, undefined);
    assert.equal(config.neutron.cafile, '/etc/ssl/ca.pem');
    assert.equal(load(`${NOAUTH}region_name = RegionTwo\n`).config.neutron.regionName, 'RegionTwo');
  });

  it('multiStr keeps every value', () => {
    assert.deepEqual(types.multiStr().parse(['a', 'b']), { ok: true, value: ['a', 'b'] });
    assert.deepEqual(types.str().parse(['a', 'b']), { ok: true, value: 'b' });
  });

  it('kuryr_uri: unix sockets and http URLs (upstream default still accepted)', () => {
    for (const uri of ['http://127.0.0.1:23750', 'unix:///run/kuryr/kuryr.sock', 'https://[::1]:23750']) {
      assert.equal(load(`[DEFAULT]\nkuryr_uri = ${uri}\n${NOAUTH}`).config.default.kuryrUri, uri);
    }
    for (const uri of ['unix://relative.sock', 'unix:///run/', 'ftp://x', '127.0.0.1:23750', 'http://host:1/path']) {
      const err = configError(() => load(`[DEFAULT]\nkuryr_uri = ${uri}\n${NOAUTH}`));
      assert.ok(err.message.startsWith(`[DEFAULT] kuryr_uri = ${uri}: `), err.message);
    }
  });

  it('enable_dhcp is a boolean (upstream string "True" still reads as true)', () => {
    assert.equal(load(`${NOAUTH}enable_dhcp = True\n`).config.neutron.enableDhcp, true);
    assert.equal(load(`${NOAUTH}enable_dhcp = false\n`).config.neutron.enableDhcp, false);
    configError(() => load(`${NOAUTH}enable_dhcp = sometimes\n`));
  });

  it('state_path must be absolute; host must not be empty', () => {
    assert.match(configError(() => load(`[DEFAULT]\nstate_path = var/kuryr\n${NOAUTH}`)).message, /must be an absolute path/);
    assert.match(configError(() => load(NOAUTH, {}, '')).message, /^\[DEFAULT\] host = : is empty/);
  });
});

describe('host, logging', () => {
  it('host defaults to the hostname passed in; [DEFAULT] host overrides it', () => {
    assert.equal(load(NOAUTH, {}, 'compute-7').config.default.host, 'compute-7');
    assert.equal(load(`[DEFAULT]\nhost = agent-host\n${NOAUTH}`, {}, 'compute-7').config.default.host, 'agent-host');
  });

  it('log_dir and log_file combine as oslo.log does', () => {
    const f = (t: string): string | undefined => load(`[DEFAULT]\n${t}\n${NOAUTH}`).config.default.logFile;
    assert.equal(f('log_file = /var/log/k.log'), '/var/log/k.log');
    assert.equal(f('log_file = k.log\nlog_dir = /var/log/kuryr'), '/var/log/kuryr/k.log');
    assert.equal(f('log_file = /abs/k.log\nlog_dir = /var/log/kuryr'), '/abs/k.log');
    assert.equal(f('log_dir = /var/log/kuryr'), '/var/log/kuryr/kuryr-server.log');
    assert.equal(f('debug = yes'), undefined);
  });
});

describe('environment', () => {
  it('OS_KURYR_URI and CAPABILITY_SCOPE replace the defaults but not file values', () => {
    const env = { OS_KURYR_URI: 'http://127.0.0.1:23750', CAPABILITY_SCOPE: 'global' };
    const fromEnv = load(NOAUTH, env).config.default;
    assert.equal(fromEnv.kuryrUri, 'http://127.0.0.1:23750');
    assert.equal(fromEnv.capabilityScope, 'global');
    const fromFile = load(`[DEFAULT]\nkuryr_uri = unix:///x/k.sock\ncapability_scope = local\n${NOAUTH}`, env).config.default;
    assert.equal(fromFile.kuryrUri, 'unix:///x/k.sock');
    assert.equal(fromFile.capabilityScope, 'local');
  });

  it('a bad env default names the variable', () => {
    const err = configError(() => load(NOAUTH, { CAPABILITY_SCOPE: 'planet' }));
    assert.equal(err.message, '[DEFAULT] capability_scope = planet: must be one of local, global (from $CAPABILITY_SCOPE)');
  });

  it('OS_<SECTION>__<OPTION> overrides files (oslo.config environment source)', () => {
    assert.equal(envNameFor('neutron', 'password'), 'OS_NEUTRON__PASSWORD');
    const { config } = load(`[DEFAULT]\ndebug = false\n${PASSWORD_AUTH}`, {
      OS_DEFAULT__DEBUG: 'true',
      OS_NEUTRON__PASSWORD: 'from-env',
    });
    assert.equal(config.default.debug, true);
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.password, 'from-env');
  });
});

describe('value substitution ($name, as oslo.config)', () => {
  it('expands references, $$ and \\$', () => {
    const { config } = load(
      [
        '[DEFAULT]',
        'state_path = /srv/kuryr',
        'ssl_cert_file = $state_path/certs/c.pem',
        'ssl_key_file = ${DEFAULT.state_path}/certs/k.pem',
        'bindir = ${state_path}/bin',
        NOAUTH,
        'region_name = $host-region',
        'cafile = /a$$b\\$c',
      ].join('\n'),
      {},
      'n7',
    );
    assert.equal(config.default.sslCertFile, '/srv/kuryr/certs/c.pem');
    assert.equal(config.default.sslKeyFile, '/srv/kuryr/certs/k.pem');
    assert.equal(config.default.bindir, '/srv/kuryr/bin');
    assert.equal(config.neutron.regionName, 'n7-region');
    assert.equal(config.neutron.cafile, '/a$b$c');
  });

  it('a reference to a default value uses the default; a lone $ stays', () => {
    const { config } = load(`[DEFAULT]\nbindir = $state_path/x$\n${NOAUTH}`);
    assert.equal(config.default.bindir, '/var/lib/kuryr/x$');
  });

  it('unknown references and loops are errors naming the option', () => {
    const err = configError(() => load(`[DEFAULT]\nbindir = $nosuch/bin\n${NOAUTH}`));
    assert.match(err.message, /^\[DEFAULT\] bindir = \$nosuch\/bin: \$nosuch names no known option/);
    const loop = configError(() => load(`[binding]\nlink_iface = $veth_dst_prefix\nveth_dst_prefix = $link_iface\n${NOAUTH}`));
    assert.match(loop.message, /substitution loop/);
  });
});

describe('files and directories', () => {
  function fsInput(files: Record<string, string>, dirs: Record<string, string[]>, over: Partial<LoadConfigInput> = {}): LoadConfigInput {
    return {
      configFiles: [],
      configDirs: [],
      env: {},
      hostname: 'h',
      readFile: async (p) => {
        const text = files[p];
        if (text === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
        return text;
      },
      listDir: async (p) => {
        const entries = dirs[p];
        if (entries === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
        return entries;
      },
      ...over,
    };
  }

  it('later files win for single-value options; dirs come after files, sorted', async () => {
    const files = {
      '/etc/kuryr/kuryr.conf': `[DEFAULT]\nbindir = /one\ndebug = true\nsubnetpool_name_prefix = p1\n${NOAUTH}`,
      '/etc/kuryr/extra.conf': '[DEFAULT]\nbindir = /two\n',
      '/etc/kuryr/conf.d/20-b.conf': '[DEFAULT]\nbindir = /dir-b\n[binding]\nveth_dst_prefix = b\n',
      '/etc/kuryr/conf.d/10-a.conf': '[DEFAULT]\nbindir = /dir-a\nsubnetpool_name_prefix = pa\n[binding]\nveth_dst_prefix = a\n',
      '/etc/kuryr/conf.d/99-z.conf.disabled': '[DEFAULT]\nbindir = /never\n',
      '/etc/kuryr/conf.d/.hidden.conf': '[DEFAULT]\nbindir = /never\n',
    };
    const { config } = await loadConfig(
      fsInput(files, { '/etc/kuryr/conf.d': ['20-b.conf', '99-z.conf.disabled', '.hidden.conf', '10-a.conf'] }, {
        configFiles: ['/etc/kuryr/kuryr.conf', '/etc/kuryr/extra.conf'],
        configDirs: ['/etc/kuryr/conf.d'],
      }),
    );
    assert.equal(config.default.bindir, '/dir-b');
    assert.equal(config.default.subnetpoolNamePrefix, 'pa');
    assert.equal(config.default.debug, true);
    assert.equal(config.binding.vethDstPrefix, 'b');
  });

  it('configDirEntries keeps *.conf without dotfiles, sorted', () => {
    assert.deepEqual(configDirEntries(['b.conf', 'a.conf', '.x.conf', 'c.conf~', 'README', '0.conf']), ['0.conf', 'a.conf', 'b.conf']);
  });

  it('a repeated key in one file: the last value wins, earlier ones are not even checked', () => {
    assert.equal(load(`[DEFAULT]\nbindir = /a\nbindir = /b\n${NOAUTH}`).config.default.bindir, '/b');
    assert.equal(load(`[DEFAULT]\ndebug = bogus\nbindir = $nosuch\nbindir = /b\ndebug = on\n${NOAUTH}`).config.default.debug, true);
  });

  it('a missing config file or dir is an error naming the path', async () => {
    const err = await configErrorAsync(
      loadConfig(fsInput({}, {}, { configFiles: ['/etc/kuryr/missing.conf'] })),
      'ERR_CONFIG_PARSE',
    );
    assert.match(err.message, /^config file \/etc\/kuryr\/missing\.conf: cannot be read \(no such file or directory\)/);
    assert.ok(err.cause instanceof Error);
    const dirErr = await configErrorAsync(loadConfig(fsInput({}, {}, { configDirs: ['/nope.d'] })), 'ERR_CONFIG_PARSE');
    assert.match(dirErr.message, /^config dir \/nope\.d: cannot be listed/);
  });

  it('a syntax error in a dir file names that file and line', async () => {
    const err = await configErrorAsync(
      loadConfig(fsInput({ '/a.conf': NOAUTH, '/d/x.conf': '[DEFAULT]\nbroken line\n' }, { '/d': ['x.conf'] }, {
        configFiles: ['/a.conf'],
        configDirs: ['/d'],
      })),
      'ERR_CONFIG_PARSE',
    );
    assert.match(err.message, /^\/d\/x\.conf:2: /);
  });

  it('a bad value names the file it came from', async () => {
    const err = await configErrorAsync(
      loadConfig(fsInput({ '/a.conf': NOAUTH, '/b.conf': '[neutron]\ntimeout = soon\n' }, {}, {
        configFiles: ['/a.conf', '/b.conf'],
      })),
      'ERR_CONFIG_VALUE',
    );
    assert.equal(err.message, '[neutron] timeout = soon: not an integer (from /b.conf)');
  });
});

describe('the SR-IOV host config from the spec', () => {
  const SRIOV = [
    '[DEFAULT]',
    'bindir = /usr/local/libexec/kuryr',
    'enabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov',
    'default_port_driver = kuryr_libnetwork.port_driver.drivers.veth',
    '[binding]',
    'enabled_drivers = kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb',
    'default_driver = kuryr.lib.binding.drivers.veth',
    PASSWORD_AUTH,
  ].join('\n');

  it('parses module-path driver names into short names', () => {
    const { config, warnings } = load(SRIOV);
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.equal(config.default.defaultPortDriver, 'veth');
    assert.deepEqual(config.binding.enabledDrivers, ['veth', 'hw_veb']);
    assert.equal(config.binding.defaultDriver, 'veth');
    assert.equal(config.default.bindir, '/usr/local/libexec/kuryr');
    assert.deepEqual(config.neutron.auth, {
      type: 'password',
      authUrl: 'http://controller:5000/v3',
      password: 'pw',
      username: 'kuryr',
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    });
    assert.deepEqual(warnings, []);
  });

  it('the short-name form of §10 gives the same drivers', () => {
    const { config } = load(SRIOV.replace(/enabled_port_drivers = .*/, 'enabled_port_drivers = veth, sriov'));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
  });
});

describe('[neutron] auth', () => {
  it('missing auth_type tells the operator to set [neutron] auth_type', () => {
    const err = configError(() => load('[DEFAULT]\ndebug = true\n'));
    assert.match(err.message, /^\[neutron\] auth_type is not set: set \[neutron\] auth_type = password/);
  });

  it('none requires endpoint_override (an http URL)', () => {
    assert.match(configError(() => load('[neutron]\nauth_type = none\n')).message, /^\[neutron\] endpoint_override is not set/);
    assert.match(
      configError(() => load('[neutron]\nauth_type = none\nendpoint_override = neutron:9696\n')).message,
      /^\[neutron\] endpoint_override = neutron:9696: must be an http/,
    );
  });

  it('password: each required setting is named when missing', () => {
    const without = (key: string): string => PASSWORD_AUTH.split('\n').filter((l) => !l.startsWith(`${key} =`)).join('\n');
    for (const [key, missingName] of [
      ['auth_url', 'auth_url'], ['password', 'password'], ['username', 'username'], ['project_name', 'project_name'],
      ['user_domain_name', 'user_domain_name'], ['project_domain_name', 'project_domain_name'],
    ] as const) {
      const err = configError(() => load(without(key)));
      assert.ok(err.message.startsWith(`[neutron] ${missingName} is not set: `), err.message);
    }
  });

  it('v3password, user_id/project_id, default_domain_* and endpoint_override', () => {
    const { config } = load(
      [
        '[neutron]', 'auth_type = v3password', 'auth_url = https://keystone/v3', 'user_id = u1', 'password = pw',
        'project_name = p', 'default_domain_id = default', 'endpoint_override = http://neutron:9696',
      ].join('\n'),
    );
    assert.deepEqual(config.neutron.auth, {
      type: 'password', authUrl: 'https://keystone/v3', password: 'pw', userId: 'u1', projectName: 'p',
      userDomainId: 'default', projectDomainId: 'default', endpointOverride: 'http://neutron:9696',
    });
  });

  it('other auth types are refused as not supported yet', () => {
    for (const t of ['token', 'v3token', 'v2password', 'Password', 'applicationcredential']) {
      const err = configError(() => load(`[neutron]\nauth_type = ${t}\n`));
      assert.equal(err.message,
        `[neutron] auth_type = ${t}: auth type not supported yet (supported: none, password, v3password, v3applicationcredential)`);
    }
  });

  it('domain, system and trust scopes are refused', () => {
    for (const line of ['domain_name = D', 'domain_id = d', 'system_scope = all', 'trust_id = t1']) {
      const err = configError(() => load(`${PASSWORD_AUTH}${line}\n`));
      const [key, value] = line.split(' = ');
      assert.ok(err.message.startsWith(`[neutron] ${key} = ${value}: `), err.message);
      assert.match(err.message, /not supported yet/);
    }
  });

  it('auth_section moves the plugin options to another section', () => {
    const text = [
      '[neutron]', 'auth_section = keystone_authtoken', 'auth_type = none', 'timeout = 5',
      '[keystone_authtoken]', 'auth_type = password', 'auth_url = http://ks:5000/v3', 'username = kuryr',
      'password = pw', 'user_domain_name = Default', 'project_name = service', 'project_domain_name = Default',
      'memcached_servers = 127.0.0.1:11211',
    ].join('\n');
    const { config, warnings } = load(text);
    assert.equal(config.neutron.auth.type, 'password');
    assert.equal(config.neutron.timeout, 5);
    assert.deepEqual(warnings, [
      '[neutron] auth_type is ignored: auth options are read from [keystone_authtoken] (auth_section) (in test.conf)',
      '[keystone_authtoken] memcached_servers is not a known option; ignored (in test.conf)',
    ]);
    const err = configError(() => load(`${PASSWORD_AUTH}auth_section = nowhere\n`));
    assert.match(err.message, /^\[neutron\] auth_section = nowhere: there is no \[nowhere\] section/);
  });

  it('deprecated names are read, with a warning', () => {
    const text = PASSWORD_AUTH.replace('auth_type', 'auth_plugin').replace('project_name', 'tenant_name');
    const { config, warnings } = load(`${text}\n[binding]\ndriver = veth\n`);
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.projectName, 'service');
    assert.deepEqual(warnings.sort(), [
      '[binding] driver is deprecated; use default_driver',
      '[neutron] auth_plugin is deprecated; use auth_type',
      '[neutron] tenant_name is deprecated; use project_name',
    ]);
  });

  it('the new name wins over a deprecated one', () => {
    const { config, warnings } = load(`[binding]\ndefault_driver = veth\ndriver = hw_veb\n${NOAUTH}`);
    assert.equal(config.binding.defaultDriver, 'veth');
    assert.deepEqual(warnings, ['[binding] driver ignored: default_driver is set (deprecated name)']);
  });
});

describe('secrets', () => {
  it('a bad $reference in password prints *** and not the value', () => {
    const err = configError(() => load(PASSWORD_AUTH.replace('password = pw', 'password = hunter$secretXYZ')));
    assert.ok(!err.message.includes('hunter'), err.message);
    assert.ok(!err.message.includes('secretXYZ'), err.message);
    assert.match(err.message, /^\[neutron\] password = \*\*\*: /);
  });

  it('unknown keys are warned about by name only', () => {
    const { warnings } = load(`${PASSWORD_AUTH}pasword = hunter2secret\n[unrelated]\nanything = goes\n`);
    assert.deepEqual(warnings, ['[neutron] pasword is not a known option; ignored (in test.conf)']);
  });

  it('token and application_credential_secret are never echoed', () => {
    const err = configError(() =>
      load('[neutron]\nauth_type = v3applicationcredential\napplication_credential_secret = topSecretValue\ntoken = tokVALUE\n'),
    );
    assert.match(err.message, /^\[neutron\] auth_url is not set: required when auth_type = v3applicationcredential/);
    assert.ok(!/topSecretValue|tokVALUE/.test(err.message), err.message);
    const bad = configError(() => load('[neutron]\nauth_type = none\nendpoint_override = http://x\ntoken = a$nosuchref\nregion_name = $token\n'));
    assert.equal(bad.message, '[neutron] token = ***: a $reference names no known option (write $$ for a literal $) (from test.conf)');
  });

  it('a value that expands a secret by $name is masked too', () => {
    for (const line of ['endpoint_override = $password', 'region_name = ${neutron.token}', 'endpoint_override = x$token']) {
      const text = `${PASSWORD_AUTH.replace('password = pw', 'password = hunter2secret')}token = tokSECRET\n${line}\n`;
      let message = '';
      try {
        load(text);
      } catch (e) {
        message = (e as Error).message;
      }
      if (line.startsWith('endpoint_override')) assert.match(message, /^\[neutron\] endpoint_override = \*\*\*: must be an http/);
      assert.ok(!/hunter2secret|tokSECRET/.test(message), message);
    }
    const state = configError(() => load(`[DEFAULT]\nstate_path = \${neutron.password}\n${PASSWORD_AUTH.replace('password = pw', 'password = rel-secret')}`));
    assert.equal(state.message, '[DEFAULT] state_path = ***: must be an absolute path');
  });

  it('property: no error or warning ever contains the password', () => {
    const secret = fc.string({ minLength: 6, maxLength: 30 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length >= 6);
    fc.assert(
      fc.property(secret, fc.boolean(), (pw, viaEnv) => {
        const text = viaEnv ? PASSWORD_AUTH.replace('password = pw\n', '') : PASSWORD_AUTH.replace('password = pw', `password = ${pw}`);
        const env = viaEnv ? { OS_NEUTRON__PASSWORD: pw } : {};
        try {
          const { warnings } = load(text, env);
          for (const w of warnings) assert.ok(!w.includes(pw));
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
          assert.ok(!e.message.includes(pw), e.message);
          assert.ok(!JSON.stringify(e.details).includes(pw));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('redactConfig masks the password and leaves the original alone', () => {
    const { config } = load(PASSWORD_AUTH);
    const safe = redactConfig(config);
    assert.equal(safe.neutron.auth.type === 'password' && safe.neutron.auth.password, '***');
    assert.equal(config.neutron.auth.type === 'password' && config.neutron.auth.password, 'pw');
    assert.ok(!JSON.stringify(safe).includes('"pw"'));
  });
});

describe('warnings', () => {
  it('unknown keys in known sections are listed; unknown sections are not', () => {
    const { warnings } = load(`[DEFAULT]\nno_such_option = true\n[binding]\nfoo = 1\n[oslo_concurrency]\nlock_path = /x\n${NOAUTH}`);
    assert.deepEqual(warnings, [
      '[DEFAULT] no_such_option is not a known option; ignored (in test.conf)',
      '[binding] foo is not a known option; ignored (in test.conf)',
    ]);
  });

  it('a section pasted from sriov_agent.ini is named, with the section that holds those options here', () => {
    const { warnings } = load(`[sriov_nic]\nphysical_device_mappings = physnet1:ens1f0\nexclude_devices =\n${NOAUTH}`);
    assert.deepEqual(warnings, [
      "[sriov_nic] is a section of the Neutron SR-IOV agent's sriov_agent.ini, which this plugin does not read; " +
        'put physical_device_mappings, exclude_devices under [sriov] (in test.conf)',
    ]);
    assert.match(load(`[ml2_sriov]\nagent_required = True\n${NOAUTH}`).warnings[0] ?? '', /^\[ml2_sriov\] is a section of Neutron's ml2_conf\.ini.*\[sriov\]/);
  });

  it('[Default] is not [DEFAULT] (oslo.config lower-cases every other section name, so [Sriov] is [sriov])', () => {
    const { warnings, config } = load(`[Default]\ndebug = true\n[Sriov]\nphysical_device_mappings = physnet1:ens1f0\n${NOAUTH}`);
    assert.deepEqual(warnings, ['[default] is not read (only DEFAULT is upper case); did you mean [DEFAULT]? (in test.conf)']);
    assert.equal(config.default.debug, false);
    assert.deepEqual([...config.sriov.physicalDeviceMappings.keys()], ['physnet1']);
  });

  it('accepted-but-unused options say so when set', () => {
    const { warnings } = load(`[DEFAULT]\nport_driver = veth\n${NOAUTH}collect_timing = true\n`);
    assert.deepEqual(warnings, [
      '[DEFAULT] port_driver has no effect: deprecated upstream and never read; set default_port_driver instead',
      '[neutron] collect_timing has no effect: keystoneauth timing collection is not implemented',
    ]);
  });

  it('enable_ssl on a unix socket is pointed out', () => {
    const { warnings } = load(`[DEFAULT]\nenable_ssl = true\n${NOAUTH}`);
    assert.deepEqual(warnings, ['[DEFAULT] enable_ssl has no effect: kuryr_uri is a unix socket']);
  });
});

describe('docs and example stay in step with the option table', () => {
  const example = readFileSync(new URL('../../etc/kuryr.conf.example', import.meta.url), 'utf8');
  const docs = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

  it('etc/kuryr.conf.example shows every option, commented, with its default, in its section', () => {
    let section = '';
    const shown = new Map<string, string>();
    for (const line of example.split('\n')) {
      const header = /^\[(.+)\]$/.exec(line);
      if (header) section = header[1]!;
      const m = /^#([a-z_0-9]+) =(?: (.*))?$/.exec(line);
      if (m) shown.set(`${section}.${m[1]}`, m[2] ?? '');
    }
    for (const o of ALL_OPTIONS) {
      const expected = o.defaultFrom !== undefined ? describeDefault(o) : o.type.format(o.default);
      assert.equal(shown.get(`${o.section}.${o.name}`), expected, `${o.section}.${o.name}`);
    }
    // and it is itself a valid file (all commented out → only defaults, minus auth)
    assert.match(configError(() => parseConfigText(example, 'example')).message, /auth_type is not set/);
  });

  it('docs/config.md has a table row for every option', () => {
    for (const o of ALL_OPTIONS) {
      assert.ok(docs.includes(`| ${o.section} | \`${o.name}\``), `docs row for ${o.section}.${o.name}`);
    }
  });

  it('every option spec renders its default through its own type', () => {
    for (const o of ALL_OPTIONS) {
      if (o.default === undefined || o.defaultFrom !== undefined) continue;
      const parsed = o.type.parse([o.type.format(o.default)]);
      assert.ok(parsed.ok, `${o.name} default does not re-parse`);
      assert.deepEqual(parsed.value, o.default, o.name);
    }
    assert.equal(OPTIONS.kuryrUri.default, 'unix:///run/docker/plugins/kuryr.sock');
  });
});
