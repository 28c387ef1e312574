// The testbed config path check (test/helpers/config-paths.ts) can fail, and says which option: the Keystone
// configuration the testbed wrote before receipts had a key repository of their own is refused, naming
// [fernet_receipts] key_repository; paths in the testbed, packaged files and options left unused pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIni } from '../../src/config/ini.ts';
import { checkConfigPaths, generatorDefaults } from '../helpers/config-paths.ts';

// the relevant part of `oslo-config-generator --format json --namespace keystone` (Zed)
const GENERATOR = JSON.stringify({
  options: {
    fernet_tokens: { opts: [{ name: 'key_repository', default: '/etc/keystone/fernet-keys/' }, { name: 'max_active_keys', default: 3 }] },
    fernet_receipts: { opts: [{ name: 'key_repository', default: '/etc/keystone/fernet-keys/' }] },
    jwt_tokens: { opts: [{ name: 'jws_public_key_repository', default: '/etc/keystone/jws-keys/public' }] },
    federation: { opts: [{ name: 'sso_callback_template', default: '/etc/keystone/sso_callback_template.html' }] },
    oslo_concurrency: { opts: [{ name: 'lock_path', default: null }] },
    DEFAULT: { opts: [{ name: 'log-dir', default: null }, { name: 'state_path', default: '/var/lib/keystone' }] },
    cache: { opts: [{ name: 'lock_dir', default: '$state_path/cache-locks' }] },
  },
});
const TB = '/root/project/.testbed';
const check = (conf: string) => checkConfigPaths({
  files: [parseIni(conf, 'keystone.conf')],
  defaults: generatorDefaults(GENERATOR),
  testbedDir: TB,
  unused: { '[jwt_tokens] jws_public_key_repository': 'only with [token] provider = jws' },
  packaged: (p) => p === '/etc/keystone/sso_callback_template.html',
});

describe('testbed config path check', () => {
  it('refuses the keystone.conf without [fernet_receipts], naming the option, its default and why', () => {
    const problems = check(`[fernet_tokens]\nkey_repository = ${TB}/keystone/fernet-keys\n[DEFAULT]\nstate_path = ${TB}/keystone\n`);
    assert.deepEqual(problems, [{
      option: '[fernet_receipts] key_repository', value: '/etc/keystone/fernet-keys/',
      why: `the default, outside ${TB}, and no package the testbed installs ships it`,
    }]);
  });

  it('passes once every used path is in the testbed (interpolated $state_path included)', () => {
    assert.deepEqual(check(`[fernet_tokens]\nkey_repository = ${TB}/keystone/fernet-keys\n[fernet_receipts]\nkey_repository = ${TB}/keystone/r\n` +
      `[DEFAULT]\nstate_path = ${TB}/keystone\n`), []);
  });

  it('a value set by the testbed outside it is named as set, and $state_path is followed into [DEFAULT]', () => {
    const problems = check(`[fernet_tokens]\nkey_repository = /etc/keystone/k\n[fernet_receipts]\nkey_repository = ${TB}/r\n`);
    assert.deepEqual(problems.map((p) => [p.option, p.value, p.why.split(',')[0]]), [
      ['[fernet_tokens] key_repository', '/etc/keystone/k', 'set in the testbed config'],
      ['[DEFAULT] state_path', '/var/lib/keystone', 'the default'],
      ['[cache] lock_dir', '/var/lib/keystone/cache-locks', 'the default'],
    ]);
  });
});
