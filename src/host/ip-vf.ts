// The SR-IOV half of the iproute2 adapter: the `vf N ...` tail of `ip link set dev <pf>` (validated attribute
// by attribute) and the parsing of a PF's `vfinfo_list` from `ip -json -details link show`. Pure: no commands
// run here (host/ip-link.ts runs them through the Exec seam).
import { InvalidRequestError } from '../errors.ts';
import { assertMac } from './validate.ts';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type VfLinkState = 'auto' | 'enable' | 'disable';
/** iproute2's spelling of the VF VLAN protocols (ETH_P_8021Q, ETH_P_8021AD) */
export type VfVlanProto = '802.1Q' | '802.1ad';

/**
 * VF settings applied through the PF (`ip link set dev <pf> vf <n> ...`); only the given ones are sent.
 * The kernel applies them one after another in a fixed order (MAC, VLAN, rates, spoofchk, link state, trust)
 * and stops at the first the driver refuses, so a failed call can leave the earlier ones applied.
 */
export interface SetVfOptions {
  /**
   * Administrative MAC. i40e/iavf apply it asynchronously (the VF resets and picks it up later), so a caller
   * that needs it must read it back and retry, as sriov-cni does (20 × 100 ms). 00:00:00:00:00:00 clears it
   * on most drivers.
   */
  mac?: string;
  /** 0–4094; 0 removes the VLAN */
  vlan?: number;
  /** 802.1p priority 0–7; needs `vlan`, and a non-zero one needs a non-zero VLAN */
  qos?: number;
  /** needs `vlan`; 802.1ad needs a non-zero VLAN. ixgbe supports 802.1Q only. */
  vlanProto?: VfVlanProto;
  spoofchk?: boolean;
  trust?: boolean;
  /** igb cannot set the VF link state: send it only when asked for */
  state?: VfLinkState;
  /** Mbps, 0 = no guarantee. Some NICs (ixgbe, older firmware) refuse any non-zero min_tx_rate. */
  minTxRate?: number;
  /** Mbps, 0 = unlimited */
  maxTxRate?: number;
}

/** One entry of a PF's `vfinfo_list` (`ip -json -details link show dev <pf>`). */
export interface VfConfig {
  vf: number;
  /** administrative MAC, lower case (00:00:00:00:00:00 when unset) */
  mac: string;
  /** 0 = none */
  vlan: number;
  qos: number;
  /** absent on kernels that report no VLAN list (no protocol information) */
  vlanProto?: VfVlanProto;
  /** absent when the driver does not report it */
  spoofchk?: boolean;
  trust?: boolean;
  linkState?: VfLinkState;
  minTxRate?: number;
  maxTxRate?: number;
}

const MAC_LIKE_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2})+$/iu;
const LINK_STATES: ReadonlySet<string> = new Set(['auto', 'enable', 'disable']);

function vlanProtoOf(v: unknown): VfVlanProto | undefined {
  if (typeof v !== 'string') return undefined;
  const p = v.toLowerCase();
  if (p === '802.1q') return '802.1Q';
  if (p === '802.1ad') return '802.1ad';
  return undefined;
}

function numberOr(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/**
 * Parses one `vfinfo_list` entry as iproute2 prints it (ip/ipaddress.c print_vfinfo). Current iproute2 (6.1
 * included) writes the MAC as `address`, older releases as `mac`. VLANs come as `vlan_list: [{vlan, qos,
 * protocol}]` with zero values and an 802.1Q protocol omitted, or as flat `vlan`/`qos` on kernels without
 * IFLA_VF_VLAN_LIST; rates as `rate: {max_tx, min_tx}` (legacy `tx_rate` is the max); `spoofchk`/`trust` as
 * JSON booleans; `link_state` as auto|enable|disable. Returns undefined when the entry has no integer `vf`.
 */
export function parseVfJson(raw: unknown): VfConfig | undefined {
  if (!isObject(raw) || typeof raw['vf'] !== 'number' || !Number.isInteger(raw['vf'])) return undefined;
  const macRaw = typeof raw['address'] === 'string' ? raw['address'] : raw['mac'];
  const mac = typeof macRaw === 'string' && MAC_LIKE_RE.test(macRaw) ? macRaw.toLowerCase() : '00:00:00:00:00:00';
  const out: VfConfig = { vf: raw['vf'], mac, vlan: 0, qos: 0 };
  const list = raw['vlan_list'];
  if (Array.isArray(list)) {
    // the kernel supports one entry (MAX_VLAN_LIST_LEN = 1); an empty object means VLAN 0, qos 0, 802.1Q
    const first: unknown = list[0];
    const e = isObject(first) ? first : {};
    out.vlan = numberOr(e['vlan'], 0);
    out.qos = numberOr(e['qos'], 0);
    // iproute2 omits the protocol when it is 802.1Q; an unknown one (a hex ethertype) is left out
    const proto = e['protocol'] === undefined ? '802.1Q' : vlanProtoOf(e['protocol']);
    if (proto !== undefined) out.vlanProto = proto;
  } else {
    out.vlan = numberOr(raw['vlan'], 0);
    out.qos = numberOr(raw['qos'], 0);
  }
  if (typeof raw['spoofchk'] === 'boolean') out.spoofchk = raw['spoofchk'];
  if (typeof raw['trust'] === 'boolean') out.trust = raw['trust'];
  if (typeof raw['link_state'] === 'string' && LINK_STATES.has(raw['link_state'])) out.linkState = raw['link_state'] as VfLinkState;
  const rate = raw['rate'];
  if (isObject(rate)) {
    if (typeof rate['max_tx'] === 'number') out.maxTxRate = rate['max_tx'];
    if (typeof rate['min_tx'] === 'number') out.minTxRate = rate['min_tx'];
  } else if (typeof raw['tx_rate'] === 'number') {
    out.maxTxRate = raw['tx_rate'];
  }
  return out;
}

/** The `vfinfo_list` of one `ip -json link show` entry, sorted by VF number; [] when there is none. */
export function parseVfInfoList(link: unknown): VfConfig[] {
  if (!isObject(link) || !Array.isArray(link['vfinfo_list'])) return [];
  const out: VfConfig[] = [];
  for (const entry of link['vfinfo_list']) {
    const vf = parseVfJson(entry);
    if (vf !== undefined) out.push(vf);
  }
  return out.sort((a, b) => a.vf - b.vf);
}

function invalidVf(what: string, value: unknown, why: string): never {
  throw new InvalidRequestError('ERR_INVALID_REQUEST', `invalid VF ${what} ${JSON.stringify(value)}: ${why}`, { details: { what, value } });
}

function intIn(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalidVf(what, value, `expected an integer in ${min}..${max}`);
  return value;
}

/** Rates are u32 Mbps in IFLA_VF_RATE. */
const RATE_MAX = 0xffff_ffff;

/** The `vf <n> ...` tail of `ip link set`, validated; [] when opts sets nothing. */
export function vfArgs(vf: number, o: SetVfOptions): string[] {
  const n = intIn(vf, 0, 0xffff, 'number');
  const args: string[] = [];
  if (o.mac !== undefined) args.push('mac', assertMac(o.mac, 'VF MAC address'));
  if (o.vlan !== undefined) {
    const vlan = intIn(o.vlan, 0, 4094, 'vlan');
    args.push('vlan', String(vlan));
    if (o.qos !== undefined) {
      const qos = intIn(o.qos, 0, 7, 'qos');
      if (qos !== 0 && vlan === 0) invalidVf('qos', qos, 'a non-zero qos needs a non-zero vlan');
      args.push('qos', String(qos));
    }
    if (o.vlanProto !== undefined) {
      if (o.vlanProto !== '802.1Q' && o.vlanProto !== '802.1ad') invalidVf('vlan protocol', o.vlanProto, "expected '802.1Q' or '802.1ad'");
      if (o.vlanProto === '802.1ad' && vlan === 0) invalidVf('vlan protocol', o.vlanProto, '802.1ad needs a non-zero vlan');
      args.push('proto', o.vlanProto);
    }
  } else if (o.qos !== undefined || o.vlanProto !== undefined) {
    // iproute2 only reads qos/proto right after `vlan <id>`
    invalidVf(o.qos !== undefined ? 'qos' : 'vlan protocol', o.qos ?? o.vlanProto, 'needs vlan');
  }
  if (o.spoofchk !== undefined) args.push('spoofchk', o.spoofchk ? 'on' : 'off');
  if (o.trust !== undefined) args.push('trust', o.trust ? 'on' : 'off');
  if (o.state !== undefined) {
    if (!LINK_STATES.has(o.state)) invalidVf('link state', o.state, 'expected auto, enable or disable');
    args.push('state', o.state);
  }
  const min = o.minTxRate === undefined ? undefined : intIn(o.minTxRate, 0, RATE_MAX, 'min_tx_rate');
  const max = o.maxTxRate === undefined ? undefined : intIn(o.maxTxRate, 0, RATE_MAX, 'max_tx_rate');
  if (min !== undefined && max !== undefined && max !== 0 && min > max) {
    invalidVf('min_tx_rate', min, `greater than max_tx_rate ${max}`);
  }
  if (min !== undefined) args.push('min_tx_rate', String(min));
  if (max !== undefined) args.push('max_tx_rate', String(max));
  return args.length === 0 ? [] : ['vf', String(n), ...args];
}
