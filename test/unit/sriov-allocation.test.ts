import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { PluginError } from '../../src/errors.ts';
import { pickVf, type PickInput, type VfCandidate } from '../../src/sriov/allocator.ts';
import { parseExcludeDevices, parsePhysicalDeviceMappings } from '../../src/sriov/mappings.ts';
import { createFileStateStore } from '../../src/state/file-store.ts';

test('physical_device_mappings: several PFs per physnet, in order; a PF on two physnets is refused', () => {
  const m = parsePhysicalDeviceMappings(['physnet1:ens1f0', ' physnet1:ens2f0 ', 'physnet2:ens1f1', 'physnet1:ens1f0']);
  assert.deepEqual([...m], [['physnet1', ['ens1f0', 'ens2f0']], ['physnet2', ['ens1f1']]]);
  assert.throws(() => parsePhysicalDeviceMappings(['physnet1:ens1f0', 'physnet2:ens1f0']), /already mapped to physnet1/);
  assert.throws(() => parsePhysicalDeviceMappings(['ens1f0']), /\[sriov\] physical_device_mappings = ens1f0/);
  assert.throws(() => parsePhysicalDeviceMappings(['physnet1:a/b']), PluginError);
});

test('exclude_devices: PCI addresses contain colons; the PF name is everything before the first one', () => {
  const m = parseExcludeDevices(['ens1f0:0000:07:00.2;0000:07:00.3', 'ens2f0:0000:05:00.1']);
  assert.deepEqual([...m.get('ens1f0')!], ['0000:07:00.2', '0000:07:00.3']);
  assert.deepEqual([...m.get('ens2f0')!], ['0000:05:00.1']);
  assert.throws(() => parseExcludeDevices(['ens1f0:07:00.2']), /not a PCI address/);
});

function pfs(spec: Record<string, number>): PickInput['pfs'] {
  return Object.entries(spec).map(([name, n], p) => ({
    name,
    vfs: Array.from({ length: n }, (_, i): VfCandidate => ({ pf: name, index: i, pci: `0000:0${p + 3}:10.${i}`, netdev: `${name}v${i}` })),
  }));
}

test('pickVf spreads over PFs, lowest index first, and skips held, excluded and hidden VFs', () => {
  const input = { pfs: pfs({ ens1f0: 4, ens2f0: 4 }), held: new Set<string>(), excluded: new Map([['ens1f0', new Set(['0000:03:10.0'])]]) };
  const order: string[] = [];
  for (let i = 0; i < 7; i += 1) {
    const vf = pickVf(input)!;
    order.push(vf.pci);
    input.held.add(vf.pci);
  }
  assert.deepEqual(order, ['0000:03:10.1', '0000:04:10.0', '0000:03:10.2', '0000:04:10.1', '0000:03:10.3', '0000:04:10.2', '0000:04:10.3']);
  assert.equal(pickVf(input), undefined, 'out of VFs');
  const hidden = { pfs: [{ name: 'p', vfs: [{ pf: 'p', index: 0, pci: '0000:03:10.0', netdev: undefined }] }], held: new Set<string>(), excluded: new Map() };
  assert.equal(pickVf(hidden), undefined, 'a VF whose netdev is not on the host (in a container, vfio) is not free');
});

test('property: pickVf never returns a held or excluded VF, and keeps PF loads within one of each other', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 30 }), (sizes, n) => {
    const input = { pfs: pfs(Object.fromEntries(sizes.map((s, i) => [`pf${i}`, s]))), held: new Set<string>(), excluded: new Map<string, Set<string>>() };
    for (let i = 0; i < n; i += 1) {
      const vf = pickVf(input);
      if (vf === undefined) break;
      assert.ok(!input.held.has(vf.pci));
      input.held.add(vf.pci);
    }
    const loads = input.pfs.map((pf) => ({ load: pf.vfs.filter((v) => input.held.has(v.pci)).length, full: pf.vfs.every((v) => input.held.has(v.pci)) }));
    const notFull = loads.filter((l) => !l.full).map((l) => l.load);
    const min = Math.min(...notFull);
    return loads.every((l) => l.full || l.load - min <= 1) && loads.every((l) => l.full || l.load <= min + 1);
  }));
});

test('the state file is replaced atomically and validated on read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kuryr-state-'));
  try {
    const path = join(dir, 'sub', 'state.json');
    const store = createFileStateStore(path, (raw) => {
      const r = raw as { v?: number; n?: number };
      if (r.v !== 1 || typeof r.n !== 'number') throw new Error('bad shape');
      return r as { v: 1; n: number };
    });
    assert.equal(await store.load(), undefined);
    await store.save({ v: 1, n: 1 });
    await store.save({ v: 1, n: 2 });
    assert.deepEqual(await store.load(), { v: 1, n: 2 });
    assert.deepEqual(await readdir(join(dir, 'sub')), ['state.json'], 'no temp files left');
    await writeFile(path, '{"v": 2}');
    await assert.rejects(store.load(), (e: unknown) => e instanceof PluginError && e.code === 'ERR_STATE_CORRUPT');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

