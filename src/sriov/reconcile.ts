// Crash safety for VFs: compares the ledger with Neutron and with the host, at start-up and periodically.
// An endpoint is dead when its port is gone or bound to another host, or when the sandbox it joined no longer
// exists (dockerd removed the container while the plugin was down). A dead endpoint's VF is restored and
// freed and its port released; VFs held by live endpoints are left alone.
import { NotFoundError } from '../errors.ts';
import type { NeutronClient } from '../neutron/client.ts';
import { TAG_PORT_CREATED, hasTag } from '../neutron/naming.ts';
import type { NeutronPort } from '../neutron/types.ts';
import type { Log } from '../util/log.ts';
import type { VfLedger, VfRecord } from './ledger.ts';

export interface ReconcileDeps {
  ledger: VfLedger;
  neutron: NeutronClient;
  host: string;
  /** does this path exist (a SandboxKey netns file)? */
  pathExists(path: string): Promise<boolean>;
  /** restore the VF and free it (the sriov port driver's release) */
  release(record: VfRecord, port: NeutronPort | undefined): Promise<void>;
  log: Log;
}

export interface ReconcileResult { kept: string[]; released: { endpointId: string; reason: string }[] }

export async function reconcileVfs(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { kept: [], released: [] };
  const { endpoints } = await deps.ledger.read();
  for (const rec of Object.values(endpoints)) {
    let port: NeutronPort | undefined;
    try {
      port = rec.portId === '' ? undefined : await deps.neutron.getPort(rec.portId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const reason = port === undefined ? 'port gone'
      : (port['binding:host_id'] ?? '') !== deps.host ? `port bound to ${port['binding:host_id'] || 'no host'}`
      : rec.sandboxKey !== undefined && !(await deps.pathExists(rec.sandboxKey)) ? `sandbox ${rec.sandboxKey} gone`
      : undefined;
    if (reason === undefined) {
      result.kept.push(rec.endpointId);
      continue;
    }
    deps.log.warn({ endpointId: rec.endpointId, pci: rec.pci, portId: rec.portId, reason }, 'releasing the VF of a dead endpoint');
    await deps.release(rec, port);
    if (port !== undefined && (port['binding:host_id'] ?? '') === deps.host) await releasePort(deps, port);
    result.released.push({ endpointId: rec.endpointId, reason });
  }
  return result;
}

/** the port of a dead endpoint: ours is deleted, an adopted one unbound and handed back */
async function releasePort(deps: ReconcileDeps, port: NeutronPort): Promise<void> {
  try {
    if (hasTag(port, TAG_PORT_CREATED)) await deps.neutron.deletePort(port.id);
    else await deps.neutron.updatePort(port.id, { 'binding:host_id': '', device_owner: '', device_id: '' });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
