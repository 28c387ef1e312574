// Unit tests for src/host/sriov.ts on built fake sysfs trees: two PFs of two vendors (Intel 82599 + ixgbevf,
// Mellanox ConnectX-5 + mlx5 VFs), exact VF-index matching by link basename (lookalike targets must never
// match), VFs without physfn / driver / visible netdev, the PF-side failure modes, and PCI/name validation.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { InvalidRequestError, NotFoundError, PluginError } from '../../src/errors.ts';
import { isPf, isVf, pciVendorInfo, pfInfo, USERSPACE_DRIVERS, vfInfo, vfPciAddress } from '../../src/host/sriov.ts';
import { createSysfs, type Sysfs } from '../../src/host/sysfs.ts';
import { buildSysfsTree, netdevToContainer, netdevToHost, type SysfsTreeSpec } from '../../src/testing/sysfs-tree.ts';

const TWO_PFS: SysfsTreeSpec = {
  pfs: [
    {
      name: 'ens1f0', pci: '0000:03:00.0', vendor: '0x8086', device: '0x10fb', vfDevice: '0x10ed', driver: 'ixgbe', totalVfs: 63,
      vfs: [
        { index: 0, pci: '0000:03:10.0', netdev: 'ens1f0v0', driver: 'ixgbevf' },
        // the address whose lookalikes (0000:03:10.10, …) appear below
        { index: 1, pci: '0000:03:10.1', netdev: 'ens1f0v1', driver: 'ixgbevf' },
        { index: 2, pci: '0000:03:10.2', driver: 'vfio-pci' },
        { index: 3, pci: '0000:03:10.3' },
      ],
    },
    {
      name: 'enp130s0f0np0', pci: '0000:82:00.0', vendor: '15b3', device: '1017', vfDevice: '1018', driver: 'mlx5_core', totalVfs: 8,
      vfs: [
        { index: 0, pci: '0000:82:00.2', netdev: 'enp130s0f0v0', driver: 'mlx5_core' },
        { index: 1, pci: '0000:82:00.3', netdev: 'enp130s0f0v1', driver: 'mlx5_core' },
      ],
    },
  ],
  nics: [{ name: 'eno1', pci: '0000:00:19.0', vendor: '0x8086', device: '0x153a', driver: 'e1000e' }],
  virtio: [{ name: 'eth0', pci: '0000:00:03.0', bus: 'virtio2' }],
  virtual: ['docker0'],
};

async function tree(t: TestContext, spec: SysfsTreeSpec = TWO_PFS): Promise<{ root: string; sysfs: Sysfs }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kv-sriov-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await buildSysfsTree(root, spec);
  return { root, sysfs: createSysfs(root) };
}

function hasCode(c: string, cls: new (...a: never[]) => PluginError = PluginError): (e: unknown) => boolean {
  return (e: unknown) => e instanceof cls && e.code === c;
}

describe('vfInfo', () => {
  it('resolves an Intel VF: PF netdev, index, netdev, IDs, driver', async (t) => {
    const { sysfs } = await tree(t);
    assert.deepEqual(await vfInfo(sysfs, '0000:03:10.1'), {
      pci: '0000:03:10.1', pfPci: '0000:03:00.0', pfName: 'ens1f0', vfIndex: 1, netdev: 'ens1f0v1',
      vendor: '8086', device: '10ed', driver: 'ixgbevf',
    });
  });

  it('resolves a Mellanox VF on the second PF', async (t) => {
    const { sysfs } = await tree(t);
    const vf = await vfInfo(sysfs, '0000:82:00.3');
    assert.deepEqual(vf, {
      pci: '0000:82:00.3', pfPci: '0000:82:00.0', pfName: 'enp130s0f0np0', vfIndex: 1, netdev: 'enp130s0f0v1',
      vendor: '15b3', device: '1018', driver: 'mlx5_core',
    });
    assert.equal(pciVendorInfo(vf), '15b3:1018');
  });

  it('accepts an upper-case address and answers in the lower-case sysfs form', async (t) => {
    const { root } = await tree(t, { pfs: [{ name: 'p0', pci: '0000:af:00.0', vendor: '8086', device: '1572', vfDevice: '154c', driver: 'i40e', totalVfs: 4, vfs: [{ index: 0, pci: '0000:af:02.0', netdev: 'p0v0', driver: 'iavf' }] }] });
    const vf = await vfInfo(createSysfs(root), '0000:AF:02.0');
    assert.equal(vf.pci, '0000:af:02.0');
    assert.equal(vf.pfPci, '0000:af:00.0');
    assert.equal(vf.vfIndex, 0);
  });

  it('matches the VF index by exact basename: lookalike virtfn targets never match', async (t) => {
    const { root, sysfs } = await tree(t);
    const pfDir = path.join(root, 'devices/pci0000:00/0000:03:00.0');
    // links a substring or regex search for "0000:03:10.1" would hit (kuryr: re.search(pci, target))
    await symlink('../0000:03:10.10', path.join(pfDir, 'virtfn10'));
    await symlink('../0000:03:10.1x', path.join(pfDir, 'virtfn11'));
    await symlink('../0000:03:1001', path.join(pfDir, 'virtfn12'));
    await symlink('../x0000:03:10.1', path.join(pfDir, 'virtfn13'));
    await symlink('../0000:03:10.1.bak', path.join(pfDir, 'virtfn14'));
    await symlink('../0000:03:10.11', path.join(pfDir, 'virtfn15'));
    assert.equal((await vfInfo(sysfs, '0000:03:10.1')).vfIndex, 1);
    assert.equal((await vfInfo(sysfs, '0000:03:10.0')).vfIndex, 0);
    // a non-virtfn entry pointing at the VF is not an index either
    await symlink('../0000:03:10.1', path.join(pfDir, 'virtfnX'));
    await symlink('../0000:03:10.1', path.join(pfDir, 'virtfn01'));
    assert.equal((await vfInfo(sysfs, '0000:03:10.1')).vfIndex, 1);
  });

  it('a VF linked from two virtfn entries is inconsistent, not a guess', async (t) => {
    const { root, sysfs } = await tree(t);
    await symlink('../0000:03:10.1', path.join(root, 'devices/pci0000:00/0000:03:00.0/virtfn9'));
    await assert.rejects(vfInfo(sysfs, '0000:03:10.1'), (e: unknown) => hasCode('ERR_SRIOV_SYSFS')(e) && (e as PluginError).retryable);
  });

  it('a VF bound to vfio-pci has no netdev; an unbound VF has no driver', async (t) => {
    const { sysfs } = await tree(t);
    const vfio = await vfInfo(sysfs, '0000:03:10.2');
    assert.equal(vfio.netdev, undefined);
    assert.equal(vfio.driver, 'vfio-pci');
    assert.ok(USERSPACE_DRIVERS.has(vfio.driver));
    assert.equal('netdev' in vfio, false, 'absent, not undefined (exactOptionalPropertyTypes)');
    const unbound = await vfInfo(sysfs, '0000:03:10.3');
    assert.equal(unbound.driver, undefined);
    assert.equal(unbound.vfIndex, 3);
  });

  it('a VF netdev moved into a container is hidden, and visible again when it comes back', async (t) => {
    const { root, sysfs } = await tree(t);
    assert.equal(await netdevToContainer(root, 'ens1f0v0'), '0000:03:10.0');
    const inside = await vfInfo(sysfs, '0000:03:10.0');
    assert.equal(inside.netdev, undefined);
    assert.equal(inside.pfName, 'ens1f0', 'the PF side is still resolvable');
    assert.deepEqual(await sysfs.list('bus/pci/devices/0000:03:10.0/net'), [], 'net/ stays, empty, as on real sysfs');
    assert.equal(await sysfs.exists('class/net/ens1f0v0'), false);
    await netdevToHost(root, '0000:03:10.0', 'ens1f0v0');
    assert.equal((await vfInfo(sysfs, '0000:03:10.0')).netdev, 'ens1f0v0');
    assert.equal(await sysfs.readLink('class/net/ens1f0v0/device'), '../../../0000:03:10.0');
  });

  it('refuses a device without physfn (a PF, a plain NIC, or a VF whose physfn is missing)', async (t) => {
    const spec: SysfsTreeSpec = {
      ...TWO_PFS,
      pfs: [{ name: 'p9', pci: '0000:05:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 2, vfs: [{ index: 0, pci: '0000:05:10.0', netdev: 'p9v0', driver: 'ixgbevf', physfn: false }] }],
    };
    const { sysfs } = await tree(t, spec);
    for (const pci of ['0000:05:00.0', '0000:00:19.0', '0000:05:10.0']) {
      const e = await vfInfo(sysfs, pci).catch((x: unknown) => x);
      assert.ok(hasCode('ERR_SRIOV_DEVICE', NotFoundError)(e), pci);
      assert.equal((e as PluginError).details['reason'], 'not_vf');
    }
  });

  it('refuses an unknown PCI address with ERR_SRIOV_DEVICE (no_device)', async (t) => {
    const { sysfs } = await tree(t);
    const e = await vfInfo(sysfs, '0000:03:10.7').catch((x: unknown) => x);
    assert.ok(hasCode('ERR_SRIOV_DEVICE', NotFoundError)(e));
    assert.equal((e as PluginError).details['reason'], 'no_device');
  });

  it('validates the PCI address before it becomes a path', async (t) => {
    const { sysfs } = await tree(t);
    for (const bad of ['0000:03:10.10', '0000:03:10.8', '03:10.1', '0000:03:20.1', '../../../etc', '0000:03:10.1/..', '0000:03:10.1\n', ' 0000:03:10.1', '']) {
      await assert.rejects(vfInfo(sysfs, bad), hasCode('ERR_INVALID_NAME', InvalidRequestError), JSON.stringify(bad));
      await assert.rejects(isVf(sysfs, bad), hasCode('ERR_INVALID_NAME', InvalidRequestError));
      await assert.rejects(isPf(sysfs, bad), hasCode('ERR_INVALID_NAME', InvalidRequestError));
    }
  });

  it('a PF without a netdev here is ERR_SRIOV_PF_NETDEV', async (t) => {
    const { sysfs } = await tree(t, { pfs: [{ name: 'gone', pci: '0000:05:00.0', vendor: '8086', device: '10fb', driver: 'vfio-pci', totalVfs: 2, netdev: false, vfs: [{ index: 0, pci: '0000:05:10.0', netdev: 'gonev0', driver: 'ixgbevf' }] }] });
    await assert.rejects(vfInfo(sysfs, '0000:05:10.0'), hasCode('ERR_SRIOV_PF_NETDEV', NotFoundError));
  });

  it('a PF function with two netdevs (dual-port, mlx4) is refused, not guessed', async (t) => {
    const { root, sysfs } = await tree(t);
    await mkdir(path.join(root, 'devices/pci0000:00/0000:03:00.0/net/ens1f0d1'));
    await assert.rejects(vfInfo(sysfs, '0000:03:10.1'), hasCode('ERR_SRIOV_SYSFS'));
  });

  it('a VF missing from its PF\'s virtfn links is ERR_SRIOV_SYSFS', async (t) => {
    const { sysfs } = await tree(t, { pfs: [{ name: 'p0', pci: '0000:05:00.0', vendor: '8086', device: '10fb', driver: 'ixgbe', totalVfs: 2, vfs: [{ index: 0, pci: '0000:05:10.0', virtfn: false }] }] });
    await assert.rejects(vfInfo(sysfs, '0000:05:10.0'), hasCode('ERR_SRIOV_SYSFS'));
  });

  it('malformed attributes and link targets are ERR_SRIOV_SYSFS, never used as paths', async (t) => {
    const { root, sysfs } = await tree(t);
    await writeFile(path.join(root, 'devices/pci0000:00/0000:03:10.0/vendor'), 'garbage\n');
    await assert.rejects(vfInfo(sysfs, '0000:03:10.0'), hasCode('ERR_SRIOV_SYSFS'));
    const vfDir = path.join(root, 'devices/pci0000:00/0000:82:00.2');
    await rm(path.join(vfDir, 'physfn'));
    await symlink('../../../bus', path.join(vfDir, 'physfn'));
    await assert.rejects(vfInfo(sysfs, '0000:82:00.2'), hasCode('ERR_SRIOV_SYSFS'));
  });
});

describe('pfInfo', () => {
  it('describes both PFs with their VFs', async (t) => {
    const { sysfs } = await tree(t);
    assert.deepEqual(await pfInfo(sysfs, 'ens1f0'), {
      name: 'ens1f0', pci: '0000:03:00.0', numVfs: 4, totalVfs: 63, vendor: '8086', device: '10fb', driver: 'ixgbe',
      vfs: [
        { index: 0, pci: '0000:03:10.0', netdev: 'ens1f0v0' },
        { index: 1, pci: '0000:03:10.1', netdev: 'ens1f0v1' },
        { index: 2, pci: '0000:03:10.2' },
        { index: 3, pci: '0000:03:10.3' },
      ],
    });
    const mlx = await pfInfo(sysfs, 'enp130s0f0np0');
    assert.equal(pciVendorInfo(mlx), '15b3:1017');
    assert.equal(mlx.driver, 'mlx5_core');
    assert.deepEqual(mlx.vfs.map((v) => v.pci), ['0000:82:00.2', '0000:82:00.3']);
  });

  it('a VF in a container shows without netdev', async (t) => {
    const { root, sysfs } = await tree(t);
    await netdevToContainer(root, 'enp130s0f0v0');
    assert.deepEqual((await pfInfo(sysfs, 'enp130s0f0np0')).vfs[0], { index: 0, pci: '0000:82:00.2' });
  });

  it('sriov_numvfs above the virtfn links present (a torn read) is a retryable ERR_SRIOV_SYSFS', async (t) => {
    const { sysfs } = await tree(t, { pfs: [{ name: 'p0', pci: '0000:05:00.0', vendor: '8086', device: '10fb', driver: 'ixgbe', totalVfs: 8, numVfs: 3, vfs: [{ index: 0, pci: '0000:05:10.0' }, { index: 1, pci: '0000:05:10.2' }] }] });
    await assert.rejects(pfInfo(sysfs, 'p0'), (e: unknown) => hasCode('ERR_SRIOV_SYSFS')(e) && (e as PluginError).retryable);
  });

  it('zero VFs is a PF with an empty list', async (t) => {
    const { sysfs } = await tree(t, { pfs: [{ name: 'p0', pci: '0000:05:00.0', vendor: '8086', device: '10fb', driver: 'ixgbe', totalVfs: 8, vfs: [] }] });
    const pf = await pfInfo(sysfs, 'p0');
    assert.equal(pf.numVfs, 0);
    assert.deepEqual(pf.vfs, []);
  });

  it('refuses what is not an SR-IOV PF, saying why', async (t) => {
    const { sysfs } = await tree(t);
    const reasons: Record<string, string> = {
      nosuch0: 'no_netdev', eno1: 'not_pf', ens1f0v0: 'not_pf', eth0: 'not_pci', docker0: 'not_pci',
    };
    for (const [name, reason] of Object.entries(reasons)) {
      const e = await pfInfo(sysfs, name).catch((x: unknown) => x);
      assert.ok(hasCode('ERR_SRIOV_DEVICE', NotFoundError)(e), name);
      assert.equal((e as PluginError).details['reason'], reason, name);
    }
  });

  it('validates the name before it becomes a path', async (t) => {
    const { sysfs } = await tree(t);
    for (const bad of ['..', '../ens1f0', 'a/b', '', 'x'.repeat(16), '-help', 'ens1f0\u0000']) {
      await assert.rejects(pfInfo(sysfs, bad), hasCode('ERR_INVALID_NAME', InvalidRequestError), JSON.stringify(bad));
    }
  });
});

describe('isVf / isPf / vfPciAddress', () => {
  it('classify devices by physfn / sriov_totalvfs', async (t) => {
    const { sysfs } = await tree(t);
    assert.equal(await isVf(sysfs, '0000:03:10.1'), true);
    assert.equal(await isVf(sysfs, '0000:82:00.2'), true);
    assert.equal(await isVf(sysfs, '0000:03:00.0'), false);
    assert.equal(await isVf(sysfs, '0000:00:19.0'), false);
    assert.equal(await isVf(sysfs, '0000:09:00.0'), false, 'unknown device');
    assert.equal(await isPf(sysfs, '0000:03:00.0'), true);
    assert.equal(await isPf(sysfs, '0000:82:00.0'), true);
    assert.equal(await isPf(sysfs, '0000:03:10.1'), false);
    assert.equal(await isPf(sysfs, '0000:00:19.0'), false);
  });

  it('vfPciAddress maps PF + index to the VF address', async (t) => {
    const { sysfs } = await tree(t);
    assert.equal(await vfPciAddress(sysfs, 'ens1f0', 1), '0000:03:10.1');
    assert.equal(await vfPciAddress(sysfs, 'enp130s0f0np0', 0), '0000:82:00.2');
    await assert.rejects(vfPciAddress(sysfs, 'ens1f0', 7), hasCode('ERR_SRIOV_DEVICE', NotFoundError));
    await assert.rejects(vfPciAddress(sysfs, 'ens1f0', -1), hasCode('ERR_INVALID_REQUEST'));
    await assert.rejects(vfPciAddress(sysfs, 'ens1f0', 1.5), hasCode('ERR_INVALID_REQUEST'));
    await assert.rejects(vfPciAddress(sysfs, '../x', 0), hasCode('ERR_INVALID_NAME'));
  });
});
