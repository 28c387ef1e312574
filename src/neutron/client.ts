// The NeutronClient seam: everything the plugin asks of Neutron. The real adapter is http-client.ts
// (undici, Keystone or noauth); tests use testing/fake-neutron.ts. Errors are typed PluginErrors:
// NotFoundError (404), ConflictError (409), UnavailableError (connect/timeout/5xx), PluginError
// ERR_NEUTRON_AUTH (401 after one re-auth), ERR_NEUTRON_FORBIDDEN (403), InvalidRequestError (400).
import type {
  NeutronAgent, NeutronNetwork, NeutronQosPolicy, NeutronPort, NeutronQuery, NeutronSecurityGroup, NeutronSecurityGroupRule, NeutronSubnet,
  NeutronSubnetPool,
} from './types.ts';

/** a create/update body: the resource's fields (snake_case) */
export type NeutronBody = Record<string, unknown>;

export type TaggableResource = 'networks' | 'subnets' | 'subnetpools' | 'ports';

export interface NeutronClient {
  listNetworks(q?: NeutronQuery): Promise<NeutronNetwork[]>;
  getNetwork(id: string): Promise<NeutronNetwork>;
  createNetwork(body: NeutronBody): Promise<NeutronNetwork>;
  updateNetwork(id: string, body: NeutronBody): Promise<NeutronNetwork>;
  deleteNetwork(id: string): Promise<void>;

  listSubnets(q?: NeutronQuery): Promise<NeutronSubnet[]>;
  getSubnet(id: string): Promise<NeutronSubnet>;
  createSubnet(body: NeutronBody): Promise<NeutronSubnet>;
  deleteSubnet(id: string): Promise<void>;

  listSubnetPools(q?: NeutronQuery): Promise<NeutronSubnetPool[]>;
  getSubnetPool(id: string): Promise<NeutronSubnetPool>;
  createSubnetPool(body: NeutronBody): Promise<NeutronSubnetPool>;
  deleteSubnetPool(id: string): Promise<void>;

  listPorts(q?: NeutronQuery): Promise<NeutronPort[]>;
  getPort(id: string): Promise<NeutronPort>;
  createPort(body: NeutronBody): Promise<NeutronPort>;
  updatePort(id: string, body: NeutronBody): Promise<NeutronPort>;
  deletePort(id: string): Promise<void>;

  /** GET /v2.0/security-groups (the answer's list key is security_groups) */
  listSecurityGroups(q?: NeutronQuery): Promise<NeutronSecurityGroup[]>;
  /** POST /v2.0/security-groups; Neutron adds its two default egress rules (IPv4, IPv6) */
  createSecurityGroup(body: NeutronBody): Promise<NeutronSecurityGroup>;
  /** DELETE /v2.0/security-groups/{id} (takes its rules with it); still used by a port → ConflictError */
  deleteSecurityGroup(id: string): Promise<void>;
  /** POST /v2.0/security-group-rules */
  createSecurityGroupRule(body: NeutronBody): Promise<NeutronSecurityGroupRule>;

  /** PUT /v2.0/{resource}/{id}/tags/{tag} */
  addTag(resource: TaggableResource, id: string, tag: string): Promise<void>;
  /** DELETE /v2.0/{resource}/{id}/tags/{tag}; a missing tag is NotFoundError */
  removeTag(resource: TaggableResource, id: string, tag: string): Promise<void>;

  /** GET /v2.0/extensions/{alias}: true if loaded, false on 404 */
  hasExtension(alias: string): Promise<boolean>;
  listAgents(q?: NeutronQuery): Promise<NeutronAgent[]>;
  /** GET /v2.0/qos/policies/{id} (404 also when Neutron has no qos extension) */
  getQosPolicy(id: string): Promise<NeutronQosPolicy>;
}
