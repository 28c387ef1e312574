// Ports: create and update with MAC generation/validation, vnic types, fixed-IP allocation, security groups
// (existing ones only, none without port security) and binding through the hook (vif_type/vif_details); a
// failed update leaves the port unchanged. Test-only (excluded from the build).
import { randomBytes, randomUUID } from 'node:crypto';

import type { NeutronPort } from '../../neutron/types.ts';
import { allocateFixedIps } from './ip-alloc.ts';
import {
  asRecord, checkAttributes, copy, fail, MAC_RE, PORT_POST, PORT_PUT, PORT_READONLY, required, str, toBool, VNIC_TYPES, type Site,
} from './rules.ts';
import { checkPortSecurityGroups } from './securitygroups.ts';
import type { Store } from './store.ts';

function macInUse(store: Store, networkId: string, mac: string, exceptPort?: string): boolean {
  return [...store.state.ports.values()].some((p) => p.network_id === networkId && p.id !== exceptPort && p.mac_address === mac);
}

function generateMac(store: Store, networkId: string): string {
  for (;;) {
    const mac = `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    if (!macInUse(store, networkId, mac)) return mac;
  }
}

function checkMac(store: Store, site: Site, networkId: string, raw: unknown, exceptPort?: string): string {
  if (typeof raw !== 'string' || !MAC_RE.test(raw)) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for mac_address. Reason: '${String(raw)}' is not a valid MAC address.`);
  }
  const mac = raw.toLowerCase();
  if (macInUse(store, networkId, mac, exceptPort)) {
    throw fail(site, 409, 'MacAddressInUse',
      `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
  }
  return mac;
}

function checkVnic(site: Site, raw: unknown): string {
  if (typeof raw !== 'string' || !VNIC_TYPES.has(raw)) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for binding:vnic_type. Reason: ${String(raw)} is not in valid_values.`);
  }
  return raw;
}

function rebind(store: Store, port: NeutronPort): void {
  const host = port['binding:host_id'] ?? '';
  if (host === '') {
    port['binding:vif_type'] = 'unbound';
    port['binding:vif_details'] = {};
    return;
  }
  const result = store.bind(copy(port), host);
  port['binding:vif_type'] = result.vif_type;
  port['binding:vif_details'] = copy(result.vif_details);
}

function portSecurityRequired(site: Site): Error {
  return fail(site, 400, 'PortSecurityAndIPRequiredForSecurityGroups',
    'Port security must be enabled and port must have an IP address in order to use security groups.');
}

function isBound(port: NeutronPort): boolean {
  const t = port['binding:vif_type'] ?? 'unbound';
  return t !== 'unbound' && t !== 'binding_failed';
}

export function createPort(store: Store, site: Site, body: Record<string, unknown>): NeutronPort {
  checkAttributes(site, body, PORT_POST, PORT_READONLY);
  required(site, body, 'network_id');
  const net = store.mustNetwork(site, str(body['network_id'], ''));
  const vnic = body['binding:vnic_type'] === undefined ? 'normal' : checkVnic(site, body['binding:vnic_type']);
  const mac = body['mac_address'] === undefined ? generateMac(store, net.id) : checkMac(store, site, net.id, body['mac_address']);
  const portSecurity = body['port_security_enabled'] === undefined
    ? net['port_security_enabled'] !== false : toBool(site, 'port_security_enabled', body['port_security_enabled']);
  // Neutron gives the default group only to ports with port security; naming groups without it is refused
  const securityGroups = body['security_groups'] === undefined || body['security_groups'] === null
    ? (portSecurity ? [store.defaultSecurityGroup] : [])
    : checkPortSecurityGroups(store, site, body['security_groups']);
  if (!portSecurity && securityGroups.length > 0) throw portSecurityRequired(site);
  const fixedIps = allocateFixedIps(store, site, net, body['fixed_ips'], [], undefined);
  const ts = store.now();
  const port: NeutronPort = {
    id: randomUUID(),
    name: str(body['name'], ''),
    network_id: net.id,
    tenant_id: store.owner(body),
    mac_address: mac,
    admin_state_up: body['admin_state_up'] === undefined ? true : toBool(site, 'admin_state_up', body['admin_state_up']),
    status: 'DOWN',
    device_id: str(body['device_id'], ''),
    device_owner: str(body['device_owner'], ''),
    fixed_ips: fixedIps,
    allowed_address_pairs: Array.isArray(body['allowed_address_pairs']) ? copy(body['allowed_address_pairs']) : [],
    extra_dhcp_opts: Array.isArray(body['extra_dhcp_opts']) ? copy(body['extra_dhcp_opts']) : [],
    security_groups: securityGroups,
    description: str(body['description'], ''),
    'binding:vnic_type': vnic,
    'binding:profile': copy(asRecord(body['binding:profile'])),
    'binding:host_id': str(body['binding:host_id'], ''),
    'binding:vif_type': 'unbound',
    'binding:vif_details': {},
    port_security_enabled: portSecurity,
    ip_allocation: 'immediate',
    tags: [],
    created_at: ts,
    updated_at: ts,
    revision_number: 1,
    project_id: store.owner(body),
  };
  rebind(store, port);
  store.state.ports.set(port.id, port);
  return port;
}

export function updatePort(store: Store, site: Site, id: string, body: Record<string, unknown>): NeutronPort {
  const port = store.mustPort(site, id);
  checkAttributes(site, body, PORT_PUT, PORT_READONLY);
  // validate everything before changing anything: a failed PUT leaves the port as it was
  const next = copy(port);
  if (body['mac_address'] !== undefined) {
    const mac = checkMac(store, site, port.network_id, body['mac_address'], port.id);
    if (mac !== port.mac_address && isBound(port)) {
      throw fail(site, 409, 'PortBound',
        `Unable to complete operation on port ${port.id}, port is already bound, port type: ` +
        `${port['binding:vif_type'] ?? ''}, old_mac ${port.mac_address}, new_mac ${mac}.`);
    }
    next.mac_address = mac;
  }
  if (body['fixed_ips'] !== undefined) {
    next.fixed_ips = allocateFixedIps(store, site, store.mustNetwork(site, port.network_id), body['fixed_ips'], port.fixed_ips, port.id);
  }
  if (body['binding:vnic_type'] !== undefined) next['binding:vnic_type'] = checkVnic(site, body['binding:vnic_type']);
  if (body['binding:profile'] !== undefined) {
    next['binding:profile'] = copy(asRecord(body['binding:profile']));
  }
  if (body['binding:host_id'] !== undefined) next['binding:host_id'] = str(body['binding:host_id'], '');
  for (const k of ['admin_state_up', 'port_security_enabled'] as const) {
    if (body[k] !== undefined) next[k] = toBool(site, k, body[k]);
  }
  for (const k of ['name', 'device_id', 'device_owner', 'description'] as const) {
    if (body[k] !== undefined) next[k] = str(body[k], '');
  }
  for (const k of ['allowed_address_pairs', 'extra_dhcp_opts'] as const) {
    if (body[k] !== undefined) next[k] = copy(body[k]) as never;
  }
  if (body['security_groups'] !== undefined) next.security_groups = checkPortSecurityGroups(store, site, body['security_groups'] ?? []);
  if (next.port_security_enabled === false && (next.security_groups ?? []).length > 0) {
    if (body['port_security_enabled'] !== undefined && body['security_groups'] === undefined) {
      throw fail(site, 409, 'PortSecurityPortHasSecurityGroup',
        'Port has security group associated. Cannot disable port security or IP address until security group is removed.');
    }
    throw portSecurityRequired(site);
  }
  const bindingTouched = ['binding:host_id', 'binding:vnic_type', 'binding:profile'].some((k) => body[k] !== undefined);
  if (bindingTouched) rebind(store, next);
  store.touch(next);
  store.state.ports.set(port.id, next);
  return next;
}
