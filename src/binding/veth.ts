// veth binding: creates the tap<11>/t_c<11> pair for a Neutron port and wires the host end by
// binding:vif_type (Linux bridge, OVS, bare tap, or upstream's <bindir>/<vif_type> scripts); unplug undoes it
// idempotently. Host plumbing only: never calls Neutron, never moves links into a container netns (Docker does).
import { join } from 'node:path';
import { ConflictError, PluginError, isPluginError } from '../errors.ts';
import type { Exec } from '../host/exec.ts';
import { linuxBridgeName, tempIfName, vethPairNames } from '../host/if-names.ts';
import { isLinkExists, isLinkNotFound } from '../host/ip-link.ts';
import type { IpLink } from '../host/ip-link.ts';
import { assertIfName, assertMac, assertMtu, assertPlainId, assertUuid } from '../host/validate.ts';
import { createKeyedMutex } from '../util/keyed-mutex.ts';

/** ifalias put on Linux bridges this plugin created, so unplug (even after a restart) knows it may delete them. */
export const MANAGED_BRIDGE_ALIAS = 'kuryr-managed';
export const DEFAULT_OVS_BRIDGE = 'br-int';
/** upstream's fallback when a port has no binding:vif_type */
export const FALLBACK_VIF_TYPE = 'unbound';

export interface PlugRequest {
  portId: string;
  /** Docker endpoint ID (passed to OVS as vm-uuid and to scripts) */
  endpointId: string;
  networkId: string;
  projectId: string;
  /** port MAC; the container end gets it (lower-cased) */
  mac: string;
  /** network MTU, set on both ends */
  mtu: number;
  /** Neutron binding:vif_type */
  vifType: string;
  /** Neutron binding:vif_details */
  vifDetails: Record<string, unknown>;
}

export interface PlugResult {
  hostIfName: string;
  /** the end Docker moves into the sandbox */
  containerIfName: string;
}

export interface UnplugRequest {
  portId: string;
  endpointId: string;
  networkId: string;
  mac: string;
  vifType: string;
  vifDetails: Record<string, unknown>;
}

export interface VethBinding {
  plug(req: PlugRequest): Promise<PlugResult>;
  /** idempotent: missing links, ports and bridges are success */
  unplug(req: UnplugRequest): Promise<void>;
}

export interface VethBindingDeps {
  ipLink: IpLink;
  exec: Exec;
  /** directory of upstream-style binding scripts (`[DEFAULT] bindir`, usually /usr/libexec/kuryr) */
  bindir: string;
  /** ovs-vsctl executable (default `ovs-vsctl` from PATH) */
  ovsVsctl?: string;
  /** name source for the temporary bridge name (tests) */
  tempName?: () => string;
}

type Wiring =
  | { kind: 'bridge'; bridge: string }
  | { kind: 'ovs'; bridge: string }
  | { kind: 'tap' }
  | { kind: 'script'; vifType: string; path: string }
  | { kind: 'none' };

// ---- Python repr of vif_details (upstream scripts grep it, e.g. "'ovs_hybrid_plug': True") -------------

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // JSON integers are Python ints; JSON cannot tell 1.0 from 1, so integral values print as ints
  if (Number.isInteger(n)) return BigInt(n).toString();
  // Python float repr: shortest round-trip digits, exponent form when exp < -4 or exp >= 16, 2-digit exponent
  const [mant = '', expText = '0'] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

/** Python's repr() of a JSON value: dicts `{'k': v}`, lists, strings, True/False/None, ints and floats. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'string') return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  }
  return reprString(String(value));
}

/**
 * The vif_details argument as upstream's string_mappings() renders it: the dict's repr wrapped in double
 * quotes (the quotes are part of the argument, no shell is involved), or the text None when empty.
 */
export function vifDetailsArg(details: Record<string, unknown> | null | undefined): string {
  if (details === null || details === undefined || typeof details !== 'object' || Object.keys(details).length === 0) return 'None';
  return `"${pythonRepr(details)}"`;
}

// ---- helpers -------------------------------------------------------------------------------------------

const VIF_TYPE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/u;

function noteRollbackFailure(err: unknown, rollbackErr: unknown): void {
  // the original error is what the caller must see; the rollback failure rides along in its details
  if (isPluginError(err)) {
    const prev = err.details['rollbackErrors'];
    const list = Array.isArray(prev) ? prev : [];
    err.details['rollbackErrors'] = [...list, rollbackErr instanceof Error ? rollbackErr.message : String(rollbackErr)];
  }
}

function bindingFailedMessage(portId: string): string {
  return `Neutron could not bind port ${portId} to this host (binding:vif_type=binding_failed). Likely causes: `
    + 'no L2 agent (Open vSwitch / Linux bridge) for this host is alive in Neutron (`openstack network agent list --host <host>`); '
    + "this host's name does not match the agent's host ([DEFAULT] host in the agent's configuration must equal the host kuryr binds ports to); "
    + "or the mechanism driver cannot bind this network's type (e.g. a VLAN/flat physical network missing from the agent's mappings).";
}

// ---- the binding ---------------------------------------------------------------------------------------

export function createVethBinding(deps: VethBindingDeps): VethBinding {
  const { ipLink, exec, bindir } = deps;
  const ovsVsctl = deps.ovsVsctl ?? 'ovs-vsctl';
  const locks = createKeyedMutex();
  const withLock = <T>(key: string, fn: () => Promise<T>): Promise<T> => locks.run(key, fn);

  async function scriptExists(path: string): Promise<boolean> {
    // through the Exec seam (no fs here); exit 1 means "not an executable file"
    const r = await exec.run(['test', '-x', path], { okCodes: [0, 1] });
    return r.code === 0;
  }

  function ovsBridge(details: Record<string, unknown>): string {
    const b = details['bridge_name'];
    return typeof b === 'string' && b !== '' ? assertIfName(b, 'vif_details.bridge_name') : DEFAULT_OVS_BRIDGE;
  }

  function linuxBridge(details: Record<string, unknown>, networkId: string): string {
    // Neutron's linuxbridge driver sets bridge_name only for bridge_mappings; otherwise it is brq<net[0:11]>
    const b = details['bridge_name'];
    return typeof b === 'string' && b !== '' ? assertIfName(b, 'vif_details.bridge_name') : linuxBridgeName(networkId);
  }

  function scriptPath(vifType: string): string {
    if (!VIF_TYPE_RE.test(vifType)) {
      throw new PluginError('ERR_BINDING_UNSUPPORTED', `vif_type ${JSON.stringify(vifType)} is not supported: not a valid binding script name`, { details: { vifType } });
    }
    return join(bindir, vifType);
  }

  /** Decides how to wire the host end; throws before anything is created when the port cannot be plugged. */
  async function wiringForPlug(req: PlugRequest, portId: string, networkId: string): Promise<Wiring> {
    const vifType = req.vifType === '' ? FALLBACK_VIF_TYPE : req.vifType;
    const details = req.vifDetails ?? {};
    switch (vifType) {
      case 'binding_failed':
        throw new PluginError('ERR_BINDING_FAILED', bindingFailedMessage(portId), { details: { portId, vifType } });
      case 'unbound':
        throw new PluginError('ERR_BINDING_FAILED',
          `port ${portId} is not bound to a host (binding:vif_type=unbound): binding:host_id must name this host before the port is plugged`,
          { details: { portId, vifType } });
      case 'bridge':
        return { kind: 'bridge', bridge: linuxBridge(details, networkId) };
      case 'ovs':
        if (details['ovs_hybrid_plug'] === true) {
          throw new PluginError('ERR_BINDING_UNSUPPORTED',
            `port ${portId}: hybrid OVS plugging is not supported (vif_details.ovs_hybrid_plug is true; use the openvswitch or noop firewall driver on this host's OVS agent)`,
            { details: { portId, vifType } });
        }
        return { kind: 'ovs', bridge: ovsBridge(details) };
      case 'tap':
        return { kind: 'tap' };
      default: {
        const path = scriptPath(vifType);
        if (!(await scriptExists(path))) {
          throw new PluginError('ERR_BINDING_UNSUPPORTED', `vif_type ${vifType} is not supported: no ${path}`, { details: { portId, vifType, path } });
        }
        return { kind: 'script', vifType, path };
      }
    }
  }

  async function wiringForUnplug(req: UnplugRequest, networkId: string): Promise<Wiring> {
    const vifType = req.vifType === '' ? FALLBACK_VIF_TYPE : req.vifType;
    const details = req.vifDetails ?? {};
    switch (vifType) {
      case 'binding_failed': case 'unbound': return { kind: 'none' };
      case 'bridge': return { kind: 'bridge', bridge: linuxBridge(details, networkId) };
      case 'ovs': return { kind: 'ovs', bridge: ovsBridge(details) };
      case 'tap': return { kind: 'tap' };
      default: {
        // a script that is (no longer) there cannot have wired anything we could undo: just drop the veth
        if (!VIF_TYPE_RE.test(vifType)) return { kind: 'none' };
        const path = join(bindir, vifType);
        return (await scriptExists(path)) ? { kind: 'script', vifType, path } : { kind: 'none' };
      }
    }
  }

  /** Creates the pair with its final attributes, or reuses a pair left by an earlier attempt. */
  async function ensureVeth(host: string, container: string, mac: string, mtu: number): Promise<void> {
    const h = await ipLink.show(host);
    const c = await ipLink.show(container);
    if (h !== undefined && c !== undefined && h.kind === 'veth' && h.link === container) {
      await ipLink.set(container, { address: mac, mtu });
      await ipLink.set(host, { mtu, up: true });
      return;
    }
    // a half-gone or foreign-shaped leftover under our deterministic names: recreate
    if (h !== undefined) await ipLink.del(host);
    if (c !== undefined) await ipLink.del(container);
    await ipLink.addVeth(host, container, { mtu, up: true, peer: { mtu, address: mac } });
  }

  /** Creates `name` as a bridge carrying our alias, atomically: built under a temp name, renamed into place. */
  async function createManagedBridge(name: string): Promise<boolean> {
    const tmp = tempIfName(deps.tempName);
    await ipLink.addBridge(tmp, { forwardDelay: 0, stp: false });
    try {
      await ipLink.set(tmp, { alias: MANAGED_BRIDGE_ALIAS, name, up: true });
      return true;
    } catch (e) {
      await ipLink.del(tmp).catch((rollbackErr: unknown) => noteRollbackFailure(e, rollbackErr));
      // the Neutron agent (or another plugin instance) made it between our show and rename: use theirs
      if (isLinkExists(e)) return false;
      throw e;
    }
  }

  async function deleteBridgeIfOursAndEmpty(name: string): Promise<void> {
    const br = await ipLink.show(name);
    if (br === undefined || br.kind !== 'bridge' || br.alias !== MANAGED_BRIDGE_ALIAS) return;
    const members = await ipLink.list({ master: name });
    if (members.length === 0) await ipLink.del(name);
  }

  async function attachToBridge(host: string, bridge: string): Promise<void> {
    await withLock(`bridge:${bridge}`, async () => {
      let created = false;
      const br = await ipLink.show(bridge);
      if (br === undefined) {
        created = await createManagedBridge(bridge);
      } else if (br.kind !== 'bridge') {
        throw new ConflictError('ERR_HOST_COMMAND', `cannot attach ${host} to ${bridge}: ${bridge} exists but is a ${br.kind ?? 'physical'} link, not a bridge`,
          { details: { host, bridge, kind: br.kind } });
      } else if (!br.up && br.alias === MANAGED_BRIDGE_ALIAS) {
        await ipLink.set(bridge, { up: true });
      }
      try {
        await ipLink.set(host, { master: bridge, up: true });
      } catch (e) {
        if (created) await deleteBridgeIfOursAndEmpty(bridge).catch((rollbackErr: unknown) => noteRollbackFailure(e, rollbackErr));
        throw e;
      }
    });
  }

  async function wire(w: Wiring, req: PlugRequest, ids: { portId: string; networkId: string; endpointId: string; projectId: string; mac: string }, host: string): Promise<void> {
    switch (w.kind) {
      case 'bridge':
        await attachToBridge(host, w.bridge);
        return;
      case 'ovs':
        await exec.run([ovsVsctl, '--', '--may-exist', 'add-port', w.bridge, host,
          '--', 'set', 'Interface', host,
          `external-ids:iface-id=${ids.portId}`, 'external-ids:iface-status=active',
          `external-ids:attached-mac=${ids.mac}`, `external-ids:vm-uuid=${ids.endpointId}`, 'external-ids:owner=kuryr']);
        return;
      case 'script':
        await exec.run([w.path, 'bind', ids.portId, host, ids.endpointId, ids.mac, ids.networkId, ids.projectId, vifDetailsArg(req.vifDetails)]);
        return;
      case 'tap': case 'none':
        return;
    }
  }

  async function plug(req: PlugRequest): Promise<PlugResult> {
    const portId = assertUuid(req.portId, 'port ID');
    const networkId = assertUuid(req.networkId, 'network ID');
    const endpointId = assertPlainId(req.endpointId, 'endpoint ID');
    const projectId = assertPlainId(req.projectId, 'project ID');
    const mac = assertMac(req.mac, 'port MAC address');
    const mtu = assertMtu(req.mtu, 'network MTU');
    const { host, container } = vethPairNames(portId);
    const wiring = await wiringForPlug(req, portId, networkId);

    return withLock(`veth:${host}`, async () => {
      try {
        await ensureVeth(host, container, mac, mtu);
        await wire(wiring, req, { portId, networkId, endpointId, projectId, mac }, host);
      } catch (e) {
        // deleting either end removes the pair; a veth that never got created makes this a no-op
        await ipLink.del(host).catch((rollbackErr: unknown) => noteRollbackFailure(e, rollbackErr));
        throw e;
      }
      return { hostIfName: host, containerIfName: container };
    });
  }

  async function unplug(req: UnplugRequest): Promise<void> {
    const portId = assertUuid(req.portId, 'port ID');
    const networkId = assertUuid(req.networkId, 'network ID');
    const endpointId = assertPlainId(req.endpointId, 'endpoint ID');
    const mac = assertMac(req.mac, 'port MAC address');
    const { host } = vethPairNames(portId);
    const wiring = await wiringForUnplug(req, networkId);

    await withLock(`veth:${host}`, async () => {
      switch (wiring.kind) {
        case 'bridge':
          await withLock(`bridge:${wiring.bridge}`, async () => {
            const h = await ipLink.show(host);
            if (h?.master !== undefined) {
              try {
                await ipLink.set(host, { master: null });
              } catch (e) {
                if (!isLinkNotFound(e)) throw e; // vanished meanwhile: nothing to detach
              }
            }
            await ipLink.del(host);
            await deleteBridgeIfOursAndEmpty(wiring.bridge);
          });
          return;
        case 'ovs':
          await exec.run([ovsVsctl, '--if-exists', 'del-port', wiring.bridge, host]);
          await ipLink.del(host);
          return;
        case 'script':
          // upstream's unbind argument order differs from bind's: vif_details before network_id
          await exec.run([wiring.path, 'unbind', portId, host, endpointId, mac, vifDetailsArg(req.vifDetails), networkId]);
          await ipLink.del(host);
          return;
        case 'tap': case 'none':
          await ipLink.del(host);
          return;
      }
    });
  }

  return { plug, unplug };
}
