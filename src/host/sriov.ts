// SR-IOV resolution over the Sysfs seam: VF → PF netdev + VF index + VF netdev, PF → its VFs, the way
// sriov-cni does it (peers §3.4), but exact: link targets are compared by basename string equality, never by
// a regex built from a PCI address (kuryr's `re.search(pci, …)` matched 0000:03:10.1 inside 0000:03:10.10).
// Every value read from sysfs is validated before it becomes part of another path. Read-only; no `ip` calls.
import path from 'node:path';
import { InvalidRequestError, NotFoundError, PluginError } from '../errors.ts';
import type { Sysfs } from './sysfs.ts';
import { assertIfName, assertPciAddress } from './validate.ts';

export interface VfInfo {
  /** the VF's PCI address (lower case, `dddd:bb:dd.f`) */
  pci: string;
  /** the PF's PCI address */
  pfPci: string;
  /** the PF's netdev: VF settings (MAC, VLAN, spoofchk, ...) are applied through it */
  pfName: string;
  /** N of the PF's `virtfnN` link that points at this VF (the `vf N` of `ip link set <pf> vf N`) */
  vfIndex: number;
  /**
   * The VF's own netdev. Absent when the VF is bound to a userspace driver (vfio-pci, ...) or when its netdev
   * lives in another network namespace: sysfs `net/` entries are namespace-tagged, so a VF inside a container
   * is invisible from the host.
   */
  netdev?: string;
  /** PCI vendor ID, 4 lower-case hex digits without '0x' (`8086`), as Neutron's pci_vendor_info writes it */
  vendor: string;
  /** PCI device ID, same form (`10ed`) */
  device: string;
  /** bound driver (`ixgbevf`, `iavf`, `mlx5_core`, `vfio-pci`); absent when unbound */
  driver?: string;
}

export interface PfVf {
  index: number;
  pci: string;
  /** absent when the VF netdev is in another netns or the VF has a userspace driver */
  netdev?: string;
}

export interface PfInfo {
  name: string;
  pci: string;
  /** current number of VFs (`sriov_numvfs`) */
  numVfs: number;
  /** maximum number of VFs (`sriov_totalvfs`) */
  totalVfs: number;
  vendor: string;
  device: string;
  driver: string;
  /** VFs 0..numVfs-1, by index */
  vfs: PfVf[];
}

/** Drivers that leave a VF without a kernel netdev (DPDK-style use; sriov-cni §3.3). */
export const USERSPACE_DRIVERS: ReadonlySet<string> = new Set(['vfio-pci', 'uio_pci_generic', 'igb_uio']);

/** `8086:10ed`, the form of Neutron's `binding:profile.pci_vendor_info`. */
export function pciVendorInfo(dev: { vendor: string; device: string }): string {
  return `${dev.vendor}:${dev.device}`;
}

const PCI_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/u;
const VIRTFN_RE = /^virtfn(0|[1-9][0-9]*)$/u;

function devDir(pci: string): string {
  return `bus/pci/devices/${pci}`;
}

function notSriov(message: string, details: Record<string, unknown>, cause?: unknown): NotFoundError {
  return new NotFoundError('ERR_SRIOV_DEVICE', message, cause === undefined ? { details } : { cause, details });
}

function inconsistent(message: string, details: Record<string, unknown>, cause?: unknown): PluginError {
  // a change of sriov_numvfs while we read is the usual cause, so a retry can succeed
  return new PluginError('ERR_SRIOV_SYSFS', message, cause === undefined ? { details, retryable: true } : { cause, details, retryable: true });
}

/** `ERR_SYSFS_NOT_FOUND` → undefined; anything else propagates. */
async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try { return await p; } catch (e) {
    if (e instanceof NotFoundError && e.code === 'ERR_SYSFS_NOT_FOUND') return undefined;
    throw e;
  }
}

/** The PCI address a device symlink points at, checked before it is used in another path. */
async function linkedPci(sysfs: Sysfs, rel: string, what: string): Promise<string> {
  const target = await sysfs.readLink(rel);
  const base = path.posix.basename(target);
  if (!PCI_RE.test(base)) {
    throw inconsistent(`sysfs ${rel} points at ${JSON.stringify(target)}, not a PCI device (${what})`, { path: rel, target });
  }
  return base;
}

/** 0x8086 → 8086 */
async function readPciId(sysfs: Sysfs, rel: string): Promise<string> {
  const raw = (await sysfs.readText(rel)).trim().toLowerCase();
  const m = /^(?:0x)?([0-9a-f]{4})$/u.exec(raw);
  if (m === null) throw inconsistent(`sysfs ${rel} holds ${JSON.stringify(raw)}, not a 16-bit PCI ID`, { path: rel, value: raw });
  return m[1] ?? raw;
}

async function readCount(sysfs: Sysfs, rel: string): Promise<number> {
  const raw = (await sysfs.readText(rel)).trim();
  if (!/^(0|[1-9][0-9]{0,5})$/u.test(raw)) throw inconsistent(`sysfs ${rel} holds ${JSON.stringify(raw)}, not a count`, { path: rel, value: raw });
  return Number(raw);
}

async function readDriver(sysfs: Sysfs, pci: string): Promise<string | undefined> {
  const target = await orUndefined(sysfs.readLink(`${devDir(pci)}/driver`));
  return target === undefined ? undefined : path.posix.basename(target);
}

/**
 * The single netdev under `<dir>/net/`: undefined if the directory is missing or empty, an error if it holds
 * several (a dual-port function such as mlx4: picking one would be a guess).
 */
async function singleNetdev(sysfs: Sysfs, dir: string, pci: string): Promise<string | undefined> {
  const names = (await orUndefined(sysfs.list(`${dir}/net`))) ?? [];
  if (names.length === 0) return undefined;
  if (names.length > 1) {
    throw inconsistent(`PCI device ${pci} has ${names.length} netdevs (${names.join(', ')}): dual-port functions are not supported`, { pci, netdevs: names });
  }
  const name = names[0] ?? '';
  try { return assertIfName(name, 'netdev name in sysfs'); } catch (cause) {
    throw inconsistent(`PCI device ${pci} has a netdev named ${JSON.stringify(name)}`, { pci, netdev: name }, cause);
  }
}

/** The VF's index on its PF: N of the PF's `virtfnN` link whose target basename equals the VF address. */
async function vfIndexOn(sysfs: Sysfs, pfPci: string, vfPci: string): Promise<number> {
  const entries = await sysfs.list(devDir(pfPci));
  const matches: number[] = [];
  for (const entry of entries) {
    const m = VIRTFN_RE.exec(entry);
    if (m === null) continue;
    const target = await orUndefined(sysfs.readLink(`${devDir(pfPci)}/${entry}`));
    // string equality of the basename: 0000:03:10.1 never matches 0000:03:10.10
    if (target !== undefined && path.posix.basename(target) === vfPci) matches.push(Number(m[1]));
  }
  if (matches.length !== 1) {
    throw inconsistent(matches.length === 0
      ? `VF ${vfPci} is not among the virtfn links of its PF ${pfPci}`
      : `VF ${vfPci} is linked as virtfn${matches.join(', virtfn')} of its PF ${pfPci}`, { pci: vfPci, pfPci, indexes: matches });
  }
  return matches[0] ?? 0;
}

/** Whether the PCI device is an SR-IOV virtual function (has a `physfn` link). */
export async function isVf(sysfs: Sysfs, pci: string): Promise<boolean> {
  return sysfs.exists(`${devDir(assertPciAddress(pci))}/physfn`);
}

/** Whether the PCI device is an SR-IOV physical function (has `sriov_totalvfs`). */
export async function isPf(sysfs: Sysfs, pci: string): Promise<boolean> {
  return sysfs.exists(`${devDir(assertPciAddress(pci))}/sriov_totalvfs`);
}

/**
 * Resolves a VF by PCI address (the port's `binding:profile.pci_slot`): its PF netdev, its index on the PF and
 * its own netdev if visible. ERR_SRIOV_DEVICE (NotFoundError) if there is no such device or it is not a VF;
 * ERR_SRIOV_PF_NETDEV (NotFoundError) if the PF has no netdev here; ERR_SRIOV_SYSFS if the layout is
 * inconsistent; ERR_INVALID_NAME for a malformed address.
 */
export async function vfInfo(sysfs: Sysfs, pciIn: string): Promise<VfInfo> {
  const pci = assertPciAddress(pciIn);
  const dir = devDir(pci);
  if (!(await sysfs.exists(dir))) throw notSriov(`PCI device ${pci} not found`, { pci, reason: 'no_device' });
  if (!(await sysfs.exists(`${dir}/physfn`))) {
    throw notSriov(`PCI device ${pci} is not an SR-IOV virtual function (no physfn)`, { pci, reason: 'not_vf' });
  }
  const pfPci = await linkedPci(sysfs, `${dir}/physfn`, 'physfn');

  // the PF netdev is the single entry of physfn/net/ (sriov-cni, kuryr); several = dual-port PF, refused
  const pfNames = (await orUndefined(sysfs.list(`${dir}/physfn/net`))) ?? [];
  if (pfNames.length === 0) {
    throw new NotFoundError('ERR_SRIOV_PF_NETDEV',
      `the PF ${pfPci} of VF ${pci} has no netdev in this network namespace (bound to a userspace driver, or moved)`,
      { details: { pci, pfPci } });
  }
  if (pfNames.length > 1) {
    throw inconsistent(`the PF ${pfPci} of VF ${pci} has ${pfNames.length} netdevs (${pfNames.join(', ')}): dual-port functions are not supported`,
      { pci, pfPci, netdevs: pfNames });
  }
  let pfName: string;
  try { pfName = assertIfName(pfNames[0], 'PF netdev name in sysfs'); } catch (cause) {
    throw inconsistent(`the PF ${pfPci} of VF ${pci} has a netdev named ${JSON.stringify(pfNames[0])}`, { pci, pfPci }, cause);
  }

  const vfIndex = await vfIndexOn(sysfs, pfPci, pci);
  const [netdev, vendor, device, driver] = await Promise.all([
    singleNetdev(sysfs, dir, pci),
    readPciId(sysfs, `${dir}/vendor`),
    readPciId(sysfs, `${dir}/device`),
    readDriver(sysfs, pci),
  ]);
  const info: VfInfo = { pci, pfPci, pfName, vfIndex, vendor, device };
  if (netdev !== undefined) info.netdev = netdev;
  if (driver !== undefined) info.driver = driver;
  return info;
}

/**
 * Describes an SR-IOV PF by netdev name: PCI address, VF counts and every VF (index, PCI address, netdev if
 * visible). ERR_SRIOV_DEVICE if the netdev does not exist here, is not a PCI device (virtio, veth) or is not
 * SR-IOV capable; ERR_SRIOV_SYSFS if a `virtfnN` link below `sriov_numvfs` is missing.
 */
export async function pfInfo(sysfs: Sysfs, pfNameIn: string): Promise<PfInfo> {
  const name = assertIfName(pfNameIn, 'PF name');
  const netDir = `class/net/${name}`;
  if (!(await sysfs.exists(netDir))) throw notSriov(`no netdev ${name} in this network namespace`, { pf: name, reason: 'no_netdev' });
  const target = await orUndefined(sysfs.readLink(`${netDir}/device`));
  const pci = target === undefined ? undefined : path.posix.basename(target);
  if (pci === undefined || !PCI_RE.test(pci)) {
    // virtual links have no `device`; virtio NICs point at `virtioN`
    throw notSriov(`netdev ${name} is not a PCI device`, { pf: name, reason: 'not_pci', ...(target === undefined ? {} : { target }) });
  }
  const dir = devDir(pci);
  if (!(await sysfs.exists(`${dir}/sriov_totalvfs`))) {
    throw notSriov(`netdev ${name} (${pci}) is not an SR-IOV physical function (no sriov_totalvfs)`, { pf: name, pci, reason: 'not_pf' });
  }
  const [numVfs, totalVfs, vendor, device, driver] = await Promise.all([
    readCount(sysfs, `${dir}/sriov_numvfs`),
    readCount(sysfs, `${dir}/sriov_totalvfs`),
    readPciId(sysfs, `${dir}/vendor`),
    readPciId(sysfs, `${dir}/device`),
    readDriver(sysfs, pci),
  ]);
  if (driver === undefined) throw inconsistent(`PF ${name} (${pci}) has a netdev but no driver link`, { pf: name, pci });

  const vfs: PfVf[] = [];
  for (let index = 0; index < numVfs; index++) {
    const link = `${dir}/virtfn${index}`;
    let vfPci: string;
    try { vfPci = await linkedPci(sysfs, link, `virtfn${index}`); } catch (e) {
      if (e instanceof NotFoundError) {
        throw inconsistent(`PF ${name} (${pci}) reports ${numVfs} VFs but has no virtfn${index}`, { pf: name, pci, numVfs, index }, e);
      }
      throw e;
    }
    const netdev = await singleNetdev(sysfs, devDir(vfPci), vfPci);
    vfs.push(netdev === undefined ? { index, pci: vfPci } : { index, pci: vfPci, netdev });
  }
  return { name, pci, numVfs, totalVfs, vendor, device, driver, vfs };
}

/** The PCI address of VF `index` of PF `pfName` (basename of `class/net/<pf>/device/virtfnN`). */
export async function vfPciAddress(sysfs: Sysfs, pfNameIn: string, index: number): Promise<string> {
  const name = assertIfName(pfNameIn, 'PF name');
  if (!Number.isInteger(index) || index < 0) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST', `invalid VF index ${String(index)}`, { details: { index } });
  }
  const link = `class/net/${name}/device/virtfn${index}`;
  try { return await linkedPci(sysfs, link, `virtfn${index}`); } catch (e) {
    if (e instanceof NotFoundError) throw notSriov(`PF ${name} has no VF ${index}`, { pf: name, index, reason: 'no_vf' }, e);
    throw e;
  }
}
