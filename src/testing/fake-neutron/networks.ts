// Networks: create (provider type/physnet/segmentation defaults and clashes), update and delete (refused
// while non-DHCP ports remain; takes its subnets and DHCP ports with it). Test-only (excluded from the build).
import { randomUUID } from 'node:crypto';

import type { NeutronNetwork } from '../../neutron/types.ts';
import { checkAttributes, copy, fail, NETWORK_POST, NETWORK_PUT, NETWORK_READONLY, str, toBool, toInt, type Site } from './rules.ts';
import type { Store } from './store.ts';

function nextSegmentation(store: Store, type: string, physnet: string | null): number {
  const used = new Set(
    [...store.state.networks.values()]
      .filter((n) => n['provider:network_type'] === type && (n['provider:physical_network'] ?? null) === physnet)
      .map((n) => n['provider:segmentation_id']),
  );
  const [lo, hi] = type === 'vlan' ? [100, 200] : [1, 1000];
  for (let i = lo; i <= hi; i += 1) if (!used.has(i)) return i;
  return hi + 1;
}

export function createNetwork(store: Store, site: Site, body: Record<string, unknown>): NeutronNetwork {
  checkAttributes(site, body, NETWORK_POST, NETWORK_READONLY);
  const type = str(body['provider:network_type'], 'vxlan');
  let physnet: string | null = null;
  let seg: number | null = null;
  if (type === 'vlan' || type === 'flat') {
    physnet = str(body['provider:physical_network'], 'physnet1');
  }
  if (type === 'vlan' || type === 'vxlan') {
    if (body['provider:segmentation_id'] !== undefined && body['provider:segmentation_id'] !== null) {
      seg = toInt(site, 'provider:segmentation_id', body['provider:segmentation_id']);
      const clash = [...store.state.networks.values()].some((n) => n['provider:network_type'] === type &&
        (n['provider:physical_network'] ?? null) === physnet && n['provider:segmentation_id'] === seg);
      if (clash && type === 'vlan') {
        throw fail(site, 409, 'VlanIdInUse',
          `Unable to create the network. The VLAN ${seg} on physical network ${physnet ?? ''} is in use.`);
      }
      if (clash) {
        throw fail(site, 409, 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${seg} is in use.`);
      }
    } else {
      seg = nextSegmentation(store, type, physnet);
    }
  }
  const ts = store.now();
  const net: NeutronNetwork = {
    id: randomUUID(),
    name: str(body['name'], ''),
    tenant_id: store.owner(body),
    admin_state_up: body['admin_state_up'] === undefined ? true : toBool(site, 'admin_state_up', body['admin_state_up']),
    mtu: body['mtu'] === undefined ? (type === 'vxlan' ? 1450 : 1500) : toInt(site, 'mtu', body['mtu']),
    status: 'ACTIVE',
    subnets: [],
    shared: body['shared'] === undefined ? false : toBool(site, 'shared', body['shared']),
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    'router:external': body['router:external'] === undefined ? false : toBool(site, 'router:external', body['router:external']),
    description: str(body['description'], ''),
    port_security_enabled: body['port_security_enabled'] === undefined
      ? true : toBool(site, 'port_security_enabled', body['port_security_enabled']),
    l2_adjacency: true,
    tags: [],
    created_at: ts,
    updated_at: ts,
    revision_number: 1,
    project_id: store.owner(body),
    'provider:network_type': type,
    'provider:physical_network': physnet,
    'provider:segmentation_id': seg,
  };
  store.state.networks.set(net.id, net);
  return net;
}

export function updateNetwork(store: Store, site: Site, id: string, body: Record<string, unknown>): NeutronNetwork {
  const net = store.mustNetwork(site, id);
  checkAttributes(site, body, NETWORK_PUT, NETWORK_READONLY);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'mtu') net.mtu = toInt(site, k, v);
    else if (k === 'admin_state_up' || k === 'shared' || k === 'port_security_enabled' || k === 'router:external') {
      net[k] = toBool(site, k, v);
    } else net[k] = typeof v === 'string' ? v : copy(v);
  }
  store.touch(net);
  return net;
}

export function deleteNetwork(store: Store, site: Site, id: string): void {
  const net = store.mustNetwork(site, id);
  const ports = [...store.state.ports.values()].filter((p) => p.network_id === id);
  const blocking = ports.filter((p) => p.device_owner !== 'network:dhcp');
  if (blocking.length > 0) {
    throw fail(site, 409, 'NetworkInUse',
      `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, ` +
      `id for these ports is: ${blocking.map((p) => p.id).join(',')}.`);
  }
  for (const p of ports) store.state.ports.delete(p.id);
  for (const sid of net.subnets) store.state.subnets.delete(sid);
  store.state.networks.delete(id);
}
