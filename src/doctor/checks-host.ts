// Doctor checks of this host: `state` (the VF ledger reads back; who holds the instance lock), `sriov.pf.<pf>`
// for every mapped PF (exists, SR-IOV capable, sriov_numvfs > 0, VFs with netdevs, how many are free) and
// `host.iommu` (kernel command line or populated iommu_groups). Pure over the injected Sysfs, file reader and
// ledger reader; reports what it could not read without root instead of failing.
import { join } from 'node:path';
import type { KuryrConfig } from '../config/types.ts';
import { isPluginError } from '../errors.ts';
import type { Sysfs } from '../host/sysfs.ts';
import type { VfState } from '../sriov/ledger.ts';
import { check, errno, type CheckResult, type DoctorDeps } from './types.ts';
import { vfInventory, type PfReport } from './vf-inventory.ts';

const PERMISSION = new Set(['EACCES', 'EPERM']);

function describeError(err: unknown): string {
  if (isPluginError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export interface LockState {
  path: string;
  pid: number | undefined;
  alive: boolean;
  /** why the lock file could not be read (EACCES without root), when it exists but is unreadable */
  unreadable?: string;
}

/** `<state_path>/kuryr.lock`: the pid of the plugin holding it (undefined when there is no lock file). */
export async function readLock(deps: Pick<DoctorDeps, 'readFile' | 'lockHeld'>, statePath: string): Promise<LockState> {
  const path = join(statePath, 'kuryr.lock');
  let text: string;
  try {
    text = await deps.readFile(path);
  } catch (err) {
    const e = errno(err);
    return e === 'ENOENT' || e === 'ENOTDIR' ? { path, pid: undefined, alive: false } : { path, pid: undefined, alive: false, unreadable: e ?? 'error' };
  }
  const pid = Number(text.trim());
  const valid = Number.isInteger(pid) && pid > 0;
  // held is decided by the kernel's lock, not by the pid: a pid in a stale file may belong to anyone now
  return { path, pid: valid ? pid : undefined, alive: valid && (await deps.lockHeld(path).catch(() => false)) === true };
}

export function describeLock(lock: LockState): string {
  if (lock.unreadable !== undefined) return `instance lock ${lock.path}: cannot be read (${lock.unreadable})`;
  if (lock.pid === undefined) return `instance lock ${lock.path}: not held (no plugin running on this state_path)`;
  return `instance lock ${lock.path}: pid ${lock.pid} (${lock.alive ? 'held: a plugin is running' : 'not held: a stale lock file, taken over at the next start'})`;
}

/** `state`: the VF ledger parses; returns it for the PF checks (undefined when it could not be read). */
export async function checkState(deps: Pick<DoctorDeps, 'readFile' | 'lockHeld' | 'readLedger' | 'root'>, config: KuryrConfig):
  Promise<{ result: CheckResult; ledger: VfState | undefined }> {
  const statePath = config.default.statePath;
  const lock = await readLock(deps, statePath);
  const ledgerPath = join(statePath, 'sriov-state.json');
  try {
    const ledger = await deps.readLedger(statePath);
    const held = Object.values(ledger.endpoints);
    return {
      ledger,
      result: check('state', 'ok', `state_path readable; ${held.length} VF(s) held in the ledger`,
        [`VF ledger ${ledgerPath}: ${held.length} record(s)`, describeLock(lock)]),
    };
  } catch (err) {
    const e = errno(err);
    if (e !== undefined && PERMISSION.has(e)) {
      return {
        ledger: undefined,
        result: check('state', 'skip', `cannot read ${ledgerPath} (${e})${deps.root ? '' : ': run doctor as root'}`,
          [describeLock(lock)]),
      };
    }
    const corrupt = isPluginError(err) && err.code === 'ERR_STATE_CORRUPT';
    return {
      ledger: undefined,
      result: check('state', 'fail', corrupt ? 'the VF ledger cannot be read back' : `cannot read the VF ledger (${e ?? 'error'})`,
        [describeError(err), describeLock(lock)],
        corrupt ? `stop the plugin, move ${ledgerPath} aside and start it again (docs/errors.md ERR_STATE_CORRUPT)`
          : `check ${statePath} (exists, a directory, readable by the plugin)`),
    };
  }
}

function pfEvidence(r: PfReport, root: string, ledgerRead: boolean): string[] {
  const out: string[] = [];
  if (r.info === undefined) return out;
  const i = r.info;
  out.push(`${root}/class/net/${r.pf}: PCI ${i.pci}, driver ${i.driver}, ${i.vendor}:${i.device}, physnet ${r.physnet ?? '(not mapped)'}`);
  out.push(`sriov_numvfs ${i.numVfs} (sriov_totalvfs ${i.totalVfs})`);
  out.push(`VFs with a netdev on the host: ${r.counts.withNetdev} of ${r.counts.vfs}`);
  const held = r.vfs.filter((v) => v.use === 'held');
  out.push(!ledgerRead ? 'held (VF ledger): unknown, the ledger could not be read (free below counts held VFs too)'
    : `held (VF ledger): ${held.length}${held.length === 0 ? '' : ` — ${held.map((v) => `${v.pci} by endpoint ${v.holder?.endpointId.slice(0, 12) ?? '?'}`).join(', ')}`}`);
  out.push(`excluded ([sriov] exclude_devices): ${r.counts.excluded}`);
  out.push(`free: ${r.counts.free}`);
  return out;
}

/** One `sriov.pf.<name>` per PF [sriov] physical_device_mappings names. */
export async function checkPfs(sysfs: Sysfs, config: KuryrConfig, ledger: VfState | undefined): Promise<CheckResult[]> {
  const root = sysfs.root;
  const reports = await vfInventory(sysfs,
    { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices },
    ledger ?? { v: 1, endpoints: {} });
  const results: CheckResult[] = [];
  for (const r of reports) {
    if (r.physnet === undefined) continue; // only in the ledger: `kuryr vf list` shows it
    const id = `sriov.pf.${r.pf}`;
    if (r.info === undefined) {
      const reason = String(r.error?.details['reason'] ?? '');
      const summary = reason === 'no_netdev' ? `PF ${r.pf} does not exist (no ${root}/class/net/${r.pf})`
        : reason === 'not_pci' ? `${r.pf} is not a PCI device (virtual or virtio NIC): it has no VFs`
        : reason === 'not_pf' ? `${r.pf} is not SR-IOV capable (no sriov_totalvfs)`
        : `PF ${r.pf} cannot be read from sysfs`;
      results.push(check(id, 'fail', summary, [r.error === undefined ? 'unknown error' : describeError(r.error)],
        reason === 'no_netdev' ? `correct [sriov] physical_device_mappings (ip link shows the PF names), or check [sriov] sysfs_root (${root})`
          : 'map an SR-IOV capable PF in [sriov] physical_device_mappings'));
      continue;
    }
    const evidence = pfEvidence(r, root, ledger !== undefined);
    if (r.info.numVfs === 0) {
      results.push(check(id, 'fail', `PF ${r.pf} has no VFs (sriov_numvfs is 0)`, evidence,
        `echo <n> > ${root}/class/net/${r.pf}/device/sriov_numvfs (n ≤ ${r.info.totalVfs}), and make it persistent (udev rule or systemd unit)`));
      continue;
    }
    if (r.counts.withNetdev === 0 && r.counts.held === 0) {
      results.push(check(id, 'fail', `none of the ${r.counts.vfs} VFs of ${r.pf} has a netdev on the host (vfio-pci bound, or moved away)`,
        evidence, `bind the VFs to their kernel driver (e.g. echo <vf-pci> > ${root}/bus/pci/drivers/<driver>/bind)`));
      continue;
    }
    if (r.counts.free === 0) {
      results.push(check(id, 'warn', `PF ${r.pf}: no free VF (${r.counts.held} held, ${r.counts.excluded} excluded, ${r.counts.vfs - r.counts.withNetdev} without netdev)`,
        evidence, 'kuryr vf list shows who holds them; raise sriov_numvfs, map more PFs, or free stuck VFs with kuryr vf release'));
      continue;
    }
    results.push(check(id, 'ok', ledger === undefined ? `PF ${r.pf}: ${r.counts.vfs} VFs, ${r.counts.free} with a netdev on the host (held unknown: ledger unread)`
      : `PF ${r.pf}: ${r.counts.vfs} VFs, ${r.counts.free} free, ${r.counts.held} held`, evidence));
  }
  if (results.length === 0) results.push(check('sriov.pf', 'skip', 'no PF mapped in [sriov] physical_device_mappings'));
  return results;
}

/** `host.iommu`: intel_iommu=on / amd_iommu on the kernel command line, or IOMMU groups in sysfs. */
export async function checkIommu(sysfs: Sysfs, readFile: (path: string) => Promise<string>): Promise<CheckResult> {
  const evidence: string[] = [];
  let cmdline: string | undefined;
  try {
    cmdline = (await readFile('/proc/cmdline')).trim();
  } catch (err) {
    evidence.push(`/proc/cmdline: unreadable (${errno(err) ?? describeError(err)})`);
  }
  const flags = (cmdline ?? '').split(/\s+/).filter((w) => /^(intel_iommu|amd_iommu|iommu)=/.test(w));
  const enabled = flags.filter((w) => /^intel_iommu=(on|sm_on)/.test(w) || /^amd_iommu=(on|force_isolation|pgtbl_v)/.test(w));
  const disabled = flags.filter((w) => /=off$/.test(w));
  if (cmdline !== undefined) evidence.push(`/proc/cmdline IOMMU flags: ${flags.length === 0 ? '(none)' : flags.join(' ')}`);
  let groups: number | undefined;
  try {
    groups = (await sysfs.list('kernel/iommu_groups')).length;
    evidence.push(`${sysfs.root}/kernel/iommu_groups: ${groups} group(s)`);
  } catch (err) {
    evidence.push(`${sysfs.root}/kernel/iommu_groups: ${errno(err) === 'ENOENT' || (isPluginError(err) && err.code === 'ERR_SYSFS_NOT_FOUND') ? 'absent' : describeError(err)}`);
  }
  if (groups !== undefined && groups > 0) return check('host.iommu', 'ok', `IOMMU on (${groups} IOMMU groups)`, evidence);
  if (enabled.length > 0 && disabled.length === 0) {
    return check('host.iommu', 'ok', `IOMMU enabled on the kernel command line (${enabled.join(' ')})`, evidence);
  }
  return check('host.iommu', 'warn', 'no sign of an IOMMU: VFs may not be creatable or usable (vfio needs it, many PF drivers refuse sriov_numvfs without it)',
    evidence, 'enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), plus iommu=pt');
}
