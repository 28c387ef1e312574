// The fake Neutron's shared state (seeded with the project's `default` security group) and what every
// resource module needs from it: timestamps, revision bumps, the owning project, 404-raising lookups and the
// current binding hook. Test-only (excluded from the build).
import { randomUUID } from 'node:crypto';

import type { NeutronNetwork, NeutronPort, NeutronSubnet, NeutronSubnetPool } from '../../neutron/types.ts';
import { systemClock } from '../../util/clock.ts';
import { copy, fail, str, type Site } from './rules.ts';
import { seedDefaultSecurityGroup } from './securitygroups.ts';
import { ZED_EXTENSIONS, type FakeNeutronOptions, type FakeNeutronState, type VifBinding } from './types.ts';

export interface Store {
  readonly state: FakeNeutronState;
  readonly projectId: string;
  /** the security group ports get when they name none (the project's `default` group, in state) */
  readonly defaultSecurityGroup: string;
  /** an ISO timestamp without milliseconds, as Neutron writes them */
  now(): string;
  /** bump revision_number and updated_at */
  touch(obj: Record<string, unknown>): void;
  /** project_id/tenant_id for a new resource: the body's, else the fake's project */
  owner(body: Record<string, unknown>): string;
  mustNetwork(site: Site, id: string): NeutronNetwork;
  mustSubnet(site: Site, id: string): NeutronSubnet;
  mustPool(site: Site, id: string): NeutronSubnetPool;
  mustPort(site: Site, id: string): NeutronPort;
  /** asks the binding hook in force right now */
  bind(port: NeutronPort, host: string): VifBinding;
}

export function createStore(opts: FakeNeutronOptions, bind: Store['bind']): Store {
  const clock = opts.clock ?? systemClock;
  const projectId = opts.projectId ?? 'fake_project_id';
  const defaultSecurityGroup = randomUUID();
  const state: FakeNeutronState = {
    networks: new Map(),
    subnets: new Map(),
    subnetpools: new Map(),
    ports: new Map(),
    securityGroups: new Map(),
    qosPolicies: new Map(),
    agents: (opts.agents ?? []).map((a) => copy(a)),
    extensions: new Set(opts.extensions ?? ZED_EXTENSIONS),
  };

  function now(): string {
    return new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  const store: Store = {
    state,
    projectId,
    defaultSecurityGroup,
    now,
    touch(obj) {
      obj.revision_number = (typeof obj.revision_number === 'number' ? obj.revision_number : 0) + 1;
      obj.updated_at = now();
    },
    owner: (body) => str(body['project_id'] ?? body['tenant_id'], projectId),
    mustNetwork(site, id) {
      const n = state.networks.get(id);
      if (n === undefined) throw fail(site, 404, 'NetworkNotFound', `Network ${id} could not be found.`);
      return n;
    },
    mustSubnet(site, id) {
      const s = state.subnets.get(id);
      if (s === undefined) throw fail(site, 404, 'SubnetNotFound', `Subnet ${id} could not be found.`);
      return s;
    },
    mustPool(site, id) {
      const p = state.subnetpools.get(id);
      if (p === undefined) throw fail(site, 404, 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`);
      return p;
    },
    mustPort(site, id) {
      const p = state.ports.get(id);
      if (p === undefined) throw fail(site, 404, 'PortNotFound', `Port ${id} could not be found.`);
      return p;
    },
    bind,
  };
  seedDefaultSecurityGroup(store, defaultSecurityGroup);
  return store;
}
