// The two SR-IOV variants beside a plain VF: vnic_type direct-physical (the whole PF netdev goes into the
// container; Neutron binds it as hostdev_physical) and macvtap (a macvtap in passthru mode on the VF goes in;
// hw_veb). Choosing a PF, naming the macvtap, and saving/restoring a PF netdev's own MAC and MTU.
import { NotFoundError, PluginError } from '../errors.ts';
import type { IpLink } from '../host/ip-link.ts';
import { pciVendorInfo, pfInfo } from '../host/sriov.ts';
import type { Sysfs } from '../host/sysfs.ts';
import { assertIfName, assertPciAddress } from '../host/validate.ts';
import type { VfSnapshot } from './ledger.ts';

/** host name of the macvtap for a port: `mvt` + the first 11 characters of the port id (14 ≤ IFNAMSIZ) */
export function macvtapName(portId: string): string {
  return `mvt${portId.slice(0, 11)}`;
}

/** the netdev of a PCI function (a PF), or undefined when it has none on this host */
export async function netdevOfPci(sysfs: Sysfs, pci: string): Promise<string | undefined> {
  const entries = await sysfs.list(`bus/pci/devices/${assertPciAddress(pci)}/net`).catch(() => [] as string[]);
  return entries.length === 1 ? assertIfName(entries[0]!) : undefined;
}

export interface ChosenPf { pf: string; pci: string; vendorInfo: string }

/**
 * A whole PF for direct-physical: mapped to the physnet, not held, with no VFs enabled (a PF whose VFs are in
 * use cannot also be handed out whole) and its netdev on the host.
 */
export async function choosePf(
  sysfs: Sysfs, pfNames: readonly string[], held: ReadonlySet<string>,
): Promise<ChosenPf | undefined> {
  for (const name of pfNames) {
    try {
      const info = await pfInfo(sysfs, name);
      if (held.has(info.pci) || info.numVfs > 0) continue;
      return { pf: name, pci: info.pci, vendorInfo: pciVendorInfo(info) };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return undefined;
}

export async function snapshotNetdev(ipLink: IpLink, netdev: string): Promise<VfSnapshot> {
  const link = await ipLink.show(netdev);
  if (link === undefined) throw new PluginError('ERR_SRIOV_DEVICE', `netdev ${netdev} is not on the host`);
  return { mac: link.address, vlan: 0, qos: 0, netdevMac: link.address, mtu: link.mtu };
}

export async function restoreNetdev(ipLink: IpLink, netdev: string, saved: VfSnapshot): Promise<void> {
  if ((await ipLink.show(netdev)) === undefined) return; // still in a sandbox: nothing to restore yet
  await ipLink.set(netdev, {
    ...(saved.netdevMac === undefined ? {} : { address: saved.netdevMac }),
    ...(saved.mtu === undefined ? {} : { mtu: saved.mtu }),
  });
}
