// NetworkDriver.EndpointOperInfo: what `docker inspect` shows for the endpoint — the Neutron port's status
// (upstream's key) and its id.
import type { HandlerContext } from '../context.ts';
import { findEndpointPort } from '../neutron/lookup.ts';
import type { EndpointRequest } from '../protocol/schemas.ts';

export async function endpointOperInfo(ctx: HandlerContext, req: EndpointRequest): Promise<{ Value: Record<string, string> }> {
  const port = await findEndpointPort(ctx.neutron, ctx.identity, req.EndpointID);
  if (port === undefined) return { Value: {} };
  return { Value: { status: port.status, port_id: port.id } };
}
