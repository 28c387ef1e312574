// Crash safety for VFs: compares the ledger with Neutron and with the host, at start-up and periodically.
// An endpoint is dead when its port is gone or bound to another host, or when the sandbox it joined no longer
// exists (dockerd removed the container while the plugin was down). A dead endpoint's VF is restored and
// freed and its port released; VFs held by live endpoints are left alone.
import { statfs } from 'node:fs/promises';
import { NotFoundError } from '../errors.ts';
import type { NeutronClient } from '../neutron/client.ts';
import { TAG_PORT_CREATED, TAG_PORT_EXISTING, dockerIdTags, hasTag } from '../neutron/naming.ts';
import type { NeutronPort } from '../neutron/types.ts';
import type { KeyedMutex } from '../util/keyed-mutex.ts';
import type { Log } from '../util/log.ts';
import type { VfLedger, VfRecord } from './ledger.ts';

export interface ReconcileDeps {
  ledger: VfLedger;
  neutron: NeutronClient;
  host: string;
  /** is the sandbox alive: does this SandboxKey still name a network namespace? (production: isLiveNetns) */
  pathExists(path: string): Promise<boolean>;
  /** restore the VF and free it (the sriov port driver's release) */
  release(record: VfRecord, port: NeutronPort | undefined): Promise<void>;
  log: Log;
  /**
   * The handlers' locks (key `ep:<endpoint id>`, held by CreateEndpoint and DeleteEndpoint). A periodic pass
   * runs while requests are served: without them it would see an endpoint CreateEndpoint is still building
   * (VF reserved, port not yet bound here) as dead and free its VF under it.
   */
  locks?: KeyedMutex;
}

/** statfs f_type of nsfs (linux/magic.h NSFS_MAGIC) */
const NSFS_MAGIC = 0x6e736673;

/**
 * Whether `path` names a live network namespace. dockerd's SandboxKey is a file a netns is bind-mounted on;
 * when the sandbox is destroyed dockerd unmounts it at once but deletes the (now plain, empty) file only in a
 * garbage-collection pass up to 60 s later — so "the file exists" is not "the sandbox exists".
 */
export async function isLiveNetns(path: string): Promise<boolean> {
  try {
    return (await statfs(path)).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

export interface ReconcileResult { kept: string[]; released: { endpointId: string; reason: string }[] }

export async function reconcileVfs(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { kept: [], released: [] };
  const { endpoints } = await deps.ledger.read();
  for (const endpointId of Object.keys(endpoints)) {
    const check = () => reconcileOne(deps, endpointId, result);
    await (deps.locks === undefined ? check() : deps.locks.run(`ep:${endpointId}`, check));
  }
  return result;
}

async function reconcileOne(deps: ReconcileDeps, endpointId: string, result: ReconcileResult): Promise<void> {
  // read again under the endpoint's lock: DeleteEndpoint may have freed it meanwhile
  const rec = (await deps.ledger.read()).endpoints[endpointId];
  if (rec === undefined) return;
  let port: NeutronPort | undefined;
  try {
    port = rec.portId === '' ? undefined : await deps.neutron.getPort(rec.portId);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const boundHere = port !== undefined && (port['binding:host_id'] ?? '') === deps.host;
  const reason = port === undefined ? 'port gone'
    : !boundHere ? `port bound to ${port['binding:host_id'] || 'no host'}`
    : rec.sandboxKey !== undefined && !(await deps.pathExists(rec.sandboxKey)) ? `sandbox ${rec.sandboxKey} gone`
    : undefined;
  if (reason === undefined) {
    result.kept.push(rec.endpointId);
    return;
  }
  deps.log.warn({ endpointId: rec.endpointId, pci: rec.pci, portId: rec.portId, reason }, 'releasing the VF of a dead endpoint');
  // a port bound to another host is that host's now: restore our VF, but leave its binding:profile alone
  await deps.release(rec, boundHere ? port : undefined);
  if (boundHere && port !== undefined) await releasePort(deps, port, rec.endpointId);
  result.released.push({ endpointId: rec.endpointId, reason });
}

/**
 * the port of a dead endpoint: ours is deleted; an adopted one is unbound and handed back without our tags
 * (as DeleteEndpoint + ReleaseAddress would have), so a later `--ip` can adopt it again
 */
async function releasePort(deps: ReconcileDeps, port: NeutronPort, endpointId: string): Promise<void> {
  try {
    if (hasTag(port, TAG_PORT_CREATED)) {
      await deps.neutron.deletePort(port.id);
      return;
    }
    await deps.neutron.updatePort(port.id, { 'binding:host_id': '', device_owner: '', device_id: '' });
    for (const tag of [...dockerIdTags(endpointId), TAG_PORT_EXISTING]) {
      if (hasTag(port, tag)) await deps.neutron.removeTag('ports', port.id, tag);
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
