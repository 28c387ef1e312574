// Public types of the fake Exec (scripted replies, call log, link table, OVS state) plus the internal
// Failure that the `ip link` / `ovs-vsctl` emulations throw to answer with a non-zero exit and stderr.
// Test-only (excluded from the build).
import type { Exec, ExecOptions } from '../../host/exec.ts';

export interface FakeResponse { code?: number; stdout?: string; stderr?: string }
export type FakeReplyValue = FakeResponse | Error;
export type FakeReply = FakeReplyValue | ((argv: readonly string[], opts: ExecOptions) => FakeReplyValue | Promise<FakeReplyValue>);
export type ArgvMatcher = readonly string[] | ((argv: readonly string[]) => boolean);

export interface FakeExecCall {
  argv: string[];
  opts: ExecOptions;
  /** exit code answered (undefined when the reply was a thrown Error) */
  code: number | undefined;
}

export interface FakeLink {
  ns: string;
  ifindex: number;
  ifname: string;
  /** veth, bridge, macvlan, or undefined for a "physical" link seeded by a test */
  kind: string | undefined;
  address: string;
  mtu: number;
  up: boolean;
  master: string | undefined;
  alias: string | undefined;
  /** veth peer / macvlan parent, by ifindex */
  peerIndex: number | undefined;
  bridge: { forwardDelay: number; stpState: number } | undefined;
  macvlanMode: string | undefined;
  /** set on a link seeded as an SR-IOV PF (`vfs`): its VF table, by VF number */
  vfs: FakeVf[] | undefined;
  /** VF settings this PF's "driver" refuses (see FakeVfRefusal) */
  vfRefuse: ReadonlySet<FakeVfRefusal>;
}

/** The PF-side state of one VF, as `ip -json link show dev <pf>` reports it in `vfinfo_list`. */
export interface FakeVf {
  vf: number;
  mac: string;
  vlan: number;
  qos: number;
  vlanProto: '802.1Q' | '802.1ad';
  spoofchk: boolean;
  trust: boolean;
  linkState: 'auto' | 'enable' | 'disable';
  minTxRate: number;
  maxTxRate: number;
}

/**
 * A driver limitation to emulate: 'mac' | 'vlan' | 'rate' | 'spoofchk' | 'state' | 'trust' make that step fail
 * with EOPNOTSUPP (igb: 'state'); '802.1ad' fails a QinQ VLAN with EPROTONOSUPPORT (ixgbe); 'min_tx_rate'
 * fails a non-zero min rate with EINVAL (ixgbe). As in the kernel, the steps before the refused one stay applied.
 */
export type FakeVfRefusal = 'mac' | 'vlan' | '802.1ad' | 'rate' | 'min_tx_rate' | 'spoofchk' | 'state' | 'trust';

export interface FakeSeedLink {
  ifname: string; kind?: string; ns?: string; address?: string; mtu?: number; up?: boolean; master?: string; alias?: string;
  /** make it an SR-IOV PF with this many VFs (kernel defaults: zero MAC, no VLAN, spoofchk on, trust off, auto), or these VFs */
  vfs?: number | ReadonlyArray<Partial<Omit<FakeVf, 'vf'>>>;
  vfRefuse?: readonly FakeVfRefusal[];
}

export interface FakeLinkTable {
  get(name: string, ns?: string): FakeLink | undefined;
  /** links of one netns ('' = the default one), ordered by ifindex */
  list(ns?: string): FakeLink[];
  names(ns?: string): string[];
  /** add a link directly (e.g. a pre-existing bridge the code under test must not delete, or a fake SR-IOV PF) */
  seed(link: FakeSeedLink): FakeLink;
}

export interface FakeOvsPort { bridge: string; name: string; externalIds: Record<string, string> }

export interface FakeOvs {
  readonly bridges: Set<string>;
  readonly ports: Map<string, FakeOvsPort>;
}

export interface FakeExec extends Exec {
  readonly calls: FakeExecCall[];
  /** argv of every call joined with spaces, optionally filtered */
  commands(filter?: ArgvMatcher): string[];
  /** answer matching calls with `reply` (checked newest first, before any emulation); `times` limits uses */
  on(match: ArgvMatcher, reply: FakeReply, opts?: { times?: number }): FakeExec;
  /** shorthand: matching calls exit with `code` and `stderr` */
  failOn(match: ArgvMatcher, stderr: string, opts?: { code?: number; times?: number }): FakeExec;
  /** `test -x path` succeeds for it, and running it answers `reply` (default exit 0) */
  addExecutable(path: string, reply?: FakeReply): FakeExec;
  readonly links: FakeLinkTable;
  readonly ovs: FakeOvs;
  clearCalls(): void;
}

/** Thrown by an emulation to answer the command with exit `code` and `stderr` (instead of stdout). */
export class Failure extends Error {
  constructor(readonly code: number, readonly stderr: string) { super(stderr); }
}
