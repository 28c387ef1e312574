// Unit tests for src/host/sysfs.ts on a built fake tree (src/testing/sysfs-tree.ts): rooted reads through the
// kernel-style relative symlinks, trailing-newline handling, sorted listings, existence (dangling links do not
// exist), writes that never create files, errno translation, and refused paths (absolute, '..', NUL, empty).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { InvalidRequestError, NotFoundError, PluginError } from '../../src/errors.ts';
import { assertSysfsPath, createSysfs } from '../../src/host/sysfs.ts';
import { buildSysfsTree } from '../../src/testing/sysfs-tree.ts';

async function tree(t: TestContext): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kv-sysfs-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await buildSysfsTree(root, {
    pfs: [{
      name: 'ens1f0', pci: '0000:03:00.0', vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 8,
      vfs: [
        { index: 0, pci: '0000:03:10.0', netdev: 'ens1f0v0', driver: 'ixgbevf' },
        { index: 1, pci: '0000:03:10.2', netdev: 'ens1f0v1', driver: 'ixgbevf' },
      ],
    }],
  });
  return root;
}

function code(e: unknown): string | undefined {
  return e instanceof PluginError ? e.code : undefined;
}

describe('createSysfs', () => {
  it('defaults to /sys and resolves a relative root', () => {
    assert.equal(createSysfs().root, '/sys');
    assert.equal(createSysfs('relative/dir').root, path.resolve('relative/dir'));
  });

  it('reads attributes without their trailing newline, through relative symlinks', async (t) => {
    const sysfs = createSysfs(await tree(t));
    assert.equal(await sysfs.readText('bus/pci/devices/0000:03:00.0/sriov_totalvfs'), '8');
    assert.equal(await sysfs.readText('class/net/ens1f0/device/vendor'), '0x8086');
    assert.equal(await sysfs.readText('bus/pci/devices/0000:03:10.2/physfn/sriov_numvfs'), '2');
  });

  it('keeps inner newlines and strips only one trailing newline', async (t) => {
    const root = await tree(t);
    await writeFile(path.join(root, 'multi'), 'a\nb\n\n');
    assert.equal(await createSysfs(root).readText('multi'), 'a\nb\n');
  });

  it('readLink returns the raw kernel-style target', async (t) => {
    const sysfs = createSysfs(await tree(t));
    assert.equal(await sysfs.readLink('bus/pci/devices/0000:03:10.0'), '../../../devices/pci0000:00/0000:03:10.0');
    assert.equal(await sysfs.readLink('bus/pci/devices/0000:03:10.0/physfn'), '../0000:03:00.0');
    assert.equal(await sysfs.readLink('bus/pci/devices/0000:03:00.0/virtfn1'), '../0000:03:10.2');
    assert.equal(await sysfs.readLink('class/net/ens1f0/device'), '../../../0000:03:00.0');
    assert.equal(await sysfs.readLink('bus/pci/devices/0000:03:10.0/driver'), '../../../bus/pci/drivers/ixgbevf');
  });

  it('lists directories sorted, through symlinks', async (t) => {
    const sysfs = createSysfs(await tree(t));
    assert.deepEqual(await sysfs.list('class/net'), ['ens1f0', 'ens1f0v0', 'ens1f0v1']);
    assert.deepEqual(await sysfs.list('bus/pci/devices/0000:03:10.0/physfn/net'), ['ens1f0']);
    const pf = await sysfs.list('bus/pci/devices/0000:03:00.0');
    assert.deepEqual(pf, [...pf].sort());
    assert.ok(pf.includes('virtfn0') && pf.includes('sriov_numvfs'));
  });

  it('exists follows links; a dangling link or a path through a file does not exist', async (t) => {
    const root = await tree(t);
    const sysfs = createSysfs(root);
    assert.equal(await sysfs.exists('bus/pci/devices/0000:03:10.0/physfn'), true);
    assert.equal(await sysfs.exists('bus/pci/devices/0000:03:10.0/physfn/sriov_totalvfs'), true);
    assert.equal(await sysfs.exists('bus/pci/devices/0000:03:00.0/physfn'), false);
    await symlink('../nowhere', path.join(root, 'devices/pci0000:00/0000:03:10.0/dangling'));
    assert.equal(await sysfs.exists('bus/pci/devices/0000:03:10.0/dangling'), false);
    assert.equal(await sysfs.exists('bus/pci/devices/0000:03:00.0/vendor/x'), false, 'ENOTDIR is "does not exist"');
  });

  it('translates errno: ENOENT/ENOTDIR → ERR_SYSFS_NOT_FOUND (NotFoundError), others → ERR_SYSFS_IO', async (t) => {
    const sysfs = createSysfs(await tree(t));
    for (const op of [
      () => sysfs.readText('bus/pci/devices/0000:09:00.0/vendor'),
      () => sysfs.readLink('bus/pci/devices/0000:03:10.0/nothing'),
      () => sysfs.list('bus/pci/devices/0000:03:10.0/vendor/x'),
    ]) {
      await assert.rejects(op, (e: unknown) => e instanceof NotFoundError && e.code === 'ERR_SYSFS_NOT_FOUND');
    }
    // EISDIR / EINVAL (readlink of a plain file) / ENOTDIR on list of a file
    await assert.rejects(sysfs.readText('class/net'), (e: unknown) => code(e) === 'ERR_SYSFS_IO' && !(e instanceof NotFoundError));
    await assert.rejects(sysfs.readLink('bus/pci/devices/0000:03:00.0/vendor'), (e: unknown) => code(e) === 'ERR_SYSFS_IO');
    await assert.rejects(sysfs.list('bus/pci/devices/0000:03:00.0/vendor'), (e: unknown) => e instanceof NotFoundError);
    const e = await sysfs.readText('nope/x').catch((x: unknown) => x);
    assert.ok(e instanceof PluginError);
    assert.equal(e.details['path'], 'nope/x');
    assert.equal(e.details['errno'], 'ENOENT');
  });

  it('writeText truncates an existing attribute and never creates one', async (t) => {
    const root = await tree(t);
    const sysfs = createSysfs(root);
    await sysfs.writeText('class/net/ens1f0/device/sriov_numvfs', '0');
    assert.equal(await readFile(path.join(root, 'devices/pci0000:00/0000:03:00.0/sriov_numvfs'), 'utf8'), '0');
    await sysfs.writeText('class/net/ens1f0/device/sriov_numvfs', '16');
    await sysfs.writeText('class/net/ens1f0/device/sriov_numvfs', '4');
    assert.equal(await sysfs.readText('class/net/ens1f0/device/sriov_numvfs'), '4', 'no leftover digits from a longer value');
    await assert.rejects(sysfs.writeText('class/net/ens1f0/device/new_attr', '1'), (e: unknown) => code(e) === 'ERR_SYSFS_NOT_FOUND');
    assert.equal(await sysfs.exists('class/net/ens1f0/device/new_attr'), false);
    await assert.rejects(sysfs.writeText('class/net/ens1f0/device/sriov_numvfs', '1\u0000'), (e: unknown) => e instanceof InvalidRequestError);
  });

  it('refuses absolute paths, .. segments, NUL and empty paths before touching the filesystem', async (t) => {
    const sysfs = createSysfs(await tree(t));
    const bad = ['', '.', '/etc/passwd', '../etc/passwd', 'class/../../etc', 'class/net/..', 'a/..', 'class\u0000net', '..'];
    for (const p of bad) {
      assert.throws(() => assertSysfsPath(p), (e: unknown) => e instanceof InvalidRequestError && e.code === 'ERR_SYSFS_PATH', p);
      for (const op of [() => sysfs.readText(p), () => sysfs.readLink(p), () => sysfs.list(p), () => sysfs.exists(p), () => sysfs.writeText(p, '1')]) {
        await assert.rejects(op, (e: unknown) => e instanceof InvalidRequestError && e.code === 'ERR_SYSFS_PATH', p);
      }
    }
    assert.throws(() => assertSysfsPath(42), (e: unknown) => code(e) === 'ERR_SYSFS_PATH');
    // names that merely contain dots are fine
    assert.equal(assertSysfsPath('bus/pci/devices/0000:03:10.0/..hidden'), 'bus/pci/devices/0000:03:10.0/..hidden');
    assert.equal(assertSysfsPath('./class/net'), './class/net');
  });
});
