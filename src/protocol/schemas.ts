// Request schemas for every Docker remote-driver call (PascalCase as Docker sends them), validated with zod.
// Unknown fields are tolerated (newer dockerd versions add some). Deliberate differences from upstream's
// JSON schemas: SandboxKey may be any absolute path (custom --exec-root), IPv6Data needs no Gateway, and CIDR
// prefix lengths are checked numerically (upstream's regex rejected /109 and /119).
import { z } from 'zod';
import { Address4, Address6 } from 'ip-address';

const DOCKER_ID = /^([0-9a-f]{64}|[0-9a-z]{25})$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$|^([0-9A-F]{2}:){5}[0-9A-F]{2}$/;

export const dockerId = z.string().regex(DOCKER_ID, 'must be 64 lower-case hex characters or a 25-character swarm id');

function isV4(s: string): boolean { return Address4.isValid(s); }
function isV6(s: string): boolean { return Address6.isValid(s); }
function isCidr(s: string, v6: boolean): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return false;
  const n = Number(len);
  return v6 ? isV6(ip) && !ip.includes('/') && n <= 128 : isV4(ip) && n <= 32;
}

const cidr4 = z.string().refine((s) => isCidr(s, false), 'must be an IPv4 CIDR');
const cidr6 = z.string().refine((s) => isCidr(s, true), 'must be an IPv6 CIDR');
const anyCidr = z.string().refine((s) => isCidr(s, false) || isCidr(s, true), 'must be a CIDR');
const optional = <T extends z.ZodType>(t: T) => z.union([z.literal(''), t]);
const options = z.record(z.string(), z.unknown()).nullable().optional().transform((o) => o ?? {});

const ipamData4 = z.object({
  AddressSpace: z.string(),
  Pool: cidr4,
  Gateway: optional(cidr4).optional(),
  AuxAddresses: z.record(z.string(), z.string()).nullable().optional(),
});
const ipamData6 = z.object({
  AddressSpace: z.string(),
  Pool: cidr6,
  Gateway: optional(cidr6).optional(),
  AuxAddresses: z.record(z.string(), z.string()).nullable().optional(),
});

export const createNetworkRequest = z.object({
  NetworkID: dockerId,
  Options: options,
  IPv4Data: z.array(ipamData4).nullable().optional().transform((a) => a ?? []),
  IPv6Data: z.array(ipamData6).nullable().optional().transform((a) => a ?? []),
});
export type CreateNetworkRequest = z.infer<typeof createNetworkRequest>;

export const allocateNetworkRequest = z.object({ NetworkID: dockerId, Options: options });
export const networkIdRequest = z.object({ NetworkID: dockerId });

export const createEndpointRequest = z.object({
  NetworkID: dockerId,
  EndpointID: dockerId,
  Options: options,
  Interface: z.object({
    Address: optional(cidr4).optional().default(''),
    AddressIPv6: optional(cidr6).optional().default(''),
    MacAddress: optional(z.string().regex(MAC, 'must be a MAC address')).optional().default(''),
  }).nullable().optional().transform((i) => i ?? { Address: '', AddressIPv6: '', MacAddress: '' }),
});
export type CreateEndpointRequest = z.infer<typeof createEndpointRequest>;

export const endpointRequest = z.object({ NetworkID: dockerId, EndpointID: dockerId, Options: options });
export type EndpointRequest = z.infer<typeof endpointRequest>;

export const joinRequest = z.object({
  NetworkID: dockerId,
  EndpointID: dockerId,
  SandboxKey: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path'),
  Options: options,
});
export type JoinRequest = z.infer<typeof joinRequest>;

export const requestPoolRequest = z.object({
  AddressSpace: z.string(),
  Pool: optional(anyCidr).optional().default(''),
  SubPool: optional(anyCidr).optional().default(''),
  Options: options,
  V6: z.boolean().optional().default(false),
});
export type RequestPoolRequest = z.infer<typeof requestPoolRequest>;

// a subnetpool UUID, or `<default subnetpool UUID>/<cidr>` (see ipam/pool-id.ts)
const poolId = optional(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\/[0-9a-fA-F.:]+\/\d{1,3})?$/i, 'must be a pool id from RequestPool'));

export const releasePoolRequest = z.object({ PoolID: poolId });
export const requestAddressRequest = z.object({
  PoolID: poolId,
  Address: optional(z.string().refine((s) => isV4(s) || isV6(s), 'must be an IP address')).optional().default(''),
  Options: options,
});
export type RequestAddressRequest = z.infer<typeof requestAddressRequest>;
export const releaseAddressRequest = z.object({
  PoolID: poolId,
  Address: z.string().refine((s) => isV4(s) || isV6(s), 'must be an IP address'),
});
export type ReleaseAddressRequest = z.infer<typeof releaseAddressRequest>;

export const discoveryRequest = z.object({ DiscoveryType: z.number().optional(), DiscoveryData: z.unknown().optional() });
