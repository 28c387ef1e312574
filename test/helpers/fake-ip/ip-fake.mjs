// The stateful half of the fake `ip` (started by ./ip only when an argument names a fake PF). Emulates, for PFs
// with a state file $KURYR_FAKE_SRIOV_DIR/<pf>.json, what an SR-IOV NIC + iproute2 6.1 would do:
//   ip link set [dev] <pf> vf N [mac M] [vlan V [qos Q] [proto P]] [rate|max_tx_rate R] [min_tx_rate R]
//                              [spoofchk on|off] [trust on|off] [state auto|enable|disable] [vf N ...]
//     → appends the exact argv line to <pf>.calls, updates the VF table in the kernel's do_setvf order (a
//       refused step exits 2 and leaves the earlier ones applied), and applies a new MAC to the VF's netdev
//       (found through the fake sysfs tree $KURYR_FAKE_SYSFS) when that netdev is in this namespace;
//   ip [-j|-json] [-d|-details] [-p] link show [dev] <pf>
//     → iproute2-shaped output with `vfinfo_list` (merged into the real link's output if one exists).
// Anything else execs the real ip. src/testing/fake-exec/vf.ts is the same model for unit tests; the contract
// test in test/integration/fake-ip.test.ts keeps them in step. Plain JS: no build step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REAL = process.env.KURYR_FAKE_IP_REAL || '/usr/sbin/ip';
const DIR = process.env.KURYR_FAKE_SRIOV_DIR || '';
const FAKE_SYSFS = process.env.KURYR_FAKE_SYSFS || '';
// where "is this netdev in my namespace?" is answered: the real, namespace-tagged sysfs
const HOST_SYSFS = process.env.KURYR_FAKE_IP_HOST_SYSFS || '/sys';

class Failure extends Error {
  constructor(code, stderr) { super(stderr); this.code = code; this.stderr = stderr; }
}

function passthrough(argv) {
  const r = spawnSync(REAL, argv, { stdio: 'inherit' });
  if (r.error) { process.stderr.write(`fake-ip: cannot run ${REAL}: ${r.error.message}\n`); process.exit(127); }
  process.exit(r.status ?? 128 + 15);
}

function isFakePf(name) {
  return typeof name === 'string' && name !== '' && !name.includes('/') && !name.startsWith('.')
    && DIR !== '' && fs.existsSync(path.join(DIR, `${name}.json`));
}

function sleep(ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); }

/** mkdir is atomic: the plugin may program two VFs of one PF at the same time. */
function withLock(pf, fn) {
  const lock = path.join(DIR, `${pf}.lock`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try { fs.mkdirSync(lock); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      try { if (Date.now() - fs.statSync(lock).mtimeMs > 30_000) fs.rmdirSync(lock); } catch { /* raced */ }
      if (Date.now() > deadline) throw new Failure(1, `fake-ip: timed out waiting for ${lock}`);
      sleep(5);
    }
  }
  try { return fn(); } finally { fs.rmdirSync(lock); }
}

function readState(pf) {
  return JSON.parse(fs.readFileSync(path.join(DIR, `${pf}.json`), 'utf8'));
}

function writeState(pf, st) {
  const file = path.join(DIR, `${pf}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(st, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

// ---- `vf N ...` parsing (iproute2 6.1 iplink_parse_vf: argument errors exit 255) ----------------------------

const VF_KEYWORDS = new Set(['mac', 'vlan', 'rate', 'max_tx_rate', 'min_tx_rate', 'spoofchk', 'trust', 'state', 'query_rss']);
const MAC_RE = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/i;

function invarg(msg, arg) { throw new Failure(255, `Error: argument "${arg}" is wrong: ${msg}`); }
function onOff(key, v) {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Failure(255, `Error: argument of "${key}" must be "on" or "off", not "${v}"`);
}
function uint(v, msg) {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) > 0xffffffff) invarg(msg, v);
  return Number(v);
}
function normalizeMac(v) { return v.split(':').map((b) => b.padStart(2, '0')).join(':').toLowerCase(); }

function parseVfClause(args, i) {
  let k = i + 1;
  const n = args[k++];
  if (n === undefined || !/^-?[0-9]+$/.test(n)) invarg('Invalid "vf" value', n);
  const c = { vf: Number(n) };
  while (k < args.length && VF_KEYWORDS.has(args[k])) {
    const key = args[k++];
    const v = args[k++];
    if (v === undefined) throw new Failure(255, 'Command line is not complete. Try option "help"');
    switch (key) {
      case 'mac':
        if (!MAC_RE.test(v)) throw new Failure(255, `"${v}" is invalid lladdr.`);
        c.mac = normalizeMac(v);
        break;
      case 'vlan': {
        const vlan = uint(v, 'Invalid "vlan" value');
        let qos = 0;
        let proto = '802.1Q';
        if (args[k] === 'qos') { qos = uint(args[k + 1], 'Invalid "qos" value'); k += 2; }
        if (args[k] === 'proto') {
          const p = String(args[k + 1] ?? '').toLowerCase();
          if (p === '802.1q') proto = '802.1Q';
          else if (p === '802.1ad') proto = '802.1ad';
          else invarg('protocol is invalid', args[k + 1]);
          k += 2;
        }
        c.vlan = { vlan, qos, proto };
        break;
      }
      case 'rate': case 'max_tx_rate': c.maxTxRate = uint(v, 'Invalid "max tx rate" value'); break;
      case 'min_tx_rate': c.minTxRate = uint(v, 'Invalid "min tx rate" value'); break;
      case 'spoofchk': c.spoofchk = onOff('spoofchk', v); break;
      case 'trust': c.trust = onOff('trust', v); break;
      case 'query_rss': onOff('query_rss', v); break;
      case 'state':
        if (v !== 'auto' && v !== 'enable' && v !== 'disable') invarg('Invalid "state" value', v);
        c.state = v;
        break;
      default: break;
    }
  }
  return { clause: c, next: k };
}

// ---- the "NIC": do_setvf order, driver refusals, MAC to the VF netdev ----------------------------------------

function rtnl(msg) { throw new Failure(2, `RTNETLINK answers: ${msg}`); }

/** The VF's netdev per the fake sysfs, if it is visible there AND present in this netns. */
function vfNetdev(pf, n) {
  if (FAKE_SYSFS === '') return undefined;
  let names;
  try { names = fs.readdirSync(path.join(FAKE_SYSFS, 'class/net', pf, 'device', `virtfn${n}`, 'net')); } catch { return undefined; }
  if (names.length !== 1) return undefined;
  return fs.existsSync(path.join(HOST_SYSFS, 'class/net', names[0])) ? names[0] : undefined;
}

function applyMacToNetdev(pf, n, mac) {
  if (mac === '00:00:00:00:00:00') return;
  const dev = vfNetdev(pf, n);
  if (dev === undefined) return;
  const r = spawnSync(REAL, ['link', 'set', 'dev', dev, 'address', mac], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Failure(2, `fake-ip: VF ${n} of ${pf}: setting MAC ${mac} on its netdev ${dev} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  }
}

function applyClause(st, c) {
  const refuse = new Set(st.refuse ?? []);
  const vf = st.vfs[c.vf];
  if (c.vf < 0 || vf === undefined) rtnl('Invalid argument');
  if (c.mac !== undefined) {
    if (refuse.has('mac')) rtnl('Operation not supported');
    if ((parseInt(c.mac.slice(0, 2), 16) & 1) === 1) rtnl('Invalid argument');
    vf.mac = c.mac;
    applyMacToNetdev(st.pf, c.vf, c.mac);
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

function setVf(argv, pf, rest) {
  fs.appendFileSync(path.join(DIR, `${pf}.calls`), `ip ${argv.join(' ')}\n`);
  const clauses = [];
  for (let i = 0; i < rest.length;) {
    if (rest[i] !== 'vf') {
      throw new Failure(255, `fake-ip: "${rest[i]}": only "vf N ..." settings are emulated for the fake PF ${pf}`);
    }
    const { clause, next } = parseVfClause(rest, i);
    clauses.push(clause);
    i = next;
  }
  withLock(pf, () => {
    const st = readState(pf);
    try {
      for (const c of clauses) applyClause(st, c);
    } finally {
      writeState(pf, st); // partial application is kept, as in the kernel
    }
  });
}

// ---- show ------------------------------------------------------------------------------------------------

function vfJson(v) {
  const vlan = {};
  if (v.vlan !== 0) vlan.vlan = v.vlan;
  if (v.qos !== 0) vlan.qos = v.qos;
  if (v.vlanProto !== '802.1Q') vlan.protocol = v.vlanProto;
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

function vfText(v) {
  let s = `    vf ${v.vf}     link/ether ${v.mac} brd ff:ff:ff:ff:ff:ff`;
  if (v.vlan !== 0) s += `, vlan ${v.vlan}`;
  if (v.qos !== 0) s += `, qos ${v.qos}`;
  if (v.vlanProto !== '802.1Q') s += `, vlan protocol ${v.vlanProto}`;
  if (v.maxTxRate !== 0) s += `, max_tx_rate ${v.maxTxRate}Mbps`;
  if (v.minTxRate !== 0) s += `, min_tx_rate ${v.minTxRate}Mbps`;
  s += `, spoof checking ${v.spoofchk ? 'on' : 'off'}, link-state ${v.linkState}, trust ${v.trust ? 'on' : 'off'}, query_rss off`;
  return s;
}

function synthLink(st, details) {
  const out = {
    ifindex: st.ifindex, ifname: st.pf, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: st.mtu, qdisc: 'mq',
    operstate: 'UP', linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'ether', address: st.address,
    broadcast: 'ff:ff:ff:ff:ff:ff',
  };
  if (details) {
    Object.assign(out, {
      promiscuity: 0, allmulti: 0, min_mtu: 68, max_mtu: 9710, inet6_addr_gen_mode: 'eui64', num_tx_queues: 64,
      num_rx_queues: 64, gso_max_size: 65536, gso_max_segs: 65535, parentbus: 'pci', parentdev: st.pci,
    });
  }
  return out;
}

function show(argv, pf, json, details, pretty) {
  const st = readState(pf);
  const realExists = fs.existsSync(path.join(HOST_SYSFS, 'class/net', pf));
  if (json) {
    let list;
    if (realExists) {
      const r = spawnSync(REAL, argv, { encoding: 'utf8' });
      if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(r.status ?? 1); }
      list = JSON.parse(r.stdout);
    } else {
      list = [synthLink(st, details)];
    }
    for (const l of list) {
      if (l.ifname !== pf) continue;
      if (details) l.num_vf = st.vfs.length;
      l.vfinfo_list = st.vfs.map(vfJson);
    }
    process.stdout.write(`${JSON.stringify(list, null, pretty ? 4 : undefined)}\n`);
    return;
  }
  let text;
  if (realExists) {
    const r = spawnSync(REAL, argv, { encoding: 'utf8' });
    if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(r.status ?? 1); }
    text = r.stdout.replace(/\n$/, '');
  } else {
    text = `${st.ifindex}: ${st.pf}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ${st.mtu} qdisc mq state UP mode DEFAULT group default qlen 1000\n`
      + `    link/ether ${st.address} brd ff:ff:ff:ff:ff:ff`;
  }
  process.stdout.write(`${text}\n${st.vfs.map(vfText).join('\n')}${st.vfs.length > 0 ? '\n' : ''}`);
}

// ---- dispatch --------------------------------------------------------------------------------------------

function main(argv) {
  let json = false;
  let details = false;
  let pretty = false;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const t = argv[i];
    if (t === '-j' || t === '-json' || t === '--json') json = true;
    else if (t === '-d' || t === '-details' || t === '--details') details = true;
    else if (t === '-p' || t === '-pretty' || t === '--pretty') pretty = true;
    // -n/-netns (the fake PFs live in the init netns), -s, -br, -o, ...: not ours
    else return passthrough(argv);
  }
  if (!['l', 'li', 'lin', 'link'].includes(argv[i])) return passthrough(argv);
  const sub = argv[i + 1];
  let rest = argv.slice(i + 2);
  if (rest[0] === 'dev') rest = rest.slice(1);
  const pf = rest[0];
  if (!isFakePf(pf)) return passthrough(argv);
  if (sub === 'set' || sub === 'change') {
    if (!rest.includes('vf')) return passthrough(argv);
    return setVf(argv, pf, rest.slice(1));
  }
  if (['show', 'sho', 'sh', 'list', 'lst', 'ls'].includes(sub) && rest.length === 1) {
    return show(argv, pf, json, details, pretty);
  }
  return passthrough(argv);
}

try {
  main(process.argv.slice(2));
} catch (e) {
  if (e instanceof Failure) {
    process.stderr.write(`${e.stderr}\n`);
    process.exit(e.code);
  }
  process.stderr.write(`fake-ip: ${e?.stack ?? e}\n`);
  process.exit(1);
}
