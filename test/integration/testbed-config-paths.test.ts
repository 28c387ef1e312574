// The testbed's Keystone and Neutron configurations, as scripts/testbed wrote them for the running testbed,
// against every option the installed services know (oslo-config-generator of the Debian packages): no
// option may point outside the testbed directory at something the scripts did not make — the kind of
// dependency (Keystone's [fernet_receipts] key_repository at /etc/keystone/fernet-keys/) that made the
// README's commands fail on a new machine while CI, on an old one, was green. Directories the configs name
// inside the testbed must exist. Options the testbed's settings leave unused are listed with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIni, type IniDocument } from '../../src/config/ini.ts';
import { checkConfigPaths, generatorDefaults, type OptionDefault } from '../helpers/config-paths.ts';
import { testbed } from '../helpers/testbed.ts';

/** what oslo-config-generator knows of NAMESPACES: every option with its default */
function optionsOf(namespaces: readonly string[]): OptionDefault[] {
  const r = spawnSync('oslo-config-generator', ['--format', 'json', ...namespaces.flatMap((n) => ['--namespace', n])],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
  assert.equal(r.status, 0, `oslo-config-generator failed: ${r.stderr}`);
  return generatorDefaults(r.stdout);
}

const packagedCache = new Map<string, boolean>();
/** a path some installed Debian package ships (dpkg -S), and that exists */
function packaged(path: string): boolean {
  let hit = packagedCache.get(path);
  if (hit === undefined) {
    hit = existsSync(path) && spawnSync('dpkg', ['-S', path], { encoding: 'utf8' }).status === 0;
    packagedCache.set(path, hit);
  }
  return hit;
}

const read = (path: string): IniDocument => parseIni(readFileSync(path, 'utf8'), path);

const COMMON_UNUSED: Readonly<Record<string, string>> = {
  '[healthcheck] path': 'a URL path of the healthcheck middleware, not a file',
  '[oslo_middleware] http_basic_auth_user_file': 'only for HTTP basic auth, which no testbed pipeline uses',
};

/** every directory-like value inside the testbed must exist: key repositories, lock, state and policy dirs, log dirs */
function missingTestbedDirs(files: readonly IniDocument[], testbedDir: string): string[] {
  const missing: string[] = [];
  for (const f of files) {
    for (const [section, keys] of f) {
      for (const [name, values] of keys) {
        const v = values.at(-1) ?? '';
        const path = v.startsWith('sqlite:///') ? v.slice('sqlite://'.length) : v;
        if (!path.startsWith(`${testbedDir}/`)) continue;
        const dirLike = /(^|_)(key_repository|lock_path|state_path|policy_dirs|log_dir|dir)$/.test(name);
        const mustExist = dirLike ? path : dirname(path); // a file's directory must exist (log_file, sqlite DB)
        if (!existsSync(mustExist) || !statSync(mustExist).isDirectory()) missing.push(`[${section}] ${name} = ${v}: ${mustExist} is not a directory`);
      }
    }
  }
  return missing;
}

describe('testbed service configs depend on nothing outside the testbed', () => {
  const tb = testbed();

  it('Keystone (keystone.conf as setup-keystone.sh wrote it)', () => {
    const files = [read(join(tb.dir, 'keystone/etc/keystone.conf'))];
    const problems = checkConfigPaths({
      files,
      defaults: optionsOf(['keystone', 'oslo.cache', 'oslo.log', 'oslo.messaging', 'oslo.policy', 'oslo.db', 'oslo.middleware', 'osprofiler']),
      testbedDir: tb.dir,
      packaged,
      unused: {
        ...COMMON_UNUSED,
        '[identity] domain_config_dir': 'only with [identity] domain_specific_drivers_enabled, which is off',
        '[jwt_tokens] jws_public_key_repository': 'only with [token] provider = jws; the testbed uses fernet',
        '[jwt_tokens] jws_private_key_repository': 'only with [token] provider = jws; the testbed uses fernet',
        '[saml] certfile': 'only for Keystone as a SAML identity provider (no federation here)',
        '[saml] keyfile': 'only for Keystone as a SAML identity provider (no federation here)',
        '[saml] idp_metadata_path': 'only for Keystone as a SAML identity provider (no federation here)',
      },
    });
    assert.deepEqual(problems, [], problems.map((p) => `${p.option} = ${p.value}: ${p.why}`).join('\n'));
    assert.deepEqual(missingTestbedDirs(files, tb.dir), []);
  });

  it('Neutron (neutron.conf + ml2_conf.ini as setup-neutron.sh wrote them)', () => {
    const files = [read(join(tb.dir, 'neutron/etc/neutron.conf')), read(join(tb.dir, 'neutron/etc/ml2_conf.ini'))];
    const problems = checkConfigPaths({
      files,
      defaults: optionsOf(['neutron', 'neutron.agent', 'neutron.db', 'neutron.extensions', 'neutron.ml2', 'oslo.log', 'oslo.db',
        'oslo.policy', 'oslo.concurrency', 'oslo.messaging', 'oslo.middleware', 'oslo.service.wsgi', 'oslo.service.sslutils',
        'keystonemiddleware.auth_token']),
      // neutron sets these itself at start-up (neutron/common/config.py set_defaults / set_lock_path defaults)
      runtimeDefaults: [{ section: 'oslo_concurrency', name: 'lock_path', default: '$state_path/lock' }],
      testbedDir: tb.dir,
      packaged,
      unused: {
        ...COMMON_UNUSED,
        '[agent] kill_scripts_path': 'read by the L3/DHCP agents, which the testbed does not run (its agents are fake rows)',
      },
    });
    assert.deepEqual(problems, [], problems.map((p) => `${p.option} = ${p.value}: ${p.why}`).join('\n'));
    assert.deepEqual(missingTestbedDirs(files, tb.dir), []);
  });
});
