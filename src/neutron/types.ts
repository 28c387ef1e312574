// Neutron v2.0 wire types (snake_case, as Neutron sends them). Only the fields the plugin reads or writes
// are typed; everything else passes through untouched.

export type NeutronResource = 'networks' | 'subnets' | 'subnetpools' | 'ports' | 'security-groups' | 'security-group-rules' | 'agents';

export interface NeutronNetwork {
  id: string;
  name: string;
  admin_state_up: boolean;
  shared: boolean;
  mtu?: number;
  status?: string;
  subnets: string[];
  tags?: string[] | null;
  project_id?: string;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
  [key: string]: unknown;
}

export interface NeutronHostRoute { destination: string; nexthop: string }

export interface NeutronSubnet {
  id: string;
  name: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  subnetpool_id: string | null;
  host_routes: NeutronHostRoute[];
  tags?: string[] | null;
  [key: string]: unknown;
}

export interface NeutronSubnetPool {
  id: string;
  name: string;
  prefixes: string[];
  default_prefixlen: string | number;
  ip_version: 4 | 6;
  shared: boolean;
  tags?: string[] | null;
  [key: string]: unknown;
}

export interface NeutronFixedIp { subnet_id: string; ip_address: string }

export interface NeutronPort {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  fixed_ips: NeutronFixedIp[];
  tags?: string[] | null;
  project_id?: string;
  port_security_enabled?: boolean;
  security_groups?: string[];
  'binding:host_id'?: string;
  'binding:vif_type'?: string;
  'binding:vnic_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  'binding:profile'?: Record<string, unknown>;
  [key: string]: unknown;
}

export type NeutronEthertype = 'IPv4' | 'IPv6';

export interface NeutronSecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: NeutronEthertype;
  /** a protocol name (tcp, udp, icmp, ...), a number as a string, or null for any */
  protocol: string | null;
  /** tcp/udp: first port; icmp: the ICMP type */
  port_range_min: number | null;
  /** tcp/udp: last port; icmp: the ICMP code */
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description?: string;
  project_id?: string;
  [key: string]: unknown;
}

export interface NeutronSecurityGroup {
  id: string;
  name: string;
  description: string;
  security_group_rules: NeutronSecurityGroupRule[];
  tags?: string[] | null;
  project_id?: string;
  stateful?: boolean;
  [key: string]: unknown;
}

/** a QoS policy with its rules (Neutron's qos extension); only what an SR-IOV VF can enforce is read */
export interface NeutronQosPolicy {
  id: string;
  name?: string;
  rules: { type: string; max_kbps?: number; min_kbps?: number; direction?: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

export interface NeutronAgent {
  id: string;
  agent_type: string;
  binary: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  configurations: Record<string, unknown>;
  [key: string]: unknown;
}

/** Query filters: a repeated key (e.g. fixed_ips) is given as an array. */
export type NeutronQuery = Record<string, string | number | boolean | readonly string[] | undefined>;
