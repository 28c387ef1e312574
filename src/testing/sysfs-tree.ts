// Builds a fake sysfs tree in a directory, declaratively (sriov-network-device-plugin style): PCI device dirs
// under devices/pci0000:00/, RELATIVE symlinks exactly as the kernel makes them (bus/pci/devices/<bdf>,
// class/net/<if>, net/<if>/device, virtfnN, physfn, driver), and the attribute files host/sriov.ts reads.
// Also moves a VF netdev "into a container" and back (real sysfs hides a netdev that left the netns), and
// writes the initial PF state files of the fake `ip` (test/helpers/fake-ip). Test-only (excluded from the build);
// as a builder it writes with node:fs directly — production code reads sysfs only through host/sysfs.ts.
//   CLI: node --import tsx src/testing/sysfs-tree.ts build <root> <spec.json> [--fake-sriov-dir <dir>]
//        node --import tsx src/testing/sysfs-tree.ts to-container <root> <netdev>
//        node --import tsx src/testing/sysfs-tree.ts to-host <root> <pci> <netdev>
import { mkdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertIfName, assertPciAddress } from '../host/validate.ts';
import type { FakeVf, FakeVfRefusal } from './fake-exec/types.ts';
import { defaultVf } from './fake-exec/vf.ts';

export interface SysfsTreeVf {
  index: number;
  pci: string;
  /** the VF's netdev (omit for a VF bound to vfio-pci, or whose netdev is already in a container) */
  netdev?: string;
  /** e.g. ixgbevf, iavf, mlx5_core, vfio-pci; omit for an unbound VF */
  driver?: string;
  /** defaults: the PF's vfVendor ?? vendor, vfDevice ?? device */
  vendor?: string;
  device?: string;
  /** fault injection: false leaves out the VF's `physfn` link */
  physfn?: boolean;
  /** fault injection: false leaves out the PF's `virtfnN` link to this VF */
  virtfn?: boolean;
  /** initial PF-side state for the fake `ip` (default: zero MAC, no VLAN, spoofchk on, trust off, auto) */
  state?: Partial<Omit<FakeVf, 'vf'>>;
}

export interface SysfsTreePf {
  name: string;
  pci: string;
  /** '0x8086' or '8086' */
  vendor: string;
  device: string;
  driver: string;
  totalVfs: number;
  /** written to sriov_numvfs; default vfs.length (set it higher to fake a torn read) */
  numVfs?: number;
  vfVendor?: string;
  vfDevice?: string;
  vfs: SysfsTreeVf[];
  /** VF settings the fake `ip` refuses for this PF (driver quirks, see FakeVfRefusal) */
  refuse?: FakeVfRefusal[];
  /** fault injection: false leaves out the PF's net/<name> dir and class/net link (PF netdev not here) */
  netdev?: boolean;
}

/** A PCI NIC without SR-IOV. */
export interface SysfsTreeNic { name: string; pci: string; vendor: string; device: string; driver: string }

export interface SysfsTreeSpec {
  pfs?: SysfsTreePf[];
  nics?: SysfsTreeNic[];
  /** virtio NICs: class/net/<name>/device → ../../../virtioN (not a PCI address) */
  virtio?: Array<{ name: string; pci: string; bus: string }>;
  /** virtual netdevs (veth, bridge): devices/virtual/net/<name>, no `device` link */
  virtual?: string[];
}

const PCI_ROOT = 'devices/pci0000:00';

function pciId(v: string, what: string): string {
  const m = /^(?:0x)?([0-9a-fA-F]{4})$/u.exec(v);
  if (m === null) throw new Error(`sysfs-tree: ${what} ${JSON.stringify(v)} is not a 16-bit PCI ID`);
  return `0x${(m[1] ?? '').toLowerCase()}\n`;
}

/**
 * A relative symlink written the way kernfs_get_target_path() does: up to the common ancestor of the link's dir
 * and the TARGET'S PARENT, then down — so net/<if>/device reads `../../../<bdf>`, not `../..`.
 */
async function link(root: string, from: string, to: string): Promise<void> {
  const abs = path.join(root, from);
  const target = path.join(root, to);
  await mkdir(path.dirname(abs), { recursive: true });
  await symlink(path.join(path.relative(path.dirname(abs), path.dirname(target)), path.basename(target)), abs);
}

async function file(root: string, rel: string, content: string): Promise<void> {
  const abs = path.join(root, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
}

interface DeviceSpec { pci: string; vendor: string; device: string; driver: string | undefined; netdev: string | undefined; cls: string }

async function pciDevice(root: string, d: DeviceSpec): Promise<string> {
  const dir = `${PCI_ROOT}/${d.pci}`;
  await mkdir(path.join(root, dir), { recursive: true });
  await file(root, `${dir}/vendor`, pciId(d.vendor, `vendor of ${d.pci}`));
  await file(root, `${dir}/device`, pciId(d.device, `device of ${d.pci}`));
  await file(root, `${dir}/class`, `${d.cls}\n`);
  await link(root, `bus/pci/devices/${d.pci}`, dir);
  if (d.driver !== undefined) {
    await mkdir(path.join(root, 'bus/pci/drivers', d.driver), { recursive: true });
    await link(root, `${dir}/driver`, `bus/pci/drivers/${d.driver}`);
    await link(root, `bus/pci/drivers/${d.driver}/${d.pci}`, dir);
  }
  await mkdir(path.join(root, dir, 'net'), { recursive: true });
  if (d.netdev !== undefined) await netdevDir(root, dir, d.netdev);
  return dir;
}

/** <dev>/net/<name>/ with its `device` link, and class/net/<name> → it. */
async function netdevDir(root: string, devDir: string, name: string): Promise<void> {
  const netDir = `${devDir}/net/${name}`;
  await mkdir(path.join(root, netDir), { recursive: true });
  await link(root, `${netDir}/device`, devDir);
  await link(root, `class/net/${name}`, netDir);
}

function check(spec: SysfsTreeSpec): void {
  const pcis = new Set<string>();
  const names = new Set<string>();
  const pci = (v: string): void => {
    const p = assertPciAddress(v);
    if (p !== v) throw new Error(`sysfs-tree: write PCI address ${v} in lower case`);
    if (pcis.has(p)) throw new Error(`sysfs-tree: PCI address ${p} used twice`);
    pcis.add(p);
  };
  const name = (v: string): void => {
    assertIfName(v, 'netdev name');
    if (names.has(v)) throw new Error(`sysfs-tree: netdev ${v} used twice`);
    names.add(v);
  };
  for (const pf of spec.pfs ?? []) {
    pci(pf.pci);
    name(pf.name);
    if (!Number.isInteger(pf.totalVfs) || pf.totalVfs < pf.vfs.length) throw new Error(`sysfs-tree: PF ${pf.name}: totalVfs ${pf.totalVfs} < ${pf.vfs.length} VFs`);
    const idx = new Set<number>();
    for (const vf of pf.vfs) {
      pci(vf.pci);
      if (vf.netdev !== undefined) name(vf.netdev);
      if (!Number.isInteger(vf.index) || vf.index < 0 || idx.has(vf.index)) throw new Error(`sysfs-tree: PF ${pf.name}: bad or duplicate VF index ${vf.index}`);
      idx.add(vf.index);
    }
  }
  for (const n of spec.nics ?? []) { pci(n.pci); name(n.name); }
  for (const v of spec.virtio ?? []) { pci(v.pci); name(v.name); }
  for (const v of spec.virtual ?? []) name(v);
}

/** Builds the tree under `root` (created if needed; must not already hold these devices). */
export async function buildSysfsTree(root: string, spec: SysfsTreeSpec): Promise<void> {
  check(spec);
  await mkdir(path.join(root, 'class/net'), { recursive: true });
  await mkdir(path.join(root, 'bus/pci/devices'), { recursive: true });
  for (const pf of spec.pfs ?? []) {
    const pfDir = await pciDevice(root, {
      pci: pf.pci, vendor: pf.vendor, device: pf.device, driver: pf.driver,
      netdev: pf.netdev === false ? undefined : pf.name, cls: '0x020000',
    });
    await file(root, `${pfDir}/sriov_totalvfs`, `${pf.totalVfs}\n`);
    await file(root, `${pfDir}/sriov_numvfs`, `${pf.numVfs ?? pf.vfs.length}\n`);
    for (const vf of pf.vfs) {
      const vfDir = await pciDevice(root, {
        pci: vf.pci, vendor: vf.vendor ?? pf.vfVendor ?? pf.vendor, device: vf.device ?? pf.vfDevice ?? pf.device,
        driver: vf.driver, netdev: vf.netdev, cls: '0x020000',
      });
      if (vf.physfn !== false) await link(root, `${vfDir}/physfn`, pfDir);
      if (vf.virtfn !== false) await link(root, `${pfDir}/virtfn${vf.index}`, vfDir);
    }
  }
  for (const n of spec.nics ?? []) {
    await pciDevice(root, { pci: n.pci, vendor: n.vendor, device: n.device, driver: n.driver, netdev: n.name, cls: '0x020000' });
  }
  for (const v of spec.virtio ?? []) {
    const dir = await pciDevice(root, { pci: v.pci, vendor: '0x1af4', device: '0x1041', driver: 'virtio-pci', netdev: undefined, cls: '0x020000' });
    await mkdir(path.join(root, dir, v.bus), { recursive: true });
    await netdevDir(root, `${dir}/${v.bus}`, v.name);
  }
  for (const name of spec.virtual ?? []) {
    await mkdir(path.join(root, 'devices/virtual/net', name), { recursive: true });
    await link(root, `class/net/${name}`, `devices/virtual/net/${name}`);
  }
}

/**
 * "Moves" a netdev into a container: removes its `net/<name>` dir and class/net link, as real sysfs does
 * for a netdev that left the namespace (the device's `net/` dir stays, empty). Returns the PCI address.
 */
export async function netdevToContainer(root: string, name: string): Promise<string> {
  assertIfName(name);
  const classLink = path.join(root, 'class/net', name);
  const netDir = path.resolve(path.dirname(classLink), await readlink(classLink));
  const devDir = path.dirname(path.dirname(netDir));
  await rm(netDir, { recursive: true, force: true });
  await rm(classLink, { force: true });
  return path.basename(devDir);
}

/** Brings a netdev back to the host namespace under PCI device `pci` (possibly under a new name). */
export async function netdevToHost(root: string, pci: string, name: string): Promise<void> {
  const p = assertPciAddress(pci);
  assertIfName(name);
  const devAbs = await realpath(path.join(root, 'bus/pci/devices', p));
  await netdevDir(root, path.relative(root, devAbs), name);
}

/** The fake `ip`'s state file for one PF (`<dir>/<pf>.json`); see test/helpers/fake-ip/README.md. */
export interface FakePfState {
  v: 1;
  pf: string;
  pci: string;
  ifindex: number;
  address: string;
  mtu: number;
  refuse: FakeVfRefusal[];
  vfs: FakeVf[];
}

/** The initial fake-`ip` state of every PF in the spec: VF table 0..numVfs-1 with kernel defaults. */
export function fakePfStates(spec: SysfsTreeSpec): FakePfState[] {
  return (spec.pfs ?? []).map((pf, i) => {
    const count = Math.max(pf.numVfs ?? 0, ...pf.vfs.map((v) => v.index + 1));
    const vfs = Array.from({ length: count }, (_, n) => {
      const given = pf.vfs.find((v) => v.index === n)?.state ?? {};
      return { ...defaultVf(n), ...given, vf: n };
    });
    const [, bus = '00', dev = '00.0'] = pf.pci.split(':');
    const [slot = '00', fn = '0'] = dev.split('.');
    return {
      v: 1, pf: pf.name, pci: pf.pci, ifindex: 9000 + i, address: `02:5f:${bus}:${slot}:0${fn}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      mtu: 1500, refuse: [...(pf.refuse ?? [])], vfs,
    };
  });
}

/** Writes `<dir>/<pf>.json` for every PF (overwriting) and truncates `<dir>/<pf>.calls`. */
export async function writeFakeSriovState(dir: string, spec: SysfsTreeSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const st of fakePfStates(spec)) {
    await writeFile(path.join(dir, `${st.pf}.json`), JSON.stringify(st, null, 2) + '\n');
    await writeFile(path.join(dir, `${st.pf}.calls`), '');
  }
}

async function cli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const usage = 'usage: sysfs-tree.ts build <root> <spec.json> [--fake-sriov-dir <dir>] | to-container <root> <netdev> | to-host <root> <pci> <netdev>';
  if (cmd === 'build' && (rest.length === 2 || (rest.length === 4 && rest[2] === '--fake-sriov-dir'))) {
    const [root = '', specFile = '', , stateDir] = rest;
    const spec = JSON.parse(await readFile(specFile, 'utf8')) as SysfsTreeSpec;
    await buildSysfsTree(root, spec);
    if (stateDir !== undefined) await writeFakeSriovState(stateDir, spec);
    return 0;
  }
  if (cmd === 'to-container' && rest.length === 2) {
    process.stdout.write(`${await netdevToContainer(rest[0] ?? '', rest[1] ?? '')}\n`);
    return 0;
  }
  if (cmd === 'to-host' && rest.length === 3) {
    await netdevToHost(rest[0] ?? '', rest[1] ?? '', rest[2] ?? '');
    return 0;
  }
  process.stderr.write(`${usage}\n`);
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`sysfs-tree: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
