// `kuryr serve` as an operator runs it: a bad kuryr.conf stops it at start-up with one line naming the
// section, option and value (never a secret), and exit status 1.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
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

describe('kuryr serve run the README\'s way: `kuryr` on PATH is bin/kuryr.js itself', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'kuryr-readme-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('the README starts kuryr directly (no npx / npm exec wrapper)', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const serveLines = blocks.flatMap((b) => b.split('\n')).filter((l) => /\bkuryr(\.js)? serve\b/.test(l));
    assert.ok(serveLines.length > 0, 'the README shows how to run kuryr serve');
    for (const l of serveLines) assert.doesNotMatch(l, /\b(npx|npm (exec|run|start))\b/, l);
    assert.ok(blocks.some((b) => b.includes('ln -sf "$PWD/bin/kuryr.js" /usr/local/bin/kuryr')));
  });

  test('one process serving (node running bin/kuryr.js, no child, no npm), its log reopened on SIGHUP', async (t) => {
    const neutronUrl = process.env['NEUTRON_URL'];
    assert.ok(neutronUrl, 'the testbed (real Neutron) runs: npm test starts it');
    // the README's `ln -sf "$PWD/bin/kuryr.js" /usr/local/bin/kuryr`, into a PATH directory of this test
    await mkdir(join(dir, 'bin'));
    await symlink(BIN, join(dir, 'bin', 'kuryr'));
    const sock = join(dir, 'kuryr.sock');
    const log = join(dir, 'log', 'kuryr.log');
    const f = join(dir, 'kuryr.conf');
    await writeFile(f, `[DEFAULT]\nkuryr_uri = unix://${sock}\nstate_path = ${join(dir, 'state')}\nlog_file = ${log}\nuse_json = false\n` +
      `[neutron]\nauth_type = none\nendpoint_override = ${neutronUrl}\n`);
    const child = spawn('kuryr', ['serve', '--config-file', f], {
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}` }, stdio: 'ignore',
    });
    t.after(() => { child.kill('SIGKILL'); });
    const deadline = Date.now() + 30_000;
    while (!(await stat(sock).then((s) => s.isSocket(), () => false))) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `kuryr serve did not create ${sock}: ${await readFile(log, 'utf8').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = child.pid!;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    assert.match(argv[0]!, /(^|\/)node$/, argv.join(' '));
    assert.equal(argv[1], join(dir, 'bin', 'kuryr'));
    assert.deepEqual(argv.slice(2), ['serve', '--config-file', f]);
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim();
    assert.equal(children, '', 'no child process beside the plugin');
    const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
    t.diagnostic(`kuryr serve RSS after start: ${(rssKb / 1024).toFixed(1)} MB`);

    // text lines (use_json = false) in log_file; logrotate moves it, SIGHUP: the plugin writes a new one
    assert.match(await readFile(log, 'utf8'), / INFO kuryr_libnetwork \[-\] kuryr plugin serving address=/);
    await rename(log, `${log}.1`);
    process.kill(pid, 'SIGHUP');
    const until = Date.now() + 10_000;
    while (!(await readFile(log, 'utf8').catch(() => '')).includes('log file reopened')) {
      assert.ok(Date.now() < until, 'no new log file after SIGHUP');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    assert.match(await readFile(log, 'utf8'), / INFO kuryr_libnetwork \[-\] stopped$/m);
  });
});
