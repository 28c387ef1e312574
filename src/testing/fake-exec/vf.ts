// The SR-IOV part of the fake `ip link`: parses `vf N ...` clauses as iproute2 6.1 does (argument errors exit
// 255), applies them to a PF's VF table in the kernel's do_setvf order (MAC, VLAN, rates, spoofchk, link
// state, trust; a refused step fails with exit 2 and leaves the earlier ones applied), and renders the
// `vfinfo_list` JSON iproute2 prints. test/helpers/fake-ip/ip-fake.mjs is the same model for the e2e; the
// contract test in test/integration/fake-ip.test.ts keeps the two in step. Test-only (excluded from the build).
import { Failure, type FakeVf, type FakeVfRefusal } from './types.ts';

export interface VfClause {
  vf: number;
  mac?: string;
  vlan?: { vlan: number; qos: number; proto: '802.1Q' | '802.1ad' };
  /** `rate` (legacy) and `max_tx_rate` */
  maxTxRate?: number;
  minTxRate?: number;
  spoofchk?: boolean;
  trust?: boolean;
  state?: 'auto' | 'enable' | 'disable';
}

const MAC_RE = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/iu;
const UINT_RE = /^[0-9]+$/u;

function invarg(msg: string, arg: string | undefined): never {
  throw new Failure(255, `Error: argument "${String(arg)}" is wrong: ${msg}`);
}

function onOff(key: string, v: string | undefined): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Failure(255, `Error: argument of "${key}" must be "on" or "off", not "${String(v)}"`);
}

function uint(v: string | undefined, msg: string): number {
  if (v === undefined || !UINT_RE.test(v) || Number(v) > 0xffff_ffff) invarg(msg, v);
  return Number(v);
}

export function normalizeMac(v: string): string {
  return v.split(':').map((b) => b.padStart(2, '0')).join(':').toLowerCase();
}

/** Whether `tokens[i]` starts a `vf` clause keyword (iproute2 ends the clause at the first other word). */
export function isVfKeyword(t: string | undefined): boolean {
  return t === 'mac' || t === 'vlan' || t === 'rate' || t === 'max_tx_rate' || t === 'min_tx_rate' || t === 'spoofchk'
    || t === 'trust' || t === 'state' || t === 'query_rss';
}

/** Parses `vf N <settings...>` with args[i] === 'vf'; returns the clause and the index after it. */
export function parseVfClause(args: readonly string[], i: number): { clause: VfClause; next: number } {
  let k = i + 1;
  const n = args[k++];
  if (n === undefined || !/^-?[0-9]+$/u.test(n)) invarg('Invalid "vf" value', n);
  const clause: VfClause = { vf: Number(n) };
  while (k < args.length && isVfKeyword(args[k])) {
    const key = args[k++];
    const v = args[k++];
    if (v === undefined) throw new Failure(255, `Command line is not complete. Try option "help"`);
    switch (key) {
      case 'mac':
        if (!MAC_RE.test(v)) throw new Failure(255, `"${v}" is invalid lladdr.`);
        clause.mac = normalizeMac(v);
        break;
      case 'vlan': {
        const vlan = uint(v, 'Invalid "vlan" value');
        let qos = 0;
        let proto: '802.1Q' | '802.1ad' = '802.1Q';
        if (args[k] === 'qos') { qos = uint(args[k + 1], 'Invalid "qos" value'); k += 2; }
        if (args[k] === 'proto') {
          const p = (args[k + 1] ?? '').toLowerCase();
          if (p === '802.1q') proto = '802.1Q';
          else if (p === '802.1ad') proto = '802.1ad';
          else invarg('protocol is invalid', args[k + 1]);
          k += 2;
        }
        clause.vlan = { vlan, qos, proto };
        break;
      }
      case 'rate': case 'max_tx_rate': clause.maxTxRate = uint(v, 'Invalid "max tx rate" value'); break;
      case 'min_tx_rate': clause.minTxRate = uint(v, 'Invalid "min tx rate" value'); break;
      case 'spoofchk': clause.spoofchk = onOff('spoofchk', v); break;
      case 'trust': clause.trust = onOff('trust', v); break;
      case 'query_rss': onOff('query_rss', v); break;
      case 'state':
        if (v !== 'auto' && v !== 'enable' && v !== 'disable') invarg('Invalid "state" value', v);
        clause.state = v;
        break;
      default: break;
    }
  }
  return { clause, next: k };
}

function rtnl(msg: string): never {
  throw new Failure(2, `RTNETLINK answers: ${msg}`);
}

/** Kernel defaults of a freshly created VF on the common drivers. */
export function defaultVf(vf: number): FakeVf {
  return { vf, mac: '00:00:00:00:00:00', vlan: 0, qos: 0, vlanProto: '802.1Q', spoofchk: true, trust: false, linkState: 'auto', minTxRate: 0, maxTxRate: 0 };
}

/** Applies one clause to the VF table in do_setvf order; throws Failure on a kernel/driver refusal. */
export function applyVfClause(vfs: FakeVf[], refuse: ReadonlySet<FakeVfRefusal>, c: VfClause): void {
  const vf = vfs[c.vf];
  if (c.vf < 0 || vf === undefined) rtnl('Invalid argument');
  if (c.mac !== undefined) {
    if (refuse.has('mac')) rtnl('Operation not supported');
    const first = parseInt(c.mac.slice(0, 2), 16);
    // drivers accept a unicast MAC or all-zero (clear); multicast is EINVAL
    if ((first & 1) === 1) rtnl('Invalid argument');
    vf.mac = c.mac;
  }
  if (c.vlan !== undefined) {
    if (c.vlan.vlan > 4095 || c.vlan.qos > 7) rtnl('Invalid argument');
    if (refuse.has('vlan')) rtnl('Operation not supported');
    if (c.vlan.proto === '802.1ad' && refuse.has('802.1ad')) rtnl('Protocol not supported');
    vf.vlan = c.vlan.vlan;
    vf.qos = c.vlan.qos;
    vf.vlanProto = c.vlan.proto;
  }
  if (c.maxTxRate !== undefined || c.minTxRate !== undefined) {
    // iproute2 reads the current value of the rate it was not given and sends both
    const max = c.maxTxRate ?? vf.maxTxRate;
    const min = c.minTxRate ?? vf.minTxRate;
    if (refuse.has('rate')) rtnl('Operation not supported');
    if (min !== 0 && refuse.has('min_tx_rate')) rtnl('Invalid argument');
    if (max !== 0 && min > max) rtnl('Invalid argument');
    vf.maxTxRate = max;
    vf.minTxRate = min;
  }
  if (c.spoofchk !== undefined) {
    if (refuse.has('spoofchk')) rtnl('Operation not supported');
    vf.spoofchk = c.spoofchk;
  }
  if (c.state !== undefined) {
    if (refuse.has('state')) rtnl('Operation not supported');
    vf.linkState = c.state;
  }
  if (c.trust !== undefined) {
    if (refuse.has('trust')) rtnl('Operation not supported');
    vf.trust = c.trust;
  }
}

/** One `vfinfo_list` entry as iproute2 6.1 prints it (zero VLAN/qos and an 802.1Q protocol are omitted). */
export function vfJson(v: FakeVf): Record<string, unknown> {
  const vlan: Record<string, unknown> = {};
  if (v.vlan !== 0) vlan['vlan'] = v.vlan;
  if (v.qos !== 0) vlan['qos'] = v.qos;
  if (v.vlanProto !== '802.1Q') vlan['protocol'] = v.vlanProto;
  return {
    vf: v.vf,
    link_type: 'ether',
    address: v.mac,
    broadcast: 'ff:ff:ff:ff:ff:ff',
    vlan_list: [vlan],
    rate: { max_tx: v.maxTxRate, min_tx: v.minTxRate },
    spoofchk: v.spoofchk,
    link_state: v.linkState,
    trust: v.trust,
    query_rss_en: false,
  };
}
