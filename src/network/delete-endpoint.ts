// NetworkDriver.DeleteEndpoint: tear down the host interface and drop the endpoint tags from the port (the
// port itself is released by ReleaseAddress, as upstream). Idempotent: dockerd calls it again after
// failures and on restart, so an unknown endpoint or a missing device is success.
import type { HandlerContext } from '../context.ts';
import { ignoreNotFound } from '../errors.ts';
import { findEndpointPort } from '../neutron/lookup.ts';
import { removeExposedGroups } from './external-connectivity.ts';
import { dockerIdTags, hasTag } from '../neutron/naming.ts';
import type { EndpointRequest } from '../protocol/schemas.ts';

export async function deleteEndpoint(ctx: HandlerContext, req: EndpointRequest): Promise<Record<string, never>> {
  await ctx.locks.run(`ep:${req.EndpointID}`, async () => {
    const port = await findEndpointPort(ctx.neutron, ctx.identity, req.EndpointID);
    if (port === undefined) {
      ctx.log.info({ endpointId: req.EndpointID }, 'no port for this endpoint; nothing to delete');
      return;
    }
    await ctx.portDrivers.forPort(port).deleteHostIface({ endpointId: req.EndpointID, port });
    if (ctx.config.default.processExternalConnectivity) await removeExposedGroups(ctx, req.EndpointID, port);
    for (const tag of dockerIdTags(req.EndpointID)) {
      if (!hasTag(port, tag)) continue;
      await ignoreNotFound(ctx.identity.untag(ctx.neutron, 'ports', port.id, tag));
    }
    ctx.log.info({ endpointId: req.EndpointID, portId: port.id }, 'endpoint deleted');
  });
  return {};
}
