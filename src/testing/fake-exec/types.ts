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
}

export interface FakeLinkTable {
  get(name: string, ns?: string): FakeLink | undefined;
  /** links of one netns ('' = the default one), ordered by ifindex */
  list(ns?: string): FakeLink[];
  names(ns?: string): string[];
  /** add a link directly (e.g. a pre-existing bridge the code under test must not delete) */
  seed(link: { ifname: string; kind?: string; ns?: string; address?: string; mtu?: number; up?: boolean; master?: string; alias?: string }): FakeLink;
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
