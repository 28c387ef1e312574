// `kuryr serve` as an operator runs it: a bad kuryr.conf stops it at start-up with one line naming the
// section, option and value (never a secret), and exit status 1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/kuryr.js', import.meta.url));

function kuryr(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stderr });
    });
  });
}

describe('kuryr serve start-up errors', () => {
  let dir: string;
  const neutron = '[neutron]\nauth_type = none\nendpoint_override = http://127.0.0.1:1\n';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'kuryr-cli-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  async function conf(name: string, text: string): Promise<string> {
    const f = join(dir, name);
    await writeFile(f, text);
    return f;
  }

  test('an unknown port driver names section, option and value', async () => {
    const f = await conf('a.conf', `[DEFAULT]\nenabled_port_drivers = veth, kuryr_libnetwork.port_driver.drivers.bogus\n${neutron}`);
    const r = await kuryr(['serve', '--config-file', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_CONFIG_DRIVER/);
    assert.match(r.stderr, /\[DEFAULT\] enabled_port_drivers/);
    assert.match(r.stderr, /kuryr_libnetwork\.port_driver\.drivers\.bogus/);
  });

  test('sriov without the hw_veb binding driver is refused as incompatible', async () => {
    const f = await conf('b.conf', `[DEFAULT]\nenabled_port_drivers = kuryr_libnetwork.port_driver.drivers.veth, kuryr_libnetwork.port_driver.drivers.sriov\n${neutron}`);
    const r = await kuryr(['serve', '--config-file', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_CONFIG_DRIVER: .*sriov.*not compatible/);
  });

  test('a bad boolean names its value; a password is never echoed', async () => {
    const f = await conf('c.conf', `[neutron]\nauth_type = password\nauth_url = http://127.0.0.1:1/v3\nusername = kuryr\n` +
      'password = s3cr#t;pass\nuser_domain_name = Default\nproject_name = service\nproject_domain_name = Default\ninsecure = maybe\n');
    const r = await kuryr(['serve', '--config-file', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[neutron\] insecure = maybe/);
    assert.doesNotMatch(r.stderr, /s3cr/);
  });

  test('missing [neutron] auth_type is explained', async () => {
    const f = await conf('d.conf', '[DEFAULT]\ndebug = true\n');
    const r = await kuryr(['serve', '--config-file', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[neutron\] auth_type/);
  });

  test('a later --config-file and --config-dir override earlier values', async () => {
    const first = await conf('e.conf', `[DEFAULT]\nenabled_port_drivers = bogus\n${neutron}`);
    const second = await conf('f.conf', '[DEFAULT]\nenabled_port_drivers = veth\ncapability_scope = nowhere\n');
    await mkdir(join(dir, 'conf.d'));
    await writeFile(join(dir, 'conf.d', '10-scope.conf'), '[DEFAULT]\ncapability_scope = global\nkuryr_uri = ftp://nope\n');
    const r = await kuryr(['serve', '--config-file', first, '--config-file', second, '--config-dir', join(dir, 'conf.d')]);
    assert.equal(r.code, 1);
    // bogus driver and bad scope were overridden; what remains is the config-dir's bad URI
    assert.doesNotMatch(r.stderr, /bogus|nowhere/);
    assert.match(r.stderr, /kuryr_uri = ftp:\/\/nope/);
  });

  test('a missing config file is named', async () => {
    const r = await kuryr(['serve', '--config-file', join(dir, 'absent.conf')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /absent\.conf/);
  });
});
