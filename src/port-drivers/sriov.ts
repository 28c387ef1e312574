// The sriov port driver (vnic_type direct, macvtap, direct-physical): the container gets a VF (or a macvtap on
// it, or the whole PF). The device is the one the port names in binding:profile.pci_slot, or — new — one the
// plugin picks from the PFs [sriov] physical_device_mappings maps to the network's physical network and writes
// into the profile. A VF is programmed through its PF for the port (hw_veb): MAC, VLAN from binding:vif_details,
// spoof checking, trust, link state, MTU, after its original settings are recorded in the ledger; DeleteEndpoint
// puts them back and frees the device.
import { NotFoundError, PluginError } from '../errors.ts';
import type { IpLink } from '../host/ip-link.ts';
import { isPf, pciVendorInfo, pfInfo, vfInfo } from '../host/sriov.ts';
import type { Sysfs } from '../host/sysfs.ts';
import type { NeutronClient } from '../neutron/client.ts';
import type { NeutronNetwork, NeutronPort } from '../neutron/types.ts';
import { pickVf, type VfCandidate } from '../sriov/allocator.ts';
import { heldPcis, type VfLedger, type VfRecord } from '../sriov/ledger.ts';
import { choosePf, macvtapName, netdevOfPci, restoreNetdev, snapshotNetdev } from '../sriov/passthrough.ts';
import { ratesFromPolicy, type VfRates } from '../sriov/qos.ts';
import { applyVf, restoreVf, snapshotVf } from '../sriov/vf-config.ts';
import type { Log } from '../util/log.ts';
import type { PortDriver } from './types.ts';

export interface SriovSettings {
  /** physnet → PF netdevs, in configuration order */
  physnets: ReadonlyMap<string, readonly string[]>;
  /** PF netdev → VF PCI addresses never handed out */
  excluded: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface SriovDeps {
  sysfs: Sysfs;
  ipLink: IpLink;
  neutron: NeutronClient;
  ledger: VfLedger;
  settings: SriovSettings;
  log: Log;
  now?: () => Date;
}

/** the binding Neutron's sriovnicswitch mechanism driver reports per vnic type */
const EXPECTED_VIF_TYPE: Record<string, string> = { direct: 'hw_veb', macvtap: 'hw_veb', 'direct-physical': 'hostdev_physical' };

function profileOf(port: NeutronPort | undefined): Record<string, unknown> {
  const p = port?.['binding:profile'];
  return p !== null && typeof p === 'object' ? { ...p } : {};
}

export function createSriovPortDriver(deps: SriovDeps): PortDriver & { release(rec: VfRecord, port: NeutronPort | undefined): Promise<void> } {
  const { sysfs, ipLink, neutron, ledger, settings, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function chooseVf(network: NeutronNetwork, held: Set<string>): Promise<{ vf: VfCandidate; vendorInfo: string; physnet: string }> {
    const physnet = network['provider:physical_network'];
    if (typeof physnet !== 'string' || physnet === '') {
      throw new PluginError('ERR_SRIOV_PHYSNET',
        `network ${network.id} has no physical network (provider:physical_network): SR-IOV needs a flat or VLAN provider network`);
    }
    const pfNames = settings.physnets.get(physnet);
    if (pfNames === undefined || pfNames.length === 0) {
      throw new PluginError('ERR_SRIOV_PHYSNET',
        `physical network ${physnet} is not mapped to any PF: add it to [sriov] physical_device_mappings (e.g. ${physnet}:<pf>)`);
    }
    const pfs: { name: string; vfs: VfCandidate[]; vendorInfo: string }[] = [];
    const unusable: string[] = [];
    for (const name of pfNames) {
      try {
        const info = await pfInfo(sysfs, name);
        if (held.has(info.pci)) {
          unusable.push(`${name} (passed through whole to a container)`);
          continue;
        }
        const vfs: VfCandidate[] = [];
        for (const vf of info.vfs) vfs.push({ pf: name, index: vf.index, pci: vf.pci, netdev: vf.netdev });
        // pci_vendor_info names the VF's vendor:device (what Nova's PCI whitelist matches), not the PF's
        const firstVf = info.vfs[0] === undefined ? undefined : await vfInfo(sysfs, info.vfs[0].pci).catch(() => undefined);
        pfs.push({ name, vfs, vendorInfo: pciVendorInfo(firstVf ?? info) });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        unusable.push(`${name} (${err.message})`);
      }
    }
    const vf = pickVf({ pfs, held, excluded: settings.excluded });
    if (vf === undefined) {
      throw new PluginError('ERR_VF_EXHAUSTED',
        `no free VF on physical network ${physnet}: tried ${pfNames.join(', ')}` +
        (unusable.length > 0 ? `; unusable: ${unusable.join('; ')}` : ''));
    }
    return { vf, vendorInfo: pfs.find((p) => p.name === vf.pf)!.vendorInfo, physnet };
  }

  async function recordOf(endpointId: string): Promise<VfRecord | undefined> {
    return (await ledger.read()).endpoints[endpointId];
  }

  return {
    release: (rec, port) => releaseVf(rec, port),
    kind: 'sriov',
    supportedBindings: ['hw_veb'],

    async prepareBinding({ endpointId, port, network, vnicType }) {
      if (EXPECTED_VIF_TYPE[vnicType] === undefined) {
        throw new PluginError('ERR_UNSUPPORTED', `vnic_type ${vnicType} is not an SR-IOV vnic type`);
      }
      const profile = profileOf(port);
      const pinned = typeof profile['pci_slot'] === 'string' && profile['pci_slot'] !== '' ? profile['pci_slot'] : undefined;
      const record = await ledger.update(async (state) => {
        const existing = state.endpoints[endpointId];
        if (existing !== undefined) return existing;
        const held = heldPcis(state);
        let rec: VfRecord;
        const base = { endpointId, portId: port?.id ?? '', vnicType, since: now().toISOString() };
        if (vnicType === 'direct-physical') {
          rec = await reservePf(network, held, pinned, profile, base, port);
        } else if (pinned !== undefined) {
          const info = await vfInfo(sysfs, pinned);
          if (held.has(info.pci) || held.has(info.pfPci)) {
            const owner = Object.values(state.endpoints).find((r) => r.pci === info.pci || r.pci === info.pfPci);
            throw new PluginError('ERR_VF_BUSY', `VF ${info.pci} (port ${port?.id ?? '?'}) is held by endpoint ${owner?.endpointId ?? '?'}`);
          }
          rec = { ...base, pci: info.pci, pf: info.pfName, vfIndex: info.vfIndex, allocated: false };
          if (info.netdev !== undefined) rec.netdev = info.netdev;
        } else {
          const { vf, vendorInfo, physnet } = await chooseVf(network, held);
          rec = { ...base, pci: vf.pci, pf: vf.pf, vfIndex: vf.index, allocated: true, profileBefore: port === undefined ? null : profileOf(port) };
          if (vf.netdev !== undefined) rec.netdev = vf.netdev;
          profile['pci_slot'] = vf.pci;
          profile['pci_vendor_info'] = vendorInfo;
          profile['physical_network'] = physnet;
        }
        state.endpoints[endpointId] = rec;
        return rec;
      });
      log.info({ endpointId, pci: record.pci, pf: record.pf, vf: record.vfIndex, allocated: record.allocated }, 'VF reserved');
      return {
        body: record.allocated ? { 'binding:profile': { ...profileOf(port), ...profile } } : {},
        // CreateEndpoint failed after this: if the VF was already changed (a refusal part-way through
        // createHostIface, a later step), put it back before freeing it; the port is restored by the caller
        undo: async () => {
          const rec = await recordOf(endpointId);
          if (rec === undefined) return;
          await restoreSaved(rec);
          await ledger.update((state) => { delete state.endpoints[endpointId]; });
        },
      };
    },

    async createHostIface({ endpointId, port, network }) {
      const rec = await recordOf(endpointId);
      if (rec === undefined) throw new PluginError('ERR_INTERNAL', `no VF reserved for endpoint ${endpointId}`);
      const expected = EXPECTED_VIF_TYPE[rec.vnicType] ?? 'hw_veb';
      const vifType = port['binding:vif_type'] ?? 'unbound';
      if (vifType !== expected) {
        throw new PluginError('ERR_BINDING_FAILED',
          `Neutron bound SR-IOV port ${port.id} as vif_type ${vifType}, not ${expected}. Likely causes: no live NIC Switch ` +
          'agent (neutron-sriov-nic-agent) on this host under the same host name, the sriovnicswitch mechanism driver ' +
          "is not enabled, or the network's physical network is missing from the agent's physical_device_mappings.");
      }
      if (rec.vnicType === 'direct-physical') {
        await plugPf(rec, port, network);
        return;
      }
      const info = await vfInfo(sysfs, rec.pci);
      if (info.netdev === undefined) {
        throw new PluginError('ERR_VF_BUSY', `VF ${rec.pci} has no netdev in the host namespace (in another container, or bound to vfio)`);
      }
      const target = { pf: info.pfName, vfIndex: info.vfIndex, netdev: info.netdev };
      await ledger.update(async (state) => {
        const r = state.endpoints[endpointId];
        if (r === undefined) return;
        r.portId = port.id;
        r.netdev = info.netdev;
        // the original settings are recorded (durably) before the first change, and never overwritten by a retry
        r.saved ??= await snapshotVf(ipLink, target);
      });
      const details = port['binding:vif_details'] ?? {};
      const profile = profileOf(port);
      const mac = port.mac_address.toLowerCase();
      await applyVf(ipLink, target, {
        mac,
        vlan: Number(details['vlan'] ?? 0) || 0,
        spoofchk: port.port_security_enabled ?? true,
        trust: profile['trusted'] === true || profile['trusted'] === 'true',
        linkState: port.admin_state_up ? (port['propagate_uplink_status'] === true ? 'auto' : undefined) : 'disable',
        ...(await portRates(port, network)),
        mtu: network.mtu,
      });
      if (rec.vnicType === 'macvtap') {
        const tap = macvtapName(port.id);
        await ipLink.del(tap);
        await ipLink.addMacvlan(tap, info.netdev, { tap: true, mode: 'passthru', address: mac, ...(network.mtu === undefined ? {} : { mtu: network.mtu }) });
      }
      log.info({ endpointId, portId: port.id, pci: rec.pci, pf: info.pfName, vf: info.vfIndex, vlan: details['vlan'] ?? 0, vnicType: rec.vnicType }, 'VF configured');
    },

    async deleteHostIface({ endpointId, port }) {
      const rec = await recordOf(endpointId);
      if (rec === undefined) {
        log.info({ endpointId, portId: port.id }, 'no VF recorded for this endpoint; nothing to restore');
        return;
      }
      await releaseVf(rec, port);
    },

    async containerIfName(port, endpointId) {
      const rec = await recordOf(endpointId);
      if (rec?.vnicType === 'macvtap') return macvtapName(port.id);
      if (rec?.vnicType === 'direct-physical') {
        const netdev = (await netdevOfPci(sysfs, rec.pci)) ?? rec.netdev;
        if (netdev === undefined) throw new PluginError('ERR_VF_BUSY', `PF ${rec.pci} has no netdev on the host`);
        return netdev;
      }
      const pci = rec?.pci ?? (typeof profileOf(port)['pci_slot'] === 'string' ? String(profileOf(port)['pci_slot']) : undefined);
      if (pci === undefined) throw new PluginError('ERR_ENDPOINT_NOT_FOUND', `no VF known for endpoint ${endpointId}`);
      const netdev = (await vfInfo(sysfs, pci)).netdev ?? rec?.netdev;
      if (netdev === undefined) throw new PluginError('ERR_VF_BUSY', `VF ${pci} has no netdev on the host`);
      return netdev;
    },

    async onJoin(endpointId, sandboxKey) {
      await ledger.update((state) => {
        const r = state.endpoints[endpointId];
        if (r !== undefined) r.sandboxKey = sandboxKey;
      });
    },
  };

  /** put the VF back as it was, give the port its profile back, and free the VF */
  async function releaseVf(rec: VfRecord, port: NeutronPort | undefined): Promise<void> {
    await restoreSaved(rec);
    if (rec.allocated && port !== undefined) {
      await neutron.updatePort(port.id, { 'binding:profile': rec.profileBefore ?? {} }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    await ledger.update((state) => { delete state.endpoints[rec.endpointId]; });
    log.info({ endpointId: rec.endpointId, pci: rec.pci }, 'VF restored and freed');
  }

  /** the VF's recorded original settings back on the VF (nothing to do before the first change) */
  async function restoreSaved(rec: VfRecord): Promise<void> {
    if (rec.vnicType === 'macvtap' && rec.portId !== '') await ipLink.del(macvtapName(rec.portId));
    if (rec.saved === undefined) return;
    if (rec.vnicType === 'direct-physical') {
      const netdev = (await netdevOfPci(sysfs, rec.pci)) ?? rec.netdev;
      if (netdev !== undefined) await restoreNetdev(ipLink, netdev, rec.saved);
      return;
    }
    const info = await vfInfo(sysfs, rec.pci).catch(() => undefined);
    await restoreVf(ipLink, { pf: rec.pf, vfIndex: rec.vfIndex, netdev: info?.netdev ?? rec.netdev }, rec.saved);
  }

  /** direct-physical: the whole PF — pinned by pci_slot, or a free one mapped to the network's physnet */
  async function reservePf(
    network: NeutronNetwork, held: Set<string>, pinned: string | undefined, profile: Record<string, unknown>,
    base: { endpointId: string; portId: string; vnicType: string; since: string }, port: NeutronPort | undefined,
  ): Promise<VfRecord> {
    if (pinned !== undefined) {
      if (!(await isPf(sysfs, pinned))) throw new PluginError('ERR_SRIOV_DEVICE', `pci_slot ${pinned} is not an SR-IOV PF on this host`);
      const pf = await netdevOfPci(sysfs, pinned);
      if (pf === undefined) throw new PluginError('ERR_VF_BUSY', `PF ${pinned} has no netdev on the host`);
      const info = await pfInfo(sysfs, pf);
      if (held.has(info.pci) || info.vfs.some((vf) => held.has(vf.pci))) {
        throw new PluginError('ERR_VF_BUSY', `PF ${info.pci} (or one of its VFs) is held by another endpoint`);
      }
      return { ...base, pci: info.pci, pf, vfIndex: -1, netdev: pf, allocated: false };
    }
    const physnet = network['provider:physical_network'];
    const pfNames = typeof physnet === 'string' ? settings.physnets.get(physnet) : undefined;
    if (typeof physnet !== 'string' || pfNames === undefined) {
      throw new PluginError('ERR_SRIOV_PHYSNET',
        `network ${network.id}: physical network ${String(physnet ?? '(none)')} is not mapped in [sriov] physical_device_mappings`);
    }
    const chosen = await choosePf(sysfs, pfNames, held);
    if (chosen === undefined) {
      throw new PluginError('ERR_VF_EXHAUSTED', `no free PF without VFs on physical network ${physnet}: tried ${pfNames.join(', ')}`);
    }
    profile['pci_slot'] = chosen.pci;
    profile['pci_vendor_info'] = chosen.vendorInfo;
    profile['physical_network'] = physnet;
    return { ...base, pci: chosen.pci, pf: chosen.pf, vfIndex: -1, netdev: chosen.pf, allocated: true,
      profileBefore: port === undefined ? null : profileOf(port) };
  }

  /** direct-physical: the PF netdev gets the port's MAC and the network's MTU; its own are saved first */
  async function plugPf(rec: VfRecord, port: NeutronPort, network: NeutronNetwork): Promise<void> {
    const netdev = (await netdevOfPci(sysfs, rec.pci)) ?? rec.netdev;
    if (netdev === undefined) throw new PluginError('ERR_VF_BUSY', `PF ${rec.pci} has no netdev in the host namespace`);
    await ledger.update(async (state) => {
      const r = state.endpoints[rec.endpointId];
      if (r === undefined) return;
      r.portId = port.id;
      r.netdev = netdev;
      r.saved ??= await snapshotNetdev(ipLink, netdev);
    });
    await ipLink.set(netdev, { address: port.mac_address.toLowerCase(), ...(network.mtu === undefined ? {} : { mtu: network.mtu }) });
    log.info({ endpointId: rec.endpointId, portId: port.id, pci: rec.pci, pf: netdev }, 'PF configured for direct-physical');
  }

  /** tx rates from the port's (or its network's) QoS policy; none when Neutron has no QoS or no policy applies */
  async function portRates(port: NeutronPort, network: NeutronNetwork): Promise<VfRates> {
    const policyId = port['qos_policy_id'] ?? network['qos_policy_id'];
    if (typeof policyId !== 'string' || policyId === '') return { minTxRate: undefined, maxTxRate: undefined };
    try {
      return ratesFromPolicy(await neutron.getQosPolicy(policyId));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      log.warn({ portId: port.id, policyId }, 'QoS policy not found; VF rates left unset');
      return { minTxRate: undefined, maxTxRate: undefined };
    }
  }
}
