// `kuryr doctor`'s vocabulary: one check's verdict (status, one-line summary, evidence lines, one-line fix), the
// report, the exit-code rule, and the I/O seams every check reaches the host through — so each verdict can be
// driven by fakes in unit tests. No I/O here; the real seams are built in cli/doctor.ts (and probes.ts).
import type { LoadedConfig } from '../config/build-config.ts';
import type { Sysfs } from '../host/sysfs.ts';
import type { NeutronClient } from '../neutron/client.ts';
import type { ListenTarget } from '../server/listener.ts';
import type { VfState } from '../sriov/ledger.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** stable identifier (`neutron.auth`, `sriov.pf.ens1f0`, ...): docs/troubleshooting.md has a section per id */
  id: string;
  status: CheckStatus;
  summary: string;
  /** what was looked at and what was found (URLs without credentials, file paths, values) */
  evidence: string[];
  /** one line: what to do ('' when there is nothing to do) */
  fix: string;
}

export interface DoctorReport {
  v: 1;
  host: string | undefined;
  /** whether it ran as root (some checks are skipped without) */
  root: boolean;
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
  /** 0: all ok/skip, 1: worst is warn, 2: any fail */
  exitCode: 0 | 1 | 2;
}

/** What the plugin socket said to POST /Plugin.Activate. */
export type SocketProbe =
  | { kind: 'answered'; status: number; body: unknown }
  /** the socket file does not exist (unix) */
  | { kind: 'missing' }
  /** it exists but nothing accepts connections (a stale socket of a dead plugin), or the TCP port is closed */
  | { kind: 'refused'; detail: string }
  | { kind: 'denied'; detail: string }
  | { kind: 'error'; detail: string };

/** What dockerd said, when it could be asked. */
export type DockerProbe =
  | { kind: 'unreachable'; where: string; detail: string; explicit: boolean }
  | { kind: 'absent'; where: string }
  | { kind: 'denied'; where: string; detail: string }
  | {
      kind: 'answered';
      where: string;
      version: string;
      /** `docker info` Plugins.Network */
      networkPlugins: string[];
      /** networks whose Driver (or IPAM driver) is the plugin's name */
      networks: { name: string; driver: string; ipamDriver: string }[];
    };

/** The Neutron seam doctor needs: a subset of NeutronClient, plus where it points (no credentials). */
export interface DoctorNeutron extends Pick<NeutronClient, 'hasExtension' | 'listAgents'> {
  describe(): string;
  close(): Promise<void>;
}

export interface DoctorDeps {
  /** read kuryr.conf as `serve` does (throws ConfigError on a bad file) */
  loadConfig(): Promise<LoadedConfig>;
  /** the files loadConfig reads, for the evidence */
  configSources: readonly string[];
  neutron(config: LoadedConfig['config']): DoctorNeutron;
  sysfs(root: string): Sysfs;
  /** read a whole file (/proc/cmdline, the instance lock); errors carry an errno `code` */
  readFile(path: string): Promise<string>;
  /** the VF ledger at <state_path>/sriov-state.json; a missing file is an empty ledger */
  readLedger(statePath: string): Promise<VfState>;
  /** does some process hold the instance lock file (flock), read without locking; undefined: no such file */
  lockHeld(path: string): Promise<boolean | undefined>;
  probeSocket(target: ListenTarget): Promise<SocketProbe>;
  /** the plugin's name as dockerd knows it (socket basename) decides which networks are ours */
  probeDocker(pluginName: string): Promise<DockerProbe>;
  root: boolean;
  /** told what is being checked before each step (so a slow Neutron is not silence), and each verdict */
  progress?(event: DoctorProgress): void;
}

export type DoctorProgress =
  | { kind: 'step'; what: string }
  | { kind: 'result'; result: CheckResult };

export function worstExitCode(checks: readonly CheckResult[]): 0 | 1 | 2 {
  if (checks.some((c) => c.status === 'fail')) return 2;
  if (checks.some((c) => c.status === 'warn')) return 1;
  return 0;
}

export function check(id: string, status: CheckStatus, summary: string, evidence: readonly string[] = [], fix = ''): CheckResult {
  return { id, status, summary, evidence: [...evidence], fix };
}

/** The errno (`EACCES`, `ENOENT`, ...) behind an error: its own code, a PluginError's details.errno, or its cause's. */
export function errno(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const rec = err as { code?: unknown; details?: { errno?: unknown }; cause?: unknown };
  if (typeof rec.code === 'string' && !rec.code.startsWith('ERR_')) return rec.code;
  if (typeof rec.details?.errno === 'string') return rec.details.errno;
  return errno(rec.cause, depth + 1);
}
