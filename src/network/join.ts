// NetworkDriver.Join: tell dockerd which host interface to move into the sandbox (the port driver names it),
// the gateways of the subnets the port has addresses on, and the subnets' host routes. Nothing is changed
// in Neutron or on the host. DisableGatewayService stops dockerd from adding its own gateway bridge.
import type { HandlerContext } from '../context.ts';
import { requireEndpointPort, requireNetwork } from '../neutron/lookup.ts';
import type { JoinRequest } from '../protocol/schemas.ts';

export interface StaticRoute { Destination: string; RouteType: 0; NextHop: string }
export interface JoinReply {
  InterfaceName: { SrcName: string; DstPrefix: string };
  Gateway?: string;
  GatewayIPv6?: string;
  StaticRoutes: StaticRoute[];
  DisableGatewayService: true;
}

export async function join(ctx: HandlerContext, req: JoinRequest): Promise<JoinReply> {
  const network = await requireNetwork(ctx.neutron, ctx.identity, req.NetworkID);
  const port = await requireEndpointPort(ctx.neutron, ctx.identity, req.EndpointID);
  const subnets = await ctx.neutron.listSubnets({ network_id: network.id });
  const driver = ctx.portDrivers.forPort(port);
  const srcName = await driver.containerIfName(port, req.EndpointID);
  await driver.onJoin?.(req.EndpointID, req.SandboxKey);
  const reply: JoinReply = {
    InterfaceName: { SrcName: srcName, DstPrefix: ctx.config.binding.vethDstPrefix },
    StaticRoutes: [],
    DisableGatewayService: true,
  };
  const portSubnetIds = new Set(port.fixed_ips.map((f) => f.subnet_id));
  for (const subnet of subnets) {
    if (portSubnetIds.has(subnet.id) && subnet.gateway_ip !== null) {
      if (subnet.ip_version === 4) reply.Gateway ??= subnet.gateway_ip;
      else reply.GatewayIPv6 ??= subnet.gateway_ip;
    }
    for (const route of subnet.host_routes ?? []) {
      reply.StaticRoutes.push({ Destination: route.destination, RouteType: 0, NextHop: route.nexthop });
    }
  }
  ctx.log.info({ endpointId: req.EndpointID, portId: port.id, srcName, sandbox: req.SandboxKey }, 'join');
  return reply;
}
