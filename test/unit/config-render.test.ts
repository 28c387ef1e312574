// Unit tests for `kuryr config render` / `kuryr config check` (src/deploy/render.ts, src/deploy/values.ts,
// src/cli/config.ts): golden kuryr.conf files from the chart's values.yaml and its ci values, the seed's
// SR-IOV rule (drivers added, never duplicated), values → INI formatting that our own parser reads back
// exactly, secrets kept out, Helm-style values merging and --set, and the CLI wrappers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { configCheck, configRender, assembleValues, type ConfigCliIo } from '../../src/cli/config.ts';
import { buildCli } from '../../src/cli/index.ts';
import { parseIni } from '../../src/config/ini.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { checkDriverCompatibility } from '../../src/config/drivers.ts';
import {
  CHART_KURYR_URI, HW_VEB_BINDING_DRIVER, PASSWORD_ENV, SRIOV_PORT_DRIVER, iniValueText, renderKuryrConf,
} from '../../src/deploy/render.ts';
import { mergeValues, parseSetArgument, setValue, type Values } from '../../src/deploy/values.ts';
import { ConfigError } from '../../src/errors.ts';

const CHART = 'deploy/helm/kuryr-libnetwork';
const FIXTURES = 'test/fixtures/kuryr-conf';
const readYaml = (path: string): Values => parseYaml(readFileSync(path, 'utf8')) as Values;
const chartValues = (): Values => readYaml(`${CHART}/values.yaml`);
const withCi = (name: string): Values => mergeValues(chartValues(), readYaml(`${CHART}/ci/${name}`));
/** load rendered text the way the pod does: the password arrives as $OS_NEUTRON__PASSWORD */
const loadRendered = (text: string) => parseConfigText(text, 'kuryr.conf', { env: { [PASSWORD_ENV]: 'pw' }, hostname: 'node-1' });

/** minimal values that render (no Keystone) */
const NOAUTH: Values = { conf: { kuryr: { neutron: { auth_type: 'none', endpoint_override: 'http://127.0.0.1:9696' } } } };
const noauthWith = (extra: Values): Values => mergeValues(NOAUTH, extra);

function renderError(values: unknown): ConfigError {
  try {
    renderKuryrConf(values);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('render succeeded');
}

describe('golden kuryr.conf from the chart values', () => {
  for (const [name, values, fixture] of [
    ['values.yaml', () => chartValues(), 'chart-default.conf'],
    ['ci/default-values.yaml', () => withCi('default-values.yaml'), 'chart-default.conf'],
    ['ci/sriov-values.yaml', () => withCi('sriov-values.yaml'), 'chart-sriov.conf'],
    ['ci/seed-values.yaml', () => withCi('seed-values.yaml'), 'chart-seed.conf'],
  ] as const) {
    it(`${name} renders ${fixture}, which loads and passes the driver checks`, () => {
      const { text } = renderKuryrConf(values());
      assert.equal(text, readFileSync(`${FIXTURES}/${fixture}`, 'utf8'));
      const { config } = loadRendered(text);
      checkDriverCompatibility(config);
      assert.equal(config.default.kuryrUri, CHART_KURYR_URI);
      assert.equal(config.neutron.auth.type, 'password');
    });
  }

  it('the default values give veth only, Keystone password auth, the password from the environment', () => {
    const { config } = loadRendered(readFileSync(`${FIXTURES}/chart-default.conf`, 'utf8'));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth']);
    assert.equal(config.default.defaultPortDriver, 'veth');
    assert.deepEqual(config.binding.enabledDrivers, ['veth']);
    assert.equal(config.binding.defaultDriver, 'veth');
    const auth = config.neutron.auth;
    assert.ok(auth.type === 'password');
    assert.equal(auth.password, 'pw');
    assert.equal(auth.username, 'kuryr');
    assert.equal(auth.projectName, 'service');
    assert.equal(auth.userDomainName, 'Default');
    assert.equal(auth.projectDomainName, 'Default');
    assert.equal(config.neutron.regionName, 'RegionOne');
  });

  it('the sriov values add the sriov port driver and hw_veb, and fill [sriov]', () => {
    const text = readFileSync(`${FIXTURES}/chart-sriov.conf`, 'utf8');
    const { config } = loadRendered(text);
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.equal(config.default.defaultPortDriver, 'veth');
    assert.deepEqual(config.binding.enabledDrivers, ['veth', 'hw_veb']);
    assert.deepEqual([...config.sriov.physicalDeviceMappings], [['physnet1', ['ens1f0', 'ens2f0']], ['physnet2', ['ens1f1']]]);
    assert.deepEqual([...config.sriov.excludeDevices].map(([pf, s]) => [pf, [...s]]), [['ens1f0', ['0000:07:00.2', '0000:07:00.3']]]);
    // module paths, as the seed writes them
    assert.match(text, new RegExp(`^enabled_port_drivers = .*${SRIOV_PORT_DRIVER.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(text, new RegExp(`^enabled_drivers = .*${HW_VEB_BINDING_DRIVER.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('neither golden file holds a password line', () => {
    for (const f of ['chart-default.conf', 'chart-sriov.conf']) {
      const doc = parseIni(readFileSync(`${FIXTURES}/${f}`, 'utf8'), f);
      assert.equal(doc.get('neutron')?.has('password'), false, f);
    }
  });
});

describe('the seed rule: network.kuryr.sriov.enabled adds the SR-IOV drivers', () => {
  const sriovOn = (conf: Values): Values => mergeValues(NOAUTH, { network: { kuryr: { sriov: { enabled: true, physical_device_mappings: ['physnet1:ens1f0'] } } }, conf: { kuryr: conf } });

  it('adds both drivers when conf lists neither', () => {
    const { config } = renderKuryrConf(sriovOn({
      DEFAULT: { enabled_port_drivers: ['kuryr_libnetwork.port_driver.drivers.veth'] },
      binding: { enabled_drivers: ['kuryr.lib.binding.drivers.veth'] },
    }));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.deepEqual(config.binding.enabledDrivers, ['veth', 'hw_veb']);
  });

  it('keeps the veth defaults when conf does not set the lists at all', () => {
    const { text, config } = renderKuryrConf(sriovOn({}));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.deepEqual(config.binding.enabledDrivers, ['veth', 'hw_veb']);
    assert.match(text, /^enabled_port_drivers = kuryr_libnetwork\.port_driver\.drivers\.veth,kuryr_libnetwork\.port_driver\.drivers\.sriov$/m);
  });

  for (const [label, port, binding] of [
    ['module paths, as comma strings (the seed)', 'kuryr_libnetwork.port_driver.drivers.veth,kuryr_libnetwork.port_driver.drivers.sriov',
      'kuryr.lib.binding.drivers.veth, kuryr.lib.binding.drivers.hw_veb'],
    ['short names, as lists', ['veth', 'sriov'], ['veth', 'hw_veb']],
    ['a mix', ['sriov', 'kuryr_libnetwork.port_driver.drivers.veth'], ['kuryr.lib.binding.drivers.hw_veb', 'veth']],
  ] as const) {
    it(`adds no duplicate when conf already lists them (${label})`, () => {
      const { text, config } = renderKuryrConf(sriovOn({ DEFAULT: { enabled_port_drivers: port }, binding: { enabled_drivers: binding } }));
      const doc = parseIni(text, 'r');
      const ports = doc.get('DEFAULT')?.get('enabled_port_drivers')?.[0]?.split(',') ?? [];
      const bindings = doc.get('binding')?.get('enabled_drivers')?.[0]?.split(',') ?? [];
      assert.equal(ports.length, 2, text);
      assert.equal(bindings.length, 2, text);
      assert.deepEqual([...config.default.enabledPortDrivers].sort(), ['sriov', 'veth']);
      assert.deepEqual([...config.binding.enabledDrivers].sort(), ['hw_veb', 'veth']);
    });
  }

  it('disabled: conf is written as given, nothing added, the [sriov] values are ignored with a warning', () => {
    const { config, warnings } = renderKuryrConf(mergeValues(NOAUTH, {
      network: { kuryr: { sriov: { enabled: false, physical_device_mappings: ['physnet1:ens1f0'] } } },
    }));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth']);
    assert.deepEqual(config.binding.enabledDrivers, ['veth']);
    assert.equal(config.sriov.physicalDeviceMappings.size, 0);
    assert.ok(warnings.some((w) => w.includes('physical_device_mappings is ignored')), warnings.join('\n'));
  });

  it('disabled but conf enables sriov: rendered, with a warning about /sys and the node selector', () => {
    const { config, warnings } = renderKuryrConf(noauthWith({ conf: { kuryr: {
      DEFAULT: { enabled_port_drivers: ['veth', 'sriov'] }, binding: { enabled_drivers: ['veth', 'hw_veb'] },
    } } }));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.ok(warnings.some((w) => w.includes('network.kuryr.sriov.enabled is false')), warnings.join('\n'));
  });

  it('enabled without physical_device_mappings: renders, warns that VFs cannot be allocated', () => {
    const { warnings } = renderKuryrConf(noauthWith({ network: { kuryr: { sriov: { enabled: true } } } }));
    assert.ok(warnings.some((w) => w.includes('physical_device_mappings is empty')), warnings.join('\n'));
  });

  it('mappings given both in network.kuryr.sriov and conf.kuryr.sriov: refused', () => {
    const e = renderError(mergeValues(NOAUTH, {
      network: { kuryr: { sriov: { enabled: true, physical_device_mappings: ['physnet1:a'] } } },
      conf: { kuryr: { sriov: { physical_device_mappings: 'physnet1:b' } } },
    }));
    assert.match(e.message, /set only one of them/);
  });

  it('a physical_device_mappings entry the loader refuses fails the render with the loader\'s message', () => {
    const e = renderError(mergeValues(NOAUTH, { network: { kuryr: { sriov: { enabled: true, physical_device_mappings: ['no-colon'] } } } }));
    assert.match(e.message, /would not load: \[sriov\] physical_device_mappings = no-colon/);
  });

  it('supported_vnic_types: direct by default; normal and the sriov driver\'s types accepted; others and [] refused', () => {
    assert.match(renderKuryrConf(noauthWith({ network: { kuryr: { sriov: { enabled: true } } } })).text, /vnic types served: direct$/m);
    const all = renderKuryrConf(noauthWith({ network: { kuryr: { sriov: { enabled: true, supported_vnic_types: ['normal', 'direct', 'direct-physical', 'macvtap'] } } } }));
    assert.match(all.text, /vnic types served: normal, direct, direct-physical, macvtap$/m);
    const vdpa = renderError(noauthWith({ network: { kuryr: { sriov: { enabled: true, supported_vnic_types: ['direct', 'vdpa'] } } } })).message;
    assert.match(vdpa, /"vdpa" is not a vnic type; expected a list, or one comma-separated string, of: normal, direct, direct-physical, macvtap/);
    assert.match(vdpa, /at network\.kuryr\.sriov\.supported_vnic_types/);
    assert.match(renderError(noauthWith({ network: { kuryr: { sriov: { enabled: true, supported_vnic_types: [] } } } })).message,
      /supported_vnic_types/);
  });

  it('supported_vnic_types as the seed writes it: one comma string (spaces allowed, duplicates dropped)', () => {
    for (const [given, served] of [
      ['normal,direct,direct-physical,macvtap', 'normal, direct, direct-physical, macvtap'],
      ['direct', 'direct'],
      [' direct , macvtap,direct', 'direct, macvtap'],
    ] as const) {
      const { text } = renderKuryrConf(noauthWith({ network: { kuryr: { sriov: { enabled: true, supported_vnic_types: given } } } }));
      assert.match(text, new RegExp(`^# vnic types served: ${served}$`, 'm'), given);
    }
    for (const [given, why] of [['direct,vdpa', /"vdpa" is not a vnic type/], ['', /names no vnic type/], ['direct,,macvtap', /"" is not a vnic type/]] as const) {
      assert.match(renderError(noauthWith({ network: { kuryr: { sriov: { enabled: true, supported_vnic_types: given } } } })).message, why, given);
    }
  });

  it('the seed\'s block merged over the chart defaults: both SR-IOV drivers once, module paths kept, loads and checks', () => {
    const { text, config } = renderKuryrConf(withCi('seed-values.yaml'));
    assert.match(text, /^enabled_port_drivers = kuryr_libnetwork\.port_driver\.drivers\.veth,kuryr_libnetwork\.port_driver\.drivers\.sriov$/m);
    assert.match(text, /^enabled_drivers = kuryr\.lib\.binding\.drivers\.veth,kuryr\.lib\.binding\.drivers\.hw_veb$/m);
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
    assert.deepEqual(config.binding.enabledDrivers, ['veth', 'hw_veb']);
    assert.equal(config.default.defaultPortDriver, 'veth');
    checkDriverCompatibility(loadRendered(text).config);
  });
});

describe('values → kuryr.conf formatting', () => {
  it('booleans are True/False, numbers plain, lists joined with ","', () => {
    const { text, config } = renderKuryrConf(noauthWith({ conf: { kuryr: {
      DEFAULT: { debug: true, process_external_connectivity: false },
      neutron: { vif_plugging_timeout: 30, vif_plugging_is_fatal: 'yes' },
      binding: { enabled_drivers: ['veth'] },
    } } }));
    assert.match(text, /^debug = True$/m);
    assert.match(text, /^process_external_connectivity = False$/m);
    assert.match(text, /^vif_plugging_timeout = 30$/m);
    assert.match(text, /^vif_plugging_is_fatal = yes$/m);
    assert.equal(config.default.debug, true);
    assert.equal(config.default.processExternalConnectivity, false);
    assert.equal(config.neutron.vifPluggingTimeout, 30);
    assert.equal(config.neutron.vifPluggingIsFatal, true);
  });

  it('sections in table order (DEFAULT, binding, neutron, sriov, then others sorted), options in table order', () => {
    const { text } = renderKuryrConf(noauthWith({ conf: { kuryr: {
      zeta: { b: 1, a: 2 }, alpha: { x: 'y' },
      binding: { default_driver: 'veth', veth_dst_prefix: 'eth' },
      DEFAULT: { debug: true, kuryr_uri: CHART_KURYR_URI },
    } } }));
    const headers = [...text.matchAll(/^\[([^\]]+)\]$/gm)].map((m) => m[1]);
    assert.deepEqual(headers, ['DEFAULT', 'binding', 'neutron', 'alpha', 'zeta']);
    assert.ok(text.indexOf('kuryr_uri') < text.indexOf('debug'));
    assert.ok(text.indexOf('veth_dst_prefix') < text.indexOf('default_driver'));
    assert.ok(text.indexOf('a = 2') < text.indexOf('b = 1'));
  });

  it('the same values in any key order render the same text (the ConfigMap holds them sorted)', () => {
    const sorted = (v: unknown): unknown => (typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().reverse().map((k) => [k, sorted((v as Values)[k])])) : v);
    const values = withCi('sriov-values.yaml');
    assert.equal(renderKuryrConf(sorted(values)).text, renderKuryrConf(values).text);
  });

  it('any one-line value reads back exactly (quotes and surrounding spaces survive)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }).filter((s) => !/[\r\n]/.test(s)), (value) => {
      const { text } = renderKuryrConf(noauthWith({ conf: { kuryr: { custom: { key: value } } } }));
      assert.deepEqual(parseIni(text, 'r').get('custom')?.get('key'), [value]);
    }), { numRuns: 300 });
    for (const v of ['"quoted"', "'single'", '"', "'", '  padded  ', '#not a comment', 'a = b : c', '"a" b "c"']) {
      assert.equal(parseIni(`[s]\nk = ${iniValueText(v)}\n`, 'r').get('s')?.get('k')?.[0], v, v);
    }
  });

  it('a known string option keeps its exact value through the loader', () => {
    const { config } = renderKuryrConf(noauthWith({ conf: { kuryr: { DEFAULT: { deployment_type: '  "nested"  ' } } } }));
    assert.equal(config.default.deploymentType, '  "nested"  ');
  });

  it('values are written verbatim, so oslo $-substitution applies ($$ for a literal $)', () => {
    const { config } = renderKuryrConf(noauthWith({ conf: { kuryr: { DEFAULT: { bindir: '$state_path/bin', subnetpool_name_prefix: 'a$$b' } } } }));
    assert.equal(config.default.bindir, '/var/lib/kuryr/bin');
    assert.equal(config.default.subnetpoolNamePrefix, 'a$b');
  });

  it('refuses what INI cannot hold: newlines, commas inside list items, bad names, DEFAULT spelt otherwise', () => {
    assert.match(renderError(noauthWith({ conf: { kuryr: { DEFAULT: { bindir: 'a\nb' } } } })).message, /single line/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { custom: { k: 'a\rb' } } } })).message, /single line/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { custom: { k: ['a,b'] } } } })).message, /comma/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { DEFAULT: { enabled_port_drivers: ['veth,sriov'] } } } })).message, /comma/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { custom: { 'bad key': 1 } } } })).message, /option name/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { 'bad]': { k: 1 } } } })).message, /section name/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { default: { debug: true } } } })).message, /DEFAULT \(upper case\)/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { Binding: { veth_dst_prefix: 'x' } } } })).message, /conf\.kuryr\.binding/);
    assert.match(renderError(noauthWith({ conf: { kuryr: { Foo: { a: 1 }, foo: { b: 2 } } } })).message, /same section/);
  });

  it('unknown options in the sections the plugin reads are refused by the schema (typos)', () => {
    const e = renderError(noauthWith({ conf: { kuryr: { DEFAULT: { enabled_port_driver: 'veth' } } } }));
    assert.match(e.message, /schema/);
    assert.match(e.message, /enabled_port_driver/);
  });

  it('deprecated option names are accepted; the loader\'s warning is passed on', () => {
    const { config, warnings } = renderKuryrConf(noauthWith({ conf: { kuryr: { binding: { driver: 'veth' } } } }));
    assert.equal(config.binding.defaultDriver, 'veth');
    assert.ok(warnings.some((w) => w.includes('[binding] driver is deprecated')), warnings.join('\n'));
  });

  it('a driver combination the plugin refuses fails the render', () => {
    const e = renderError(noauthWith({ conf: { kuryr: { DEFAULT: { default_port_driver: 'sriov' } } } }));
    assert.equal(e.code, 'ERR_CONFIG_DRIVER');
    assert.match(e.message, /would not load/);
  });

  it('values the chart cannot serve are warned about: another kuryr_uri or state_path', () => {
    const { warnings } = renderKuryrConf(noauthWith({ conf: { kuryr: { DEFAULT: { kuryr_uri: 'http://127.0.0.1:23750', state_path: '/srv/kuryr' } } } }));
    assert.ok(warnings.some((w) => w.includes('readiness probe')), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('state_path')), warnings.join('\n'));
  });
});

describe('secrets stay out of kuryr.conf', () => {
  const SECRET = 'Tr0ub4dor&3-unique';

  for (const key of ['password', 'token', 'application_credential_secret']) {
    it(`conf.kuryr.neutron.${key} is refused, pointing at secrets.neutron.password, without echoing it`, () => {
      const e = renderError(mergeValues(chartValues(), { conf: { kuryr: { neutron: { [key]: SECRET } } } }));
      assert.match(e.message, /secrets\.neutron\.password/);
      assert.ok(!e.message.includes(SECRET));
    });
  }

  it('auth_section and cloud are refused (the password variable is read for [neutron] only)', () => {
    for (const key of ['auth_section', 'cloud']) {
      assert.match(renderError(mergeValues(chartValues(), { conf: { kuryr: { neutron: { [key]: 'x' } } } })).message, /OS_NEUTRON__PASSWORD/);
    }
  });

  it('v3applicationcredential is refused (the chart\'s Secret carries a password only)', () => {
    const e = renderError(mergeValues(chartValues(), { conf: { kuryr: { neutron: { auth_type: 'v3applicationcredential' } } } }));
    assert.match(e.message, /not supported by the chart/);
  });

  it('secrets.neutron.password in the values is never rendered', () => {
    const { text } = renderKuryrConf(mergeValues(chartValues(), { secrets: { neutron: { password: SECRET } } }));
    assert.ok(!text.includes(SECRET));
  });

  it('without a password in the environment the rendered conf does not load: the chart must pass it', () => {
    const text = readFileSync(`${FIXTURES}/chart-default.conf`, 'utf8');
    assert.throws(() => parseConfigText(text, 'kuryr.conf', { env: {} }), /\[neutron\] password is not set/);
    // and an empty Secret gives the same clear error
    assert.throws(() => parseConfigText(text, 'kuryr.conf', { env: { [PASSWORD_ENV]: '' } }), /\[neutron\] password is not set/);
  });
});

describe('Helm-style values assembly', () => {
  it('mergeValues: maps merge deeply, lists and scalars replace, null deletes', () => {
    const merged = mergeValues(
      { a: { b: 1, c: [1, 2], d: { e: 1 } }, keep: true },
      { a: { c: [3], d: null, f: 'x' } },
    );
    assert.deepEqual(merged, { a: { b: 1, c: [3], f: 'x' }, keep: true });
  });

  it('parseSetArgument: dotted keys, types, lists, escapes, several pairs', () => {
    assert.deepEqual(parseSetArgument('a.b=c'), [[['a', 'b'], 'c']]);
    assert.deepEqual(parseSetArgument('a=true,b=false,c=12,d=null,e=1.5,f=012'),
      [[['a'], true], [['b'], false], [['c'], 12], [['d'], null], [['e'], '1.5'], [['f'], '012']]);
    assert.deepEqual(parseSetArgument('l={x,y,3}'), [[['l'], ['x', 'y', 3]]]);
    assert.deepEqual(parseSetArgument('l={}'), [[['l'], []]]);
    assert.deepEqual(parseSetArgument('a\\.b=c\\,d'), [[['a.b'], 'c,d']]);
    assert.deepEqual(parseSetArgument('a=x=y'), [[['a'], 'x=y']]);
    assert.deepEqual(parseSetArgument('t=1', { asString: true }), [[['t'], '1']]);
    assert.throws(() => parseSetArgument('novalue'), ConfigError);
    assert.throws(() => parseSetArgument('a..b=1'), ConfigError);
    assert.throws(() => parseSetArgument('a[0]=1'), /index syntax/);
    assert.throws(() => parseSetArgument('a={x'), /unbalanced/);
  });

  it('setValue creates intermediate maps and deletes on null', () => {
    assert.deepEqual(setValue({}, ['a', 'b'], 1), { a: { b: 1 } });
    assert.deepEqual(setValue({ a: { b: 1, c: 2 } }, ['a', 'b'], null), { a: { c: 2 } });
    assert.deepEqual(setValue({ a: 'scalar' }, ['a', 'b'], 1), { a: { b: 1 } });
  });

  it('assembleValues: files in order, then --set, then --set-string', async () => {
    const files: Record<string, string> = {
      'a.yaml': 'x: {y: 1, z: [1]}\nimage: {tag: "1"}\n',
      'b.yaml': 'x: {z: [2]}\n',
      'empty.yaml': '',
    };
    const values = await assembleValues({
      values: ['a.yaml', 'b.yaml', 'empty.yaml'], set: ['x.y=2'], setString: ['image.tag=3'],
      readFile: async (p) => { const t = files[p]; if (t === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' }); return t; },
    });
    assert.deepEqual(values, { x: { y: 2, z: [2] }, image: { tag: '3' } });
    await assert.rejects(assembleValues({ values: ['missing.yaml'], set: [], setString: [], readFile: async () => { throw Object.assign(new Error(), { code: 'ENOENT' }); } }),
      /values file missing.yaml: cannot be read \(ENOENT\)/);
    await assert.rejects(assembleValues({ values: ['bad.yaml'], set: [], setString: [], readFile: async () => 'a: [' }), /not valid YAML/);
    await assert.rejects(assembleValues({ values: ['dup.yaml'], set: [], setString: [], readFile: async () => 'a: 1\na: 2\n' }), /not valid YAML/);
    await assert.rejects(assembleValues({ values: ['list.yaml'], set: [], setString: [], readFile: async () => '- a\n' }), /top level must be a map/);
  });
});

describe('CLI: kuryr config check / render', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kuryr-config-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const capture = (): ConfigCliIo & { stdout: string; stderr: string } => {
    const io = { stdout: '', stderr: '', out: (t: string) => { io.stdout += t; }, err: (t: string) => { io.stderr += t; } };
    return io;
  };
  const SECRET = 'S3cr3t-never-printed';

  it('is registered: kuryr config check | render | values-schema', () => {
    const config = buildCli().commands.find((c) => c.name() === 'config');
    assert.ok(config);
    assert.deepEqual(config.commands.map((c) => c.name()).sort(), ['check', 'render', 'values-schema']);
  });

  it('render prints the golden text for the chart values, warnings on stderr', async () => {
    const io = capture();
    await configRender({ values: [`${CHART}/values.yaml`, `${CHART}/ci/sriov-values.yaml`], set: [], setString: [] }, io);
    assert.equal(io.stdout, readFileSync(`${FIXTURES}/chart-sriov.conf`, 'utf8'));
    assert.equal(io.stderr, '');
  });

  it('render --set overrides and --output writes the file (nothing on stdout)', async () => {
    const out = join(dir, 'kuryr.conf');
    const io = capture();
    await configRender({ values: [`${CHART}/values.yaml`], set: ['network.kuryr.sriov.enabled=true'], setString: [], output: out }, io);
    assert.equal(io.stdout, '');
    assert.match(io.stderr, /kuryr: warning: network\.kuryr\.sriov\.physical_device_mappings is empty/);
    const { config } = loadRendered(readFileSync(out, 'utf8'));
    assert.deepEqual(config.default.enabledPortDrivers, ['veth', 'sriov']);
  });

  it('render without any values is an error', async () => {
    await assert.rejects(configRender({ values: [], set: [], setString: [] }, capture()), /at least one --values/);
  });

  it('check prints ok, a summary without secrets, and the warnings', async () => {
    const file = join(dir, 'check.conf');
    writeFileSync(file, `${readFileSync(`${FIXTURES}/chart-sriov.conf`, 'utf8')}\n[DEFAULT]\nunknown_opt = 1\n`);
    const io = capture();
    await configCheck({ configFile: [file], configDir: [], env: { [PASSWORD_ENV]: SECRET }, hostname: 'node-7' }, io);
    const lines = io.stdout.split('\n');
    assert.equal(lines[0], 'ok');
    assert.match(io.stdout, /port drivers: veth, sriov \(default veth\)/);
    assert.match(io.stdout, /binding drivers: veth, hw_veb/);
    assert.match(io.stdout, /host: node-7/);
    assert.match(io.stdout, /neutron auth: password, user kuryr, project service at http:\/\/keystone-api/);
    assert.match(io.stdout, /sriov: physnet1 → ens1f0 ens2f0; physnet2 → ens1f1/);
    assert.match(io.stdout, /^warning: \[DEFAULT\] unknown_opt is not a known option/m);
    assert.ok(!io.stdout.includes(SECRET) && !io.stderr.includes(SECRET));
  });

  it('check reads a --config-dir after the files, as serve does', async () => {
    const d = join(dir, 'conf.d');
    rmSync(d, { recursive: true, force: true });
    writeFileSync(join(dir, 'base.conf'), '[neutron]\nauth_type = none\nendpoint_override = http://127.0.0.1:9696\n');
    (await import('node:fs')).mkdirSync(d);
    writeFileSync(join(d, '10-debug.conf'), '[DEFAULT]\nkuryr_uri = http://127.0.0.1:23750\n');
    const io = capture();
    await configCheck({ configFile: [join(dir, 'base.conf')], configDir: [d], env: {}, hostname: 'h' }, io);
    assert.match(io.stdout, /listen: http:\/\/127\.0\.0\.1:23750/);
    assert.match(io.stdout, /neutron auth: none, Neutron at http:\/\/127\.0\.0\.1:9696/);
  });

  it('check fails with the loader\'s error and never echoes a secret value', async () => {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, `[neutron]\nauth_type = password\nauth_url = not-a-url\npassword = ${SECRET}\n`);
    await assert.rejects(configCheck({ configFile: [file], configDir: [], env: {}, hostname: 'h' }, capture()), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /auth_url/);
      assert.ok(!e.message.includes(SECRET));
      return true;
    });
    const drivers = join(dir, 'drivers.conf');
    writeFileSync(drivers, '[DEFAULT]\nenabled_port_drivers = veth, sriov\n[neutron]\nauth_type = none\nendpoint_override = http://n:9696\n');
    await assert.rejects(configCheck({ configFile: [drivers], configDir: [], env: {}, hostname: 'h' }, capture()),
      (e: unknown) => e instanceof ConfigError && e.code === 'ERR_CONFIG_DRIVER');
  });

  it('check refuses what serve refuses: an enabled port driver this build does not implement (nested, vlan)', async () => {
    for (const [port, binding] of [['nested', 'macvlan'], ['vlan', 'vlan']] as const) {
      const file = join(dir, `${port}.conf`);
      writeFileSync(file, `[DEFAULT]\nenabled_port_drivers = veth, kuryr_libnetwork.port_driver.drivers.${port}\n` +
        `[binding]\nenabled_drivers = veth, ${binding}\n[neutron]\nauth_type = none\nendpoint_override = http://n:9696\n`);
      const out = capture();
      await assert.rejects(configCheck({ configFile: [file], configDir: [], env: {}, hostname: 'h' }, out), (e: unknown) => {
        assert.ok(e instanceof ConfigError && e.code === 'ERR_CONFIG_DRIVER', String(e));
        assert.equal(e.message, `[DEFAULT] enabled_port_drivers = veth, ${port}: port driver ${port} is not implemented in this build ` +
          `(it has veth, sriov); remove ${port}`);
        return true;
      });
      assert.equal(out.stdout, '', 'nothing printed as ok');
    }
  });

  it('render refuses values that enable a port driver serve would refuse', () => {
    const e = renderError(noauthWith({ conf: { kuryr: { DEFAULT: { enabled_port_drivers: ['veth', 'nested'] }, binding: { enabled_drivers: ['veth', 'macvlan'] } } } }));
    assert.equal(e.code, 'ERR_CONFIG_DRIVER');
    assert.match(e.message, /would not load: .*port driver nested is not implemented in this build/);
  });

  it('the real command exits 1 with one line on a bad file, 0 with ok on a good one', async () => {
    const { spawnSync } = await import('node:child_process');
    // bin/kuryr.js runs the compiled dist/; this entry runs the sources the same way
    const entry = join(dir, 'kuryr-entry.mts');
    writeFileSync(entry, `import { main } from ${JSON.stringify(join(process.cwd(), 'src/cli/index.ts'))};\nawait main(process.argv);\n`);
    // no OS_* / CAPABILITY_SCOPE from the caller's environment: only what the test gives
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_') && k !== 'CAPABILITY_SCOPE'));
    const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath,
      ['--import', 'tsx', entry, ...args], { encoding: 'utf8', env: { ...clean, ...env } });
    const bad = run(['config', 'check', '--config-file', join(dir, 'does-not-exist.conf')]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /^kuryr: ERR_CONFIG_PARSE: config file .*does-not-exist\.conf: cannot be read/);
    const file = join(dir, 'good.conf');
    writeFileSync(file, readFileSync(`${FIXTURES}/chart-default.conf`, 'utf8'));
    const good = run(['config', 'check', '--config-file', file], { [PASSWORD_ENV]: SECRET });
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^ok\n/);
    assert.ok(!good.stdout.includes(SECRET));
    const version = run(['--version']);
    assert.equal(version.status, 0, version.stderr);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    assert.equal(version.stdout, `kuryr-libnetwork ${pkg.version} (node ${process.version})\n`);
    assert.equal(run(['-V']).stdout, version.stdout);
  });
});
