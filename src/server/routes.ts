// The method table: every Docker remote-driver call the plugin answers, its request schema and its handler.
// One row per wire method, so a grep for a Docker method lands here and then on its handler file.
import type { z } from 'zod';
import type { HandlerContext } from '../context.ts';
import { releaseAddress } from '../ipam/release-address.ts';
import { releasePool } from '../ipam/release-pool.ts';
import { requestAddress } from '../ipam/request-address.ts';
import { requestPool } from '../ipam/request-pool.ts';
import { createEndpoint } from '../network/create-endpoint.ts';
import { createNetwork } from '../network/create-network.ts';
import { deleteEndpoint } from '../network/delete-endpoint.ts';
import { deleteNetwork } from '../network/delete-network.ts';
import { endpointOperInfo } from '../network/endpoint-oper-info.ts';
import { programExternalConnectivity, revokeExternalConnectivity } from '../network/external-connectivity.ts';
import { join } from '../network/join.ts';
import * as s from '../protocol/schemas.ts';

/** which error key dockerd reads for the interface: NetworkDriver/Plugin use Err, IpamDriver uses Error */
export type Interface = 'plugin' | 'network' | 'ipam';

export interface Route {
  iface: Interface;
  schema?: z.ZodType;
  handle(ctx: HandlerContext, body: never): Promise<object>;
}

const empty = async () => ({});

function route<S extends z.ZodType>(iface: Interface, schema: S, handle: (ctx: HandlerContext, body: z.output<S>) => Promise<object>): Route {
  return { iface, schema, handle: handle as Route['handle'] };
}

export const ROUTES: Record<string, Route> = {
  '/Plugin.Activate': { iface: 'plugin', handle: async () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }) },

  '/NetworkDriver.GetCapabilities': {
    iface: 'network',
    handle: async (ctx) => ({ Scope: ctx.config.default.capabilityScope, ConnectivityScope: ctx.config.default.capabilityScope }),
  },
  '/NetworkDriver.DiscoverNew': route('network', s.discoveryRequest, empty),
  '/NetworkDriver.DiscoverDelete': route('network', s.discoveryRequest, empty),
  '/NetworkDriver.AllocateNetwork': route('network', s.allocateNetworkRequest, async (_ctx, req) => ({ Options: req.Options })),
  '/NetworkDriver.FreeNetwork': route('network', s.networkIdRequest, empty),
  '/NetworkDriver.CreateNetwork': route('network', s.createNetworkRequest, createNetwork),
  '/NetworkDriver.DeleteNetwork': route('network', s.networkIdRequest, deleteNetwork),
  '/NetworkDriver.CreateEndpoint': route('network', s.createEndpointRequest, createEndpoint),
  '/NetworkDriver.EndpointOperInfo': route('network', s.endpointRequest, endpointOperInfo),
  '/NetworkDriver.DeleteEndpoint': route('network', s.endpointRequest, deleteEndpoint),
  '/NetworkDriver.Join': route('network', s.joinRequest, join),
  // the interface is torn down in DeleteEndpoint: at Leave dockerd has not yet moved it back to the host
  '/NetworkDriver.Leave': route('network', s.endpointRequest, empty),
  // --expose / -p as a security group on the endpoint's port ([DEFAULT] process_external_connectivity)
  '/NetworkDriver.ProgramExternalConnectivity': route('network', s.endpointRequest, programExternalConnectivity),
  '/NetworkDriver.RevokeExternalConnectivity': route('network', s.endpointRequest, revokeExternalConnectivity),

  '/IpamDriver.GetCapabilities': {
    iface: 'ipam',
    // No MAC from dockerd: the Neutron port's MAC is returned by CreateEndpoint and becomes the container's,
    // so created and adopted ports keep their MAC (upstream asked for dockerd's random MAC and overwrote ports)
    handle: async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
  },
  '/IpamDriver.GetDefaultAddressSpaces': {
    iface: 'ipam',
    handle: async (ctx) => ({
      LocalDefaultAddressSpace: ctx.config.default.localDefaultAddressSpace,
      GlobalDefaultAddressSpace: ctx.config.default.globalDefaultAddressSpace,
    }),
  },
  '/IpamDriver.RequestPool': route('ipam', s.requestPoolRequest, requestPool),
  '/IpamDriver.ReleasePool': route('ipam', s.releasePoolRequest, releasePool),
  '/IpamDriver.RequestAddress': route('ipam', s.requestAddressRequest, requestAddress),
  '/IpamDriver.ReleaseAddress': route('ipam', s.releaseAddressRequest, releaseAddress),
};
