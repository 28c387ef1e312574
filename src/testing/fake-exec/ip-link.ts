// In-memory `ip [-n ns] [-json] [-details] link` show/add/set/del for veth, bridge and macvlan links, plus
// `set dev <pf> vf N ...` and `vfinfo_list` for links seeded as SR-IOV PFs (./vf.ts), with the kernel's error
// messages and exit codes; also owns the FakeLinkTable tests read and seed. Test-only (excluded from the build).
import { Failure, type FakeLink, type FakeLinkTable } from './types.ts';
import { applyVfClause, defaultVf, parseVfClause, vfJson, type VfClause } from './vf.ts';

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/iu;

export function createLinkEmulation() {
  const links = new Map<number, FakeLink>();
  let nextIndex = 2; // 1 is lo in every netns; not modelled
  let macSeq = 1;

  function newMac(): string {
    const n = macSeq++;
    return `02:fe:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }
  function get(name: string, ns = ''): FakeLink | undefined {
    for (const l of links.values()) if (l.ns === ns && l.ifname === name) return l;
    return undefined;
  }
  function list(ns = ''): FakeLink[] {
    return [...links.values()].filter((l) => l.ns === ns).sort((a, b) => a.ifindex - b.ifindex);
  }
  function create(ns: string, ifname: string, kind: string | undefined): FakeLink {
    const l: FakeLink = {
      ns, ifindex: nextIndex++, ifname, kind, address: newMac(), mtu: 1500, up: false,
      master: undefined, alias: undefined, peerIndex: undefined, bridge: undefined, macvlanMode: undefined,
      vfs: undefined, vfRefuse: new Set(),
    };
    links.set(l.ifindex, l);
    return l;
  }
  function remove(l: FakeLink): void {
    if (!links.delete(l.ifindex)) return;
    for (const o of [...links.values()]) {
      if (o.ns === l.ns && o.master === l.ifname) o.master = undefined;
      // deleting one end of a veth deletes the pair; macvlan children go with their lower device
      if (o.peerIndex === l.ifindex && (o.kind === 'veth' || o.kind === 'macvlan' || o.kind === 'macvtap')) remove(o);
    }
  }
  function operstate(l: FakeLink): string {
    if (!l.up) return 'DOWN';
    const peer = l.peerIndex === undefined ? undefined : links.get(l.peerIndex);
    if (l.kind === 'veth' || l.kind === 'macvlan' || l.kind === 'macvtap') return peer?.up === true ? 'UP' : 'LOWERLAYERDOWN';
    if (l.kind === 'bridge') {
      const members = list(l.ns).filter((m) => m.master === l.ifname);
      if (members.length === 0) return 'UNKNOWN';
      return members.some((m) => operstate(m) === 'UP') ? 'UP' : 'DOWN';
    }
    return 'UP';
  }
  function toJson(l: FakeLink, details: boolean): Record<string, unknown> {
    const state = operstate(l);
    const flags = ['BROADCAST', 'MULTICAST', ...(l.up ? ['UP'] : []), ...(state === 'UP' || state === 'UNKNOWN' && l.up ? ['LOWER_UP'] : [])];
    const out: Record<string, unknown> = { ifindex: l.ifindex };
    const peer = l.peerIndex === undefined ? undefined : links.get(l.peerIndex);
    if (peer !== undefined && peer.ns === l.ns) out['link'] = peer.ifname;
    else if (peer !== undefined) out['link_index'] = peer.ifindex;
    out['ifname'] = l.ifname;
    out['flags'] = flags;
    out['mtu'] = l.mtu;
    out['qdisc'] = l.up ? 'noqueue' : 'noop';
    if (l.master !== undefined) out['master'] = l.master;
    out['operstate'] = state;
    out['linkmode'] = 'DEFAULT';
    out['group'] = 'default';
    out['link_type'] = 'ether';
    out['address'] = l.address;
    out['broadcast'] = 'ff:ff:ff:ff:ff:ff';
    if (peer !== undefined && peer.ns !== l.ns) out['link_netnsid'] = 0;
    if (details && l.kind !== undefined) {
      const linkinfo: Record<string, unknown> = { info_kind: l.kind };
      if (l.bridge !== undefined) linkinfo['info_data'] = { forward_delay: l.bridge.forwardDelay, stp_state: l.bridge.stpState, vlan_filtering: 0 };
      if (l.macvlanMode !== undefined) linkinfo['info_data'] = { mode: l.macvlanMode };
      if (l.master !== undefined) linkinfo['info_slave_kind'] = 'bridge';
      out['linkinfo'] = linkinfo;
    }
    if (l.alias !== undefined) out['ifalias'] = l.alias;
    if (l.vfs !== undefined) {
      if (details) out['num_vf'] = l.vfs.length;
      out['vfinfo_list'] = l.vfs.map(vfJson);
    }
    return out;
  }

  function notFound(name: string): never { throw new Failure(1, `Cannot find device "${name}"`); }
  function argWrong(name: string): never { throw new Failure(255, `Error: argument "${name}" is wrong: Device does not exist`); }
  function exists(): never { throw new Failure(2, 'RTNETLINK answers: File exists'); }
  function checkMtu(v: string | undefined): number {
    const n = Number(v);
    if (v === undefined || !/^[0-9]+$/u.test(v)) throw new Failure(255, `Error: argument "${String(v)}" is wrong: Invalid "mtu" value`);
    if (n < 68) throw new Failure(2, 'Error: mtu less than device minimum.');
    if (n > 65535) throw new Failure(2, 'Error: mtu greater than device maximum.');
    return n;
  }
  function checkMac(v: string | undefined): string {
    if (v === undefined || !MAC_RE.test(v)) throw new Failure(1, `"${String(v)}" is invalid lladdr.`);
    if ((parseInt(v.slice(0, 2), 16) & 1) === 1) throw new Failure(2, 'RTNETLINK answers: Cannot assign requested address');
    return v.toLowerCase();
  }
  function checkName(v: string | undefined): string {
    if (v === undefined || v === '' || Buffer.byteLength(v) > 15 || v.includes('/') || /\s/u.test(v)) {
      throw new Failure(255, `Error: argument "${String(v)}" is wrong: "dev" not a valid ifname`);
    }
    return v;
  }

  /** `[dev] NAME` */
  function devName(args: readonly string[]): string {
    return args[0] === 'dev' ? args[1] ?? '' : args[0] ?? '';
  }

  function show(ns: string, args: string[], json: boolean, details: boolean): string {
    if (!json) throw new Error('FakeExec: only `ip -json link show` is emulated');
    let picked: FakeLink[];
    if (args[0] === 'master') {
      const master = args[1] ?? '';
      if (get(master, ns) === undefined) argWrong(master);
      picked = list(ns).filter((l) => l.master === master);
    } else if (args.length > 0) {
      const name = devName(args);
      const l = get(name, ns);
      if (l === undefined) throw new Failure(1, `Device "${name}" does not exist.`);
      picked = [l];
    } else {
      picked = list(ns);
    }
    return JSON.stringify(picked.map((l) => toJson(l, details))) + '\n';
  }

  interface Attrs { mtu?: number; address?: string; up?: boolean; netns?: string }
  function parseAttrs(tokens: string[], stopAt: ReadonlySet<string>): { attrs: Attrs; rest: string[] } {
    const attrs: Attrs = {};
    let i = 0;
    while (i < tokens.length && !stopAt.has(tokens[i] ?? '')) {
      const t = tokens[i++];
      if (t === 'mtu') attrs.mtu = checkMtu(tokens[i++]);
      else if (t === 'address') attrs.address = checkMac(tokens[i++]);
      else if (t === 'up') attrs.up = true;
      else if (t === 'down') attrs.up = false;
      else if (t === 'netns') attrs.netns = tokens[i++] ?? '';
      else throw new Error(`FakeExec: unsupported ip link attribute ${String(t)}`);
    }
    return { attrs, rest: tokens.slice(i) };
  }
  function apply(l: FakeLink, a: Attrs): void {
    if (a.mtu !== undefined) l.mtu = a.mtu;
    if (a.address !== undefined) l.address = a.address;
    if (a.up !== undefined) l.up = a.up;
    if (a.netns !== undefined) l.ns = a.netns;
  }

  function add(ns: string, args: string[]): void {
    let i = 0;
    let parent: string | undefined;
    if (args[i] === 'link') { parent = args[i + 1]; i += 2; }
    if (args[i] === 'name') i++;
    const name = checkName(args[i++]);
    const head = parseAttrs(args.slice(i), new Set(['type']));
    const typeArgs = head.rest;
    if (typeArgs[0] !== 'type') throw new Error('FakeExec: `ip link add` without type');
    const kind = typeArgs[1];
    const targetNs = head.attrs.netns ?? ns;
    if (get(name, targetNs) !== undefined) exists();
    if (kind === 'veth') {
      const peerArgs = typeArgs.slice(2);
      if (peerArgs[0] !== 'peer') throw new Error('FakeExec: veth without peer');
      let j = 1;
      if (peerArgs[j] === 'name') j++;
      const peerName = checkName(peerArgs[j++]);
      const peerAttrs = parseAttrs(peerArgs.slice(j), new Set()).attrs;
      const peerNs = peerAttrs.netns ?? ns;
      if (get(peerName, peerNs) !== undefined || (peerName === name && peerNs === targetNs)) exists();
      const a = create(targetNs, name, 'veth');
      const b = create(peerNs, peerName, 'veth');
      a.peerIndex = b.ifindex;
      b.peerIndex = a.ifindex;
      apply(a, { ...head.attrs, netns: targetNs });
      apply(b, { ...peerAttrs, netns: peerNs });
    } else if (kind === 'bridge') {
      const b = create(targetNs, name, 'bridge');
      b.bridge = { forwardDelay: 1500, stpState: 0 };
      const rest = typeArgs.slice(2);
      for (let k = 0; k < rest.length; k += 2) {
        const v = Number(rest[k + 1]);
        if (rest[k] === 'forward_delay') b.bridge.forwardDelay = v;
        else if (rest[k] === 'stp_state') b.bridge.stpState = v;
        else throw new Error(`FakeExec: unsupported bridge option ${String(rest[k])}`);
      }
      apply(b, head.attrs);
    } else if (kind === 'macvlan' || kind === 'macvtap') {
      if (parent === undefined) throw new Failure(2, 'RTNETLINK answers: Invalid argument');
      const p = get(parent, ns);
      if (p === undefined) notFound(parent);
      const m = create(targetNs, name, kind);
      m.peerIndex = p.ifindex;
      m.mtu = p.mtu;
      const rest = typeArgs.slice(2);
      m.macvlanMode = rest[0] === 'mode' ? rest[1] ?? 'vepa' : 'vepa';
      apply(m, head.attrs);
    } else {
      throw new Failure(2, 'Error: Unknown device type.');
    }
  }

  function set(ns: string, args: string[]): void {
    let i = 0;
    if (args[i] === 'dev') i++;
    const name = args[i++] ?? '';
    const l = get(name, ns);
    if (l === undefined) notFound(name);
    // validate everything first: the kernel applies one RTM_NEWLINK or fails it
    const next: { attrs: Attrs; master?: string | null; alias?: string; name?: string } = { attrs: {} };
    const vfClauses: VfClause[] = [];
    while (i < args.length) {
      const t = args[i++];
      if (t === 'vf') {
        const { clause, next: after } = parseVfClause(args, i - 1);
        vfClauses.push(clause);
        i = after;
      } else if (t === 'master') {
        const m = args[i++] ?? '';
        const b = get(m, ns);
        if (b === undefined) argWrong(m);
        if (b.kind !== 'bridge') throw new Failure(2, 'RTNETLINK answers: Operation not supported');
        if (b === l) throw new Failure(2, 'RTNETLINK answers: Invalid argument');
        next.master = m;
      } else if (t === 'nomaster') next.master = null;
      else if (t === 'alias') next.alias = args[i++] ?? '';
      else if (t === 'name') {
        const n = checkName(args[i++]);
        if (n !== l.ifname && get(n, ns) !== undefined) exists();
        next.name = n;
      } else {
        const parsed = parseAttrs([t ?? '', ...args.slice(i)], new Set(['master', 'nomaster', 'alias', 'name', 'vf']));
        Object.assign(next.attrs, parsed.attrs);
        i = args.length - parsed.rest.length;
      }
    }
    if (next.attrs.netns !== undefined && l.kind === 'bridge') throw new Failure(2, 'Error: The interface netns is immutable.');
    // veth, bridge, ...: no ndo_set_vf_* (testbed-kernel.md §4)
    if (vfClauses.length > 0 && l.vfs === undefined) throw new Failure(2, 'RTNETLINK answers: Operation not supported');
    for (const c of vfClauses) applyVfClause(l.vfs ?? [], l.vfRefuse, c);
    if (next.name !== undefined) {
      const old = l.ifname;
      l.ifname = next.name;
      for (const o of links.values()) if (o.ns === l.ns && o.master === old) o.master = next.name;
    }
    if (next.master === null) l.master = undefined;
    else if (next.master !== undefined) l.master = next.master;
    if (next.alias !== undefined) l.alias = next.alias === '' ? undefined : next.alias;
    if (next.attrs.netns !== undefined) l.master = undefined;
    apply(l, next.attrs);
  }

  function del(ns: string, args: string[]): void {
    const name = devName(args);
    const l = get(name, ns);
    if (l === undefined) notFound(name);
    remove(l);
  }

  /** Runs `ip ...` argv; returns stdout or throws Failure. */
  function run(argv: readonly string[]): string {
    let ns = '';
    let json = false;
    let details = false;
    let i = 1;
    for (; i < argv.length; i++) {
      const t = argv[i];
      if (t === '-n' || t === '-netns') ns = argv[++i] ?? '';
      else if (t === '-json' || t === '-j') json = true;
      else if (t === '-details' || t === '-d') details = true;
      else break;
    }
    if (argv[i] !== 'link') throw new Error(`FakeExec: only \`ip link\` is emulated: ${argv.join(' ')}`);
    const sub = argv[i + 1];
    const args = argv.slice(i + 2);
    switch (sub) {
      case 'show': case 'list': case 'ls': return show(ns, args, json, details);
      case 'add': add(ns, args); return '';
      case 'set': set(ns, args); return '';
      case 'del': case 'delete': del(ns, args); return '';
      default: throw new Error(`FakeExec: unsupported \`ip link ${String(sub)}\``);
    }
  }

  const table: FakeLinkTable = {
    get,
    list,
    names: (ns = '') => list(ns).map((l) => l.ifname),
    seed(s) {
      const ns = s.ns ?? '';
      if (get(s.ifname, ns) !== undefined) throw new Error(`FakeExec: link ${s.ifname} already seeded`);
      const l = create(ns, s.ifname, s.kind);
      if (s.kind === 'bridge') l.bridge = { forwardDelay: 1500, stpState: 0 };
      if (s.address !== undefined) l.address = s.address;
      if (s.mtu !== undefined) l.mtu = s.mtu;
      if (s.up !== undefined) l.up = s.up;
      if (s.master !== undefined) l.master = s.master;
      if (s.alias !== undefined) l.alias = s.alias;
      if (s.vfs !== undefined) {
        l.vfs = typeof s.vfs === 'number'
          ? Array.from({ length: s.vfs }, (_, n) => defaultVf(n))
          : s.vfs.map((v, n) => ({ ...defaultVf(n), ...v, vf: n }));
      }
      if (s.vfRefuse !== undefined) l.vfRefuse = new Set(s.vfRefuse);
      return l;
    },
  };
  return { table, run };
}
