// `kuryr vf release <PCI>`: an operator frees a VF the ledger still holds. The VF's saved settings are put back
// and its ledger record removed (the sriov driver's release, as DeleteEndpoint and the reconcile do) — unless
// the holding endpoint is alive: its port still bound to this host and its sandbox (the Join's netns) still
// there, or no sandbox recorded yet. `force` skips that check. Runs in whichever process owns the ledger: the
// running plugin (admin route POST /Kuryr.ReleaseVf, under the endpoint's lock) or the CLI holding the instance
// lock when no plugin runs. The Neutron port is not deleted: DeleteEndpoint (or the reconcile) does that.
import { z } from 'zod';
import { InvalidRequestError, NotFoundError, PluginError, isPluginError } from '../errors.ts';
import { assertPciAddress } from '../host/validate.ts';
import type { NeutronClient } from '../neutron/client.ts';
import type { NeutronPort } from '../neutron/types.ts';
import type { VfLedger, VfRecord } from '../sriov/ledger.ts';
import type { KeyedMutex } from '../util/keyed-mutex.ts';

export const RELEASE_VF_METHOD = 'Kuryr.ReleaseVf';

export interface VfReleaseDeps {
  ledger: Pick<VfLedger, 'read'>;
  neutron: Pick<NeutronClient, 'getPort'>;
  host: string;
  /** is the sandbox a live netns (production: reconcile's isLiveNetns) */
  pathExists(path: string): Promise<boolean>;
  /** restore the VF's saved settings (and an allocated VF's port profile), then drop the ledger record */
  release(rec: VfRecord, port: NeutronPort | undefined): Promise<void>;
  /** the plugin's handler locks: `ep:<endpoint id>` is held by CreateEndpoint/DeleteEndpoint and the reconcile */
  locks?: KeyedMutex;
}

export interface VfReleaseResult {
  released: boolean;
  pci: string;
  endpointId?: string;
  portId?: string;
  /** why it was released (the endpoint is dead: …; forced: …) or why there was nothing to do */
  reason: string;
  forced: boolean;
  /** what is left for the operator (a port still bound here) */
  note?: string;
}

export const releaseVfRequest = z.object({ pci: z.string(), force: z.boolean().optional() });

interface Liveness { alive: boolean; why: string; port: NeutronPort | undefined; boundHere: boolean }

async function liveness(deps: VfReleaseDeps, rec: VfRecord): Promise<Liveness> {
  let port: NeutronPort | undefined;
  if (rec.portId !== '') {
    try {
      port = await deps.neutron.getPort(rec.portId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        throw new PluginError('ERR_VF_IN_USE',
          `cannot tell whether endpoint ${rec.endpointId} is alive: reading its port ${rec.portId} from Neutron failed ` +
          `(${isPluginError(err) ? err.code : 'error'}); use --force if no container uses VF ${rec.pci}`, { cause: err });
      }
    }
  }
  if (port === undefined) return { alive: false, why: rec.portId === '' ? 'no port recorded' : `port ${rec.portId} is gone`, port, boundHere: false };
  const host = port['binding:host_id'] ?? '';
  if (host !== deps.host) return { alive: false, why: `port ${port.id} is bound to ${host === '' ? 'no host' : host}`, port, boundHere: false };
  if (rec.sandboxKey === undefined) {
    return { alive: true, why: `port ${port.id} is bound here and no sandbox was recorded (Join never came, or is still to come)`, port, boundHere: true };
  }
  if (await deps.pathExists(rec.sandboxKey)) {
    return { alive: true, why: `port ${port.id} is bound here and sandbox ${rec.sandboxKey} exists`, port, boundHere: true };
  }
  return { alive: false, why: `sandbox ${rec.sandboxKey} is gone`, port, boundHere: true };
}

export async function releaseVfByPci(deps: VfReleaseDeps, pciIn: string, opts: { force: boolean }): Promise<VfReleaseResult> {
  let pci: string;
  try { pci = assertPciAddress(pciIn); } catch (cause) {
    throw new InvalidRequestError('ERR_INVALID_NAME', `${JSON.stringify(pciIn)} is not a PCI address (dddd:bb:dd.f)`, { cause });
  }
  const holderOf = async (): Promise<VfRecord | undefined> =>
    Object.values((await deps.ledger.read()).endpoints).find((r) => r.pci === pci);
  const first = await holderOf();
  if (first === undefined) return { released: false, pci, reason: `VF ${pci} is not held by any endpoint: nothing to release`, forced: opts.force };

  const work = async (): Promise<VfReleaseResult> => {
    // again under the endpoint's lock: DeleteEndpoint may have freed it meanwhile
    const rec = await holderOf();
    if (rec === undefined || rec.endpointId !== first.endpointId) {
      return { released: false, pci, reason: `VF ${pci} was freed meanwhile (DeleteEndpoint or the reconcile)`, forced: opts.force };
    }
    let live: Liveness;
    try {
      live = await liveness(deps, rec);
    } catch (err) {
      if (!opts.force) throw err;
      live = { alive: true, why: `liveness unknown (${(err as Error).message})`, port: undefined, boundHere: false };
    }
    if (live.alive && !opts.force) {
      throw new PluginError('ERR_VF_IN_USE',
        `VF ${pci} is held by endpoint ${rec.endpointId}, which is alive: ${live.why}. Remove its container ` +
        '(docker rm -f), or pass --force if you know nothing uses the VF', { details: { pci, endpointId: rec.endpointId, portId: rec.portId } });
    }
    await deps.release(rec, live.boundHere ? live.port : undefined);
    const result: VfReleaseResult = {
      released: true, pci, endpointId: rec.endpointId, portId: rec.portId,
      reason: live.alive ? `forced: ${live.why}` : `the endpoint is dead: ${live.why}`, forced: opts.force,
    };
    if (live.boundHere && live.port !== undefined) {
      result.note = `port ${live.port.id} is still bound to ${deps.host}: DeleteEndpoint (docker rm, docker network disconnect) ` +
        'removes it, or delete it in Neutron';
    }
    return result;
  };
  return deps.locks === undefined ? work() : deps.locks.run(`ep:${first.endpointId}`, work);
}

/** The admin route(s) the running plugin serves next to the Docker methods (see server/server.ts adminRoutes). */
export function vfAdminRoutes(deps: VfReleaseDeps, onReleased?: (r: VfReleaseResult) => void): Record<string, (body: unknown) => Promise<object>> {
  return {
    [`/${RELEASE_VF_METHOD}`]: async (body) => {
      const parsed = releaseVfRequest.safeParse(body);
      if (!parsed.success) throw new InvalidRequestError('ERR_INVALID_REQUEST', `body must be {"pci": "<dddd:bb:dd.f>", "force": <bool>}`);
      const result = await releaseVfByPci(deps, parsed.data.pci, { force: parsed.data.force ?? false });
      if (result.released) onReleased?.(result);
      return result;
    },
  };
}
