// iproute2 `ip link` adapter: builds argv arrays (run through the Exec seam), parses `ip -json` output into
// LinkInfo (and a PF's `vfinfo_list` into VfConfig), and is the ONLY module that reads `ip`'s stderr,
// classifying failures (not found, exists, ...) into HostCommandError details. Knows nothing about Neutron,
// bindings or sysfs (PF/VF resolution is host/sriov.ts); never switches the process netns.
import { HostCommandError, InvalidRequestError } from '../errors.ts';
import type { Exec } from './exec.ts';
import { assertIfName, assertMac, assertMtu } from './validate.ts';
import {
  parseVfInfoList, vfArgs, type SetVfOptions, type VfConfig,
} from './ip-vf.ts';

export {
  parseVfInfoList, parseVfJson, vfArgs, type SetVfOptions, type VfConfig, type VfLinkState, type VfVlanProto,
} from './ip-vf.ts';

export interface LinkInfo {
  ifname: string;
  ifindex: number;
  /** lower-case MAC ('' for links without one) */
  address: string;
  mtu: number;
  /** kernel operstate: UP, DOWN, LOWERLAYERDOWN, UNKNOWN, ... */
  operstate: string;
  flags: readonly string[];
  /** administratively up (IFF_UP in flags) */
  up: boolean;
  /** bridge (or bond) this link is enslaved to */
  master?: string;
  /** linkinfo.info_kind: veth, bridge, macvlan, ...; absent for physical NICs and lo */
  kind?: string;
  /** ifalias */
  alias?: string;
  /** peer (veth) or parent (macvlan) name when it lives in the same netns */
  link?: string;
  /** set when the peer/parent lives in another netns */
  linkNetnsId?: number;
}

export interface SetLinkOptions {
  mtu?: number;
  address?: string;
  /** true → `up`, false → `down` */
  up?: boolean;
  /** a bridge name → `master <name>`; null → `nomaster` */
  master?: string | null;
  /** '' clears the alias */
  alias?: string;
  /** rename (the kernel refuses to rename most links while they are up) */
  name?: string;
  /** move to a netns: a name under /run/netns, an absolute path to a netns file, or a pid */
  netns?: string;
}

export interface AddVethOptions {
  /** MTU of the first end */
  mtu?: number;
  /** bring the first end up at creation */
  up?: boolean;
  /** attributes of the peer end at creation */
  peer?: { mtu?: number; address?: string; netns?: string };
}

export interface AddBridgeOptions {
  /** forward_delay in centiseconds (default 0, as Neutron's linuxbridge agent and upstream's script use) */
  forwardDelay?: number;
  /** spanning tree (default off) */
  stp?: boolean;
}

export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru' | 'source';

export interface AddMacvlanOptions {
  mode?: MacvlanMode;
  /** a macvtap (tap-backed macvlan, what vnic_type macvtap means) instead of a macvlan */
  tap?: boolean;
  mtu?: number;
  address?: string;
  /** create the child directly in this netns (its parent stays where it is) */
  netns?: string;
}

export interface IpLink {
  /** netns every command runs in (`ip -n <netns>`), or undefined for the process's own netns */
  readonly netns: string | undefined;
  /** `ip -json -details link show dev <name>`; undefined when the link does not exist */
  show(name: string): Promise<LinkInfo | undefined>;
  /** all links, or those enslaved to `master` (a missing master has no members: []) */
  list(opts?: { master?: string }): Promise<LinkInfo[]>;
  /** `ip link add name <host> type veth peer name <peer>`; fails with reason 'exists' if either name is taken */
  addVeth(hostName: string, peerName: string, opts?: AddVethOptions): Promise<void>;
  /** `ip link add name <name> type bridge forward_delay <n> stp_state <0|1>` (created down) */
  addBridge(name: string, opts?: AddBridgeOptions): Promise<void>;
  /** `ip link add link <parent> name <name> type macvlan mode <mode>` */
  addMacvlan(name: string, parent: string, opts?: AddMacvlanOptions): Promise<void>;
  /** one `ip link set dev <name> ...` command; no command at all when opts is empty */
  set(name: string, opts: SetLinkOptions): Promise<void>;
  /** `ip link del dev <name>`; a missing link is success. Returns whether a link was deleted. */
  del(name: string): Promise<boolean>;
  /**
   * One `ip link set dev <pf> vf <n> [mac M] [vlan V [qos Q] [proto P]] [spoofchk on|off] [trust on|off]
   * [state S] [min_tx_rate R] [max_tx_rate R]` with only the given settings; no command when opts is empty.
   * Driver refusals surface as HostCommandError with reason 'unsupported' or 'invalid_argument'.
   */
  setVf(pf: string, vf: number, opts: SetVfOptions): Promise<void>;
  /** The PF's VF table from `ip -json -details link show dev <pf>`, by VF number; [] for a non-SR-IOV link. */
  vfList(pf: string): Promise<VfConfig[]>;
}

/** How an `ip` failure was classified (details.reason on the HostCommandError). */
export type IpFailureReason =
  | 'not_found' | 'exists' | 'busy' | 'address_in_use' | 'unsupported' | 'invalid_argument' | 'other';

export function ipFailureReason(e: unknown): IpFailureReason | undefined {
  if (!(e instanceof HostCommandError)) return undefined;
  const r = e.details['reason'];
  return typeof r === 'string' ? (r as IpFailureReason) : undefined;
}

/** The failure was "no such device" (the link, or the master/parent it names). */
export function isLinkNotFound(e: unknown): boolean {
  return ipFailureReason(e) === 'not_found';
}

/** The failure was "File exists": a link with that name is already there. */
export function isLinkExists(e: unknown): boolean {
  return ipFailureReason(e) === 'exists';
}

// Patterns seen from iproute2 6.1 (see test/integration/ip-link.test.ts) and older kernels' RTNETLINK texts.
const STDERR_RULES: ReadonlyArray<readonly [RegExp, IpFailureReason]> = [
  [/Cannot find device|does not exist|No such device/u, 'not_found'],
  [/File exists|already exists/u, 'exists'],
  [/Address already in use/u, 'address_in_use'],
  [/Device or resource busy/u, 'busy'],
  [/Operation not supported|not supported/iu, 'unsupported'],
  [/Invalid argument|is invalid|not a valid|less than|greater than|Error: argument/u, 'invalid_argument'],
];

export function classifyIpStderr(stderr: string): IpFailureReason {
  for (const [re, reason] of STDERR_RULES) if (re.test(stderr)) return reason;
  return 'other';
}

const REASON_TEXT: Record<IpFailureReason, string> = {
  not_found: 'device not found',
  exists: 'device already exists',
  busy: 'device busy',
  address_in_use: 'address already in use',
  unsupported: 'operation not supported',
  invalid_argument: 'invalid argument',
  other: 'failed',
};

function translate(e: unknown, argv: readonly string[]): unknown {
  if (!(e instanceof HostCommandError)) return e;
  const stderr = typeof e.details['stderr'] === 'string' ? e.details['stderr'] : '';
  const code = typeof e.details['code'] === 'number' ? e.details['code'] : undefined;
  // a spawn failure (ip missing, timeout) has no exit code: keep it as it is, it is not about the link
  if (code === undefined) return e;
  const reason = classifyIpStderr(stderr);
  return new HostCommandError('ERR_HOST_COMMAND', `${argv.join(' ')}: ${REASON_TEXT[reason]} (exit ${code}: ${stderr})`, {
    cause: e,
    details: { argv: [...argv], code, stderr, reason },
  });
}

// ---- JSON parsing -------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badOutput(argv: readonly string[], why: string, cause?: unknown): HostCommandError {
  return new HostCommandError('ERR_HOST_COMMAND', `${argv.join(' ')}: unexpected output: ${why}`,
    cause === undefined ? { details: { argv: [...argv] } } : { cause, details: { argv: [...argv] } });
}

export function parseLinkJson(raw: unknown): LinkInfo | undefined {
  if (!isObject(raw)) return undefined;
  const { ifname, ifindex } = raw;
  if (typeof ifname !== 'string' || typeof ifindex !== 'number') return undefined;
  const flags = Array.isArray(raw['flags']) ? raw['flags'].filter((f): f is string => typeof f === 'string') : [];
  const info: LinkInfo = {
    ifname,
    ifindex,
    address: typeof raw['address'] === 'string' ? raw['address'].toLowerCase() : '',
    mtu: typeof raw['mtu'] === 'number' ? raw['mtu'] : 0,
    operstate: typeof raw['operstate'] === 'string' ? raw['operstate'] : 'UNKNOWN',
    flags,
    up: flags.includes('UP'),
  };
  if (typeof raw['master'] === 'string') info.master = raw['master'];
  const linkinfo = raw['linkinfo'];
  if (isObject(linkinfo) && typeof linkinfo['info_kind'] === 'string') info.kind = linkinfo['info_kind'];
  if (typeof raw['ifalias'] === 'string' && raw['ifalias'] !== '') info.alias = raw['ifalias'];
  if (typeof raw['link'] === 'string') info.link = raw['link'];
  if (typeof raw['link_netnsid'] === 'number') info.linkNetnsId = raw['link_netnsid'];
  return info;
}

function parseLinkList(stdout: string, argv: readonly string[]): LinkInfo[] {
  const text = stdout.trim();
  if (text === '') return [];
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (cause) { throw badOutput(argv, 'not JSON', cause); }
  if (!Array.isArray(raw)) throw badOutput(argv, 'not a JSON array');
  return raw.map((entry, i) => {
    const info = parseLinkJson(entry);
    if (info === undefined) throw badOutput(argv, `entry ${i} has no ifname/ifindex`);
    return info;
  });
}

// ---- argv building -------------------------------------------------------------------------------

function assertNetnsRef(value: string, what: string): string {
  // `ip ... netns X` takes a name under /run/netns, a path to a netns file, or a pid
  if (/^[0-9]+$/u.test(value)) return value;
  if (value.startsWith('/')) {
    if (/[\s\u0000-\u001f]/u.test(value) || value.split('/').includes('..')) {
      throw new InvalidRequestError('ERR_INVALID_NAME', `invalid ${what} ${JSON.stringify(value)}: bad path`, { details: { what, value } });
    }
    return value;
  }
  return assertIfNameLike(value, what);
}

function assertIfNameLike(value: string, what: string): string {
  // netns names follow the same rules as file names plus ours (no whitespace, no leading '-')
  if (value === '' || value === '.' || value === '..' || value.includes('/') || /[\s\u0000-\u001f]/u.test(value) || value.startsWith('-') || value.length > 255) {
    throw new InvalidRequestError('ERR_INVALID_NAME', `invalid ${what} ${JSON.stringify(value)}`, { details: { what, value } });
  }
  return value;
}

function nonNegativeInt(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidRequestError('ERR_INVALID_NAME', `invalid ${what} ${String(value)}: not a non-negative integer`, { details: { what, value } });
  }
  return String(value);
}

const MACVLAN_MODES: ReadonlySet<string> = new Set(['bridge', 'private', 'vepa', 'passthru', 'source']);

export function createIpLink(exec: Exec, opts: { netns?: string; ipPath?: string } = {}): IpLink {
  const netns = opts.netns === undefined ? undefined : assertIfNameLike(opts.netns, 'netns name');
  const base: readonly string[] = netns === undefined ? [opts.ipPath ?? 'ip'] : [opts.ipPath ?? 'ip', '-n', netns];

  async function run(args: readonly string[], okCodes?: readonly number[]): Promise<{ code: number; stdout: string }> {
    const argv = [...base, ...args];
    try {
      const r = await exec.run(argv, okCodes === undefined ? {} : { okCodes });
      return { code: r.code, stdout: r.stdout };
    } catch (e) {
      throw translate(e, argv);
    }
  }

  async function show(name: string): Promise<LinkInfo | undefined> {
    assertIfName(name);
    const args = ['-json', '-details', 'link', 'show', 'dev', name];
    try {
      const { stdout } = await run(args);
      const links = parseLinkList(stdout, [...base, ...args]);
      return links.find((l) => l.ifname === name) ?? links[0];
    } catch (e) {
      if (isLinkNotFound(e)) return undefined;
      throw e;
    }
  }

  async function list(o: { master?: string } = {}): Promise<LinkInfo[]> {
    const args = ['-json', '-details', 'link', 'show'];
    if (o.master !== undefined) args.push('master', assertIfName(o.master, 'master name'));
    try {
      const { stdout } = await run(args);
      return parseLinkList(stdout, [...base, ...args]);
    } catch (e) {
      if (o.master !== undefined && isLinkNotFound(e)) return [];
      throw e;
    }
  }

  async function addVeth(hostName: string, peerName: string, o: AddVethOptions = {}): Promise<void> {
    const args = ['link', 'add', 'name', assertIfName(hostName)];
    if (o.mtu !== undefined) args.push('mtu', String(assertMtu(o.mtu)));
    if (o.up === true) args.push('up');
    args.push('type', 'veth', 'peer', 'name', assertIfName(peerName, 'peer name'));
    if (o.peer?.mtu !== undefined) args.push('mtu', String(assertMtu(o.peer.mtu, 'peer MTU')));
    if (o.peer?.address !== undefined) args.push('address', assertMac(o.peer.address, 'peer MAC address'));
    if (o.peer?.netns !== undefined) args.push('netns', assertNetnsRef(o.peer.netns, 'peer netns'));
    await run(args);
  }

  async function addBridge(name: string, o: AddBridgeOptions = {}): Promise<void> {
    await run(['link', 'add', 'name', assertIfName(name, 'bridge name'), 'type', 'bridge',
      'forward_delay', nonNegativeInt(o.forwardDelay ?? 0, 'forward_delay'), 'stp_state', o.stp === true ? '1' : '0']);
  }

  async function addMacvlan(name: string, parent: string, o: AddMacvlanOptions = {}): Promise<void> {
    const mode = o.mode ?? 'bridge';
    if (!MACVLAN_MODES.has(mode)) {
      throw new InvalidRequestError('ERR_INVALID_NAME', `invalid macvlan mode ${JSON.stringify(mode)}`, { details: { mode } });
    }
    const args = ['link', 'add', 'link', assertIfName(parent, 'parent name'), 'name', assertIfName(name)];
    if (o.mtu !== undefined) args.push('mtu', String(assertMtu(o.mtu)));
    if (o.address !== undefined) args.push('address', assertMac(o.address));
    if (o.netns !== undefined) args.push('netns', assertNetnsRef(o.netns, 'netns'));
    args.push('type', o.tap === true ? 'macvtap' : 'macvlan', 'mode', mode);
    await run(args);
  }

  async function set(name: string, o: SetLinkOptions): Promise<void> {
    const args = ['link', 'set', 'dev', assertIfName(name)];
    if (o.netns !== undefined) args.push('netns', assertNetnsRef(o.netns, 'netns'));
    if (o.name !== undefined) args.push('name', assertIfName(o.name, 'new interface name'));
    if (o.mtu !== undefined) args.push('mtu', String(assertMtu(o.mtu)));
    if (o.address !== undefined) args.push('address', assertMac(o.address));
    if (o.master === null) args.push('nomaster');
    else if (o.master !== undefined) args.push('master', assertIfName(o.master, 'master name'));
    if (o.alias !== undefined) {
      if (/[\u0000-\u001f]/u.test(o.alias) || Buffer.byteLength(o.alias) > 255) {
        throw new InvalidRequestError('ERR_INVALID_NAME', `invalid alias ${JSON.stringify(o.alias)}`, { details: { alias: o.alias } });
      }
      args.push('alias', o.alias);
    }
    if (o.up === true) args.push('up');
    else if (o.up === false) args.push('down');
    if (args.length === 4) return;
    await run(args);
  }

  async function del(name: string): Promise<boolean> {
    try {
      await run(['link', 'del', 'dev', assertIfName(name)]);
      return true;
    } catch (e) {
      if (isLinkNotFound(e)) return false;
      throw e;
    }
  }

  async function setVf(pf: string, vf: number, o: SetVfOptions): Promise<void> {
    // `dev` keeps a PF named like a keyword (`help`) from being read as one
    const pfName = assertIfName(pf, 'PF name');
    const tail = vfArgs(vf, o);
    if (tail.length === 0) return;
    await run(['link', 'set', 'dev', pfName, ...tail]);
  }

  async function vfList(pf: string): Promise<VfConfig[]> {
    const pfName = assertIfName(pf, 'PF name');
    const args = ['-json', '-details', 'link', 'show', 'dev', pfName];
    const { stdout } = await run(args);
    const text = stdout.trim();
    if (text === '') return [];
    let raw: unknown;
    try { raw = JSON.parse(text); } catch (cause) { throw badOutput([...base, ...args], 'not JSON', cause); }
    if (!Array.isArray(raw)) throw badOutput([...base, ...args], 'not a JSON array');
    const entry: unknown = raw.find((l) => isObject(l) && l['ifname'] === pfName) ?? raw[0];
    return parseVfInfoList(entry);
  }

  return { netns, show, list, addVeth, addBridge, addMacvlan, set, del, setVf, vfList };
}
