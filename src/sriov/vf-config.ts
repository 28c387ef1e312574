// Programming a VF for a Neutron port through its PF (the hw_veb binding): read the VF's current settings,
// then apply MAC, VLAN, spoof checking, trust, link state and rates, and the VF netdev's MTU; and put back
// exactly what was read. The order follows sriov-cni: on release the PF-side settings are restored before the
// netdev is touched, because some drivers refuse netdev changes while trust is off.
import type { IpLink, SetVfOptions, VfConfig } from '../host/ip-link.ts';
import type { VfSnapshot } from './ledger.ts';

export interface VfTarget { pf: string; vfIndex: number; netdev: string | undefined }

export interface VfSettings {
  mac: string;
  vlan: number;
  spoofchk: boolean;
  trust: boolean;
  /** undefined: leave the link state alone (igb cannot set it) */
  linkState: 'auto' | 'enable' | 'disable' | undefined;
  minTxRate: number | undefined;
  maxTxRate: number | undefined;
  mtu: number | undefined;
}

export async function snapshotVf(ipLink: IpLink, t: VfTarget): Promise<VfSnapshot> {
  const vf: VfConfig | undefined = (await ipLink.vfList(t.pf)).find((v) => v.vf === t.vfIndex);
  const link = t.netdev === undefined ? undefined : await ipLink.show(t.netdev);
  const snap: VfSnapshot = { mac: vf?.mac ?? '00:00:00:00:00:00', vlan: vf?.vlan ?? 0, qos: vf?.qos ?? 0 };
  if (vf?.vlanProto !== undefined) snap.vlanProto = vf.vlanProto;
  if (vf?.spoofchk !== undefined) snap.spoofchk = vf.spoofchk;
  if (vf?.trust !== undefined) snap.trust = vf.trust;
  if (vf?.linkState !== undefined) snap.linkState = vf.linkState;
  if (vf?.minTxRate !== undefined) snap.minTxRate = vf.minTxRate;
  if (vf?.maxTxRate !== undefined) snap.maxTxRate = vf.maxTxRate;
  if (link?.mtu !== undefined) snap.mtu = link.mtu;
  if (link?.address !== undefined) snap.netdevMac = link.address;
  return snap;
}

export async function applyVf(ipLink: IpLink, t: VfTarget, s: VfSettings): Promise<void> {
  const opts: SetVfOptions = { mac: s.mac, vlan: s.vlan, spoofchk: s.spoofchk, trust: s.trust };
  if (s.linkState !== undefined) opts.state = s.linkState;
  if (s.minTxRate !== undefined) opts.minTxRate = s.minTxRate;
  if (s.maxTxRate !== undefined) opts.maxTxRate = s.maxTxRate;
  await ipLink.setVf(t.pf, t.vfIndex, opts);
  if (t.netdev !== undefined) {
    // the netdev's own (effective) MAC follows the admin MAC on most drivers, asynchronously on i40e/iavf;
    // setting it here makes the container see the port's MAC from the first packet
    await ipLink.set(t.netdev, { address: s.mac, ...(s.mtu === undefined ? {} : { mtu: s.mtu }) });
  }
}

/**
 * Puts back exactly what snapshotVf read. Only the PF-side settings that differ from the snapshot are sent
 * (sriov-cni resets only what it changed): a driver that cannot set one (igb: link state; a NIC without trust)
 * refuses the whole command at that step, so re-sending an unchanged setting could make a restore fail — and
 * a rollback after such a refusal would then never give the VF back.
 */
export async function restoreVf(ipLink: IpLink, t: VfTarget, saved: VfSnapshot): Promise<void> {
  const now: VfConfig | undefined = (await ipLink.vfList(t.pf)).find((v) => v.vf === t.vfIndex);
  const differs = <T>(want: T | undefined, have: T | undefined): boolean => want !== undefined && (now === undefined || want !== have);
  const opts: SetVfOptions = {};
  if (differs(saved.mac, now?.mac)) opts.mac = saved.mac;
  if (differs(saved.vlan, now?.vlan) || differs(saved.qos, now?.qos) || differs(saved.vlanProto, now?.vlanProto)) {
    opts.vlan = saved.vlan;
    if (saved.vlan !== 0 && saved.qos !== 0) opts.qos = saved.qos;
    if (saved.vlan !== 0 && (saved.vlanProto === '802.1Q' || saved.vlanProto === '802.1ad')) opts.vlanProto = saved.vlanProto;
  }
  if (differs(saved.spoofchk, now?.spoofchk)) opts.spoofchk = saved.spoofchk!;
  if (differs(saved.trust, now?.trust)) opts.trust = saved.trust!;
  if ((saved.linkState === 'auto' || saved.linkState === 'enable' || saved.linkState === 'disable') && differs(saved.linkState, now?.linkState)) {
    opts.state = saved.linkState;
  }
  if (differs(saved.minTxRate, now?.minTxRate) || differs(saved.maxTxRate, now?.maxTxRate)) {
    if (saved.minTxRate !== undefined) opts.minTxRate = saved.minTxRate;
    if (saved.maxTxRate !== undefined) opts.maxTxRate = saved.maxTxRate;
  }
  await ipLink.setVf(t.pf, t.vfIndex, opts);
  if (t.netdev !== undefined && (await ipLink.show(t.netdev)) !== undefined) {
    await ipLink.set(t.netdev, {
      ...(saved.netdevMac === undefined ? {} : { address: saved.netdevMac }),
      ...(saved.mtu === undefined ? {} : { mtu: saved.mtu }),
    });
  }
}
