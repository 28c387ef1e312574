// Public surface of the fake Neutron: its options, state, call log and FakeNeutron interface, the default
// binding hook and the extension aliases it reports by default. Test-only (excluded from the build).
import type { NeutronClient } from '../../neutron/client.ts';
import type { NeutronQosPolicy,
  NeutronAgent, NeutronNetwork, NeutronPort, NeutronQuery, NeutronSecurityGroup, NeutronSubnet, NeutronSubnetPool,
} from '../../neutron/types.ts';
import type { Clock } from '../../util/clock.ts';

export interface VifBinding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

/** Decides what a bind to `host` yields (e.g. `{vif_type:'binding_failed', vif_details:{}}` to simulate no agent). */
export type VifTypeFor = (port: NeutronPort, host: string) => VifBinding;

export interface FakeNeutronOptions {
  vifTypeFor?: VifTypeFor;
  /** project_id/tenant_id of created resources; default 'fake_project_id' (as noauth Neutron) */
  projectId?: string;
  /** loaded extension aliases; default: what the testbed's Neutron Zed reports */
  extensions?: readonly string[];
  agents?: readonly NeutronAgent[];
  /** timestamps (created_at/updated_at) */
  clock?: Clock;
}

export type FakeMethod = keyof NeutronClient;

export interface FakeNeutronCall {
  /** the NeutronClient method */
  op: FakeMethod;
  /** the HTTP method real Neutron would have seen */
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  resource: string;
  id?: string;
  tag?: string;
  body?: unknown;
  query?: NeutronQuery;
}

export interface FakeNeutronState {
  networks: Map<string, NeutronNetwork>;
  subnets: Map<string, NeutronSubnet>;
  subnetpools: Map<string, NeutronSubnetPool>;
  ports: Map<string, NeutronPort>;
  /** security groups, each holding its rules; starts with the project's `default` group */
  securityGroups: Map<string, NeutronSecurityGroup>;
  /** QoS policies (seed them directly; the testbed's Neutron has no qos extension) */
  qosPolicies: Map<string, NeutronQosPolicy>;
  agents: NeutronAgent[];
  extensions: Set<string>;
}

export interface FakeNeutron extends NeutronClient {
  /** The live state (not copies): tests may read it, seed it or poke it (e.g. a port's status). */
  readonly state: FakeNeutronState;
  /** Every client call in order, including calls that failed. */
  readonly calls: FakeNeutronCall[];
  /** Make the next `times` (default 1; Infinity = always) calls of `method` throw, before touching state. */
  failOn(method: FakeMethod, error: Error | (() => Error), times?: number): void;
  /** Drop all pending failure injections. */
  clearFailures(): void;
  /** The binding hook; may be replaced at any time. */
  vifTypeFor: VifTypeFor;
  /** Set a port's status (real Neutron only changes it on agent RPCs). */
  setPortStatus(id: string, status: string): void;
  /** Calls of one client method, for ordering assertions. */
  callsOf(op: FakeMethod): FakeNeutronCall[];
}

/** Default binding: vnic normal → linuxbridge-like `bridge`, direct → SR-IOV `hw_veb`, others fail. */
export const defaultVifTypeFor: VifTypeFor = (port) => {
  const vnic = port['binding:vnic_type'] ?? 'normal';
  if (vnic === 'normal') return { vif_type: 'bridge', vif_details: { connectivity: 'l2', port_filter: true } };
  if (vnic === 'direct') return { vif_type: 'hw_veb', vif_details: { vlan: '0' } };
  return { vif_type: 'binding_failed', vif_details: {} };
};

/** Extension aliases loaded in the testbed Neutron (Zed, sriovnicswitch+openvswitch, trunk+segments). */
export const ZED_EXTENSIONS: readonly string[] = (
  'address-group address-scope agent agent-resources-synced allowed-address-pairs availability_zone ' +
  'availability_zone_filter binding binding-extended default-subnetpools dhcp_agent_scheduler ' +
  'empty-string-filtering external-net extra_dhcp_opt filter-validation flavors ip-substring-filtering ' +
  'ip_allocation l2_adjacency multi-provider net-mtu net-mtu-writable network-ip-availability ' +
  'network_availability_zone pagination port-device-profile port-mac-address-regenerate port-mac-override ' +
  'port-numa-affinity-policy port-security port-security-groups-filtering project-id provider ' +
  'quota-check-limit quota_details quotas rbac-address-group rbac-address-scope rbac-policies ' +
  'rbac-security-groups rbac-subnetpool revision-if-match security-group security-groups-normalized-cidr ' +
  'security-groups-remote-address-group security-groups-shared-filtering segment segments-peer-subnet-host-routes ' +
  'service-type sorting standard-attr-description standard-attr-revisions standard-attr-segment standard-attr-tag ' +
  'standard-attr-timestamp stateful-security-group subnet-segmentid-writable subnet-service-types ' +
  'subnet_allocation subnet_onboard subnetpool-prefix-ops trunk trunk-details'
).split(' ');
