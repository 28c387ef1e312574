// The host's VFs as the plugin sees them: every PF [sriov] physical_device_mappings names (and any PF the VF
// ledger still mentions), each VF with its PCI address, host netdev and use — free (the allocator could pick
// it), held (by which ledger record), excluded ([sriov] exclude_devices) or no-netdev (vfio, or in a netns
// that is not ours). Shared by `kuryr doctor`, `kuryr vf list` and the VF gauges. Read-only: sysfs + ledger.
import { PluginError } from '../errors.ts';
import { pfInfo, type PfInfo } from '../host/sriov.ts';
import type { Sysfs } from '../host/sysfs.ts';
import type { VfRecord, VfState } from '../sriov/ledger.ts';

export type VfUse = 'free' | 'held' | 'excluded' | 'no-netdev';

export interface VfRow {
  pf: string;
  index: number;
  pci: string;
  /** the VF's netdev in the host namespace (absent for a VF inside a container, or bound to vfio) */
  netdev: string | undefined;
  use: VfUse;
  /** the ledger record holding this VF */
  holder: VfRecord | undefined;
  /** false for a ledger record whose VF is not (any more) among the PF's VFs (sriov_numvfs lowered?) */
  inSysfs: boolean;
}

export interface PfReport {
  pf: string;
  /** undefined: a PF only the ledger still mentions ([sriov] physical_device_mappings no longer maps it) */
  physnet: string | undefined;
  info: PfInfo | undefined;
  /** why the PF could not be read (no such netdev, not SR-IOV capable, inconsistent sysfs) */
  error: PluginError | undefined;
  vfs: VfRow[];
  counts: { vfs: number; withNetdev: number; held: number; excluded: number; free: number };
}

export interface InventorySettings {
  physnets: ReadonlyMap<string, readonly string[]>;
  excluded: ReadonlyMap<string, ReadonlySet<string>>;
}

export async function vfInventory(sysfs: Sysfs, settings: InventorySettings, ledger: VfState): Promise<PfReport[]> {
  const records = Object.values(ledger.endpoints);
  const byPci = new Map(records.map((r) => [r.pci, r] as const));
  const pfs: { pf: string; physnet: string | undefined }[] = [];
  for (const [physnet, names] of settings.physnets) {
    for (const pf of names) if (!pfs.some((p) => p.pf === pf)) pfs.push({ pf, physnet });
  }
  for (const r of records) if (!pfs.some((p) => p.pf === r.pf)) pfs.push({ pf: r.pf, physnet: undefined });

  const reports: PfReport[] = [];
  for (const { pf, physnet } of pfs) {
    let info: PfInfo | undefined;
    let error: PluginError | undefined;
    try {
      info = await pfInfo(sysfs, pf);
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      error = err;
    }
    const excluded = settings.excluded.get(pf);
    const vfs: VfRow[] = (info?.vfs ?? []).map((vf) => {
      const holder = byPci.get(vf.pci);
      const use: VfUse = holder !== undefined ? 'held'
        : excluded?.has(vf.pci) === true ? 'excluded'
        : vf.netdev === undefined ? 'no-netdev'
        : 'free';
      return { pf, index: vf.index, pci: vf.pci, netdev: vf.netdev, use, holder, inSysfs: true };
    });
    // ledger records of this PF whose VF sysfs no longer shows: still held, still to be released
    for (const r of records) {
      if (r.pf !== pf || vfs.some((v) => v.pci === r.pci)) continue;
      vfs.push({ pf, index: r.vfIndex, pci: r.pci, netdev: undefined, use: 'held', holder: r, inSysfs: false });
    }
    vfs.sort((a, b) => a.index - b.index);
    const count = (u: VfUse) => vfs.filter((v) => v.use === u).length;
    reports.push({
      pf, physnet, info, error, vfs,
      counts: {
        vfs: info?.vfs.length ?? 0,
        withNetdev: (info?.vfs ?? []).filter((v) => v.netdev !== undefined).length,
        held: count('held'), excluded: count('excluded'), free: count('free'),
      },
    });
  }
  return reports;
}
