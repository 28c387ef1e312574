// createFakeNeutron: the NeutronClient methods over the shared store, with the call log and failure
// injection (checked before any state is touched), tag add/remove, extensions and agents; resource
// rules live in networks / subnets / ports / securitygroups, list matching in filters. Test-only (excluded from the build).
import type { TaggableResource } from '../../neutron/client.ts';
import type { NeutronQuery } from '../../neutron/types.ts';
import { filterList, tagsOf } from './filters.ts';
import { createNetwork, deleteNetwork, updateNetwork } from './networks.ts';
import { createPort, updatePort } from './ports.ts';
import {
  copy, fail, NETWORK_FIELDS, POOL_FIELDS, PORT_FIELDS, SECURITY_GROUP_FIELDS, SUBNET_FIELDS, type Site,
} from './rules.ts';
import { createSecurityGroup, createSecurityGroupRule, deleteSecurityGroup } from './securitygroups.ts';
import { createStore } from './store.ts';
import { createSubnet, createSubnetPool, deleteSubnet, deleteSubnetPool } from './subnets.ts';
import {
  defaultVifTypeFor, type FakeMethod, type FakeNeutron, type FakeNeutronCall, type FakeNeutronOptions,
} from './types.ts';

type Taggable = { tags?: string[] | null; [k: string]: unknown };

export function createFakeNeutron(opts: FakeNeutronOptions = {}): FakeNeutron {
  const store = createStore(opts, (port, host) => self.vifTypeFor(port, host));
  const { state } = store;
  const calls: FakeNeutronCall[] = [];
  const failures = new Map<FakeMethod, { error: Error | (() => Error); remaining: number }[]>();

  /** Logs the call, then throws if a failure was injected for it. */
  function record(call: FakeNeutronCall): void {
    const entry: FakeNeutronCall = { op: call.op, method: call.method, resource: call.resource };
    if (call.id !== undefined) entry.id = call.id;
    if (call.tag !== undefined) entry.tag = call.tag;
    if (call.body !== undefined) entry.body = copy(call.body);
    if (call.query !== undefined) entry.query = copy(call.query);
    calls.push(entry);
    const queue = failures.get(call.op);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    throw typeof next.error === 'function' ? next.error() : next.error;
  }

  function taggable(resource: TaggableResource): Map<string, Taggable> {
    switch (resource) {
      case 'networks': return state.networks;
      case 'subnets': return state.subnets;
      case 'subnetpools': return state.subnetpools;
      case 'ports': return state.ports;
      default: {
        const never: never = resource;
        throw new Error(`unknown resource ${String(never)}`);
      }
    }
  }

  // -- one shape per HTTP verb: log the call, then act on the site real Neutron would have served ---------

  const col = (resource: string): string => `/v2.0/${resource}`;
  const one = (resource: string, id: string): string => `/v2.0/${resource}/${id}`;

  function list<T extends Taggable>(
    op: FakeMethod, resource: string, q: NeutronQuery | undefined, items: Iterable<T>, fields: ReadonlySet<string>,
    extra?: ReadonlySet<string>,
  ): T[] {
    record({ op, method: 'GET', resource, ...(q === undefined ? {} : { query: q }) });
    return filterList({ method: 'GET', path: col(resource) }, items, q, fields, extra);
  }
  function get<T>(op: FakeMethod, resource: string, id: string, must: (site: Site, id: string) => T): T {
    record({ op, method: 'GET', resource, id });
    return copy(must({ method: 'GET', path: one(resource, id) }, id));
  }
  function post<T>(op: FakeMethod, resource: string, body: Record<string, unknown>, make: (site: Site, body: Record<string, unknown>) => T): T {
    record({ op, method: 'POST', resource, body });
    return copy(make({ method: 'POST', path: col(resource) }, copy(body)));
  }
  function put<T>(
    op: FakeMethod, resource: string, id: string, body: Record<string, unknown>,
    change: (site: Site, id: string, body: Record<string, unknown>) => T,
  ): T {
    record({ op, method: 'PUT', resource, id, body });
    return copy(change({ method: 'PUT', path: one(resource, id) }, id, copy(body)));
  }
  function del(op: FakeMethod, resource: string, id: string, remove: (site: Site, id: string) => void): void {
    record({ op, method: 'DELETE', resource, id });
    remove({ method: 'DELETE', path: one(resource, id) }, id);
  }
  /** Logs a tag call and finds the tagged object (404 TagResourceNotFound when there is none). */
  function tagTarget(
    op: 'addTag' | 'removeTag', method: 'PUT' | 'DELETE', resource: TaggableResource, id: string, tag: string,
  ): { site: Site; obj: Taggable; tags: string[] } {
    record({ op, method, resource, id, tag });
    const site: Site = { method, path: `${one(resource, id)}/tags/${encodeURIComponent(tag)}` };
    const obj = taggable(resource).get(id);
    if (obj === undefined) throw fail(site, 404, 'TagResourceNotFound', `Resource ${resource} ${id} could not be found.`);
    return { site, obj, tags: tagsOf(obj) };
  }

  const self: FakeNeutron = {
    state,
    calls,
    vifTypeFor: opts.vifTypeFor ?? defaultVifTypeFor,

    failOn(method, error, times = 1) {
      const queue = failures.get(method) ?? [];
      queue.push({ error, remaining: times });
      failures.set(method, queue);
    },
    clearFailures() {
      failures.clear();
    },
    setPortStatus(id, status) {
      const p = state.ports.get(id);
      if (p === undefined) throw new Error(`fake neutron: no port ${id}`);
      p.status = status;
    },
    callsOf(op) {
      return calls.filter((c) => c.op === op);
    },

    listNetworks: async (q) => list('listNetworks', 'networks', q, state.networks.values(), NETWORK_FIELDS),
    getNetwork: async (id) => get('getNetwork', 'networks', id, store.mustNetwork),
    createNetwork: async (body) => post('createNetwork', 'networks', body, (site, b) => createNetwork(store, site, b)),
    updateNetwork: async (id, body) => put('updateNetwork', 'networks', id, body, (site, i, b) => updateNetwork(store, site, i, b)),
    deleteNetwork: async (id) => del('deleteNetwork', 'networks', id, (site, i) => deleteNetwork(store, site, i)),

    listSubnets: async (q) => list('listSubnets', 'subnets', q, state.subnets.values(), SUBNET_FIELDS),
    getSubnet: async (id) => get('getSubnet', 'subnets', id, store.mustSubnet),
    createSubnet: async (body) => post('createSubnet', 'subnets', body, (site, b) => createSubnet(store, site, b)),
    deleteSubnet: async (id) => del('deleteSubnet', 'subnets', id, (site, i) => deleteSubnet(store, site, i)),

    listSubnetPools: async (q) => list('listSubnetPools', 'subnetpools', q, state.subnetpools.values(), POOL_FIELDS),
    getSubnetPool: async (id) => get('getSubnetPool', 'subnetpools', id, store.mustPool),
    createSubnetPool: async (body) => post('createSubnetPool', 'subnetpools', body, (site, b) => createSubnetPool(store, site, b)),
    deleteSubnetPool: async (id) => del('deleteSubnetPool', 'subnetpools', id, (site, i) => deleteSubnetPool(store, site, i)),

    listPorts: async (q) => list('listPorts', 'ports', q, state.ports.values(), PORT_FIELDS, new Set(['fixed_ips'])),
    getPort: async (id) => get('getPort', 'ports', id, store.mustPort),
    createPort: async (body) => post('createPort', 'ports', body, (site, b) => createPort(store, site, b)),
    updatePort: async (id, body) => put('updatePort', 'ports', id, body, (site, i, b) => updatePort(store, site, i, b)),
    deletePort: async (id) => del('deletePort', 'ports', id, (site, i) => {
      store.mustPort(site, i);
      state.ports.delete(i);
    }),

    listSecurityGroups: async (q) =>
      list('listSecurityGroups', 'security-groups', q, state.securityGroups.values(), SECURITY_GROUP_FIELDS),
    createSecurityGroup: async (body) =>
      post('createSecurityGroup', 'security-groups', body, (site, b) => createSecurityGroup(store, site, b)),
    deleteSecurityGroup: async (id) =>
      del('deleteSecurityGroup', 'security-groups', id, (site, i) => deleteSecurityGroup(store, site, i)),
    createSecurityGroupRule: async (body) =>
      post('createSecurityGroupRule', 'security-group-rules', body, (site, b) => createSecurityGroupRule(store, site, b)),

    async addTag(resource, id, tag) {
      const { obj, tags } = tagTarget('addTag', 'PUT', resource, id, tag);
      if (!tags.includes(tag)) {
        obj.tags = [...tags, tag].sort();
        store.touch(obj);
      }
    },
    async removeTag(resource, id, tag) {
      const { site, obj, tags } = tagTarget('removeTag', 'DELETE', resource, id, tag);
      if (!tags.includes(tag)) throw fail(site, 404, 'TagNotFound', `Tag ${tag} could not be found.`);
      obj.tags = tags.filter((t) => t !== tag);
      store.touch(obj);
    },

    async hasExtension(alias) {
      record({ op: 'hasExtension', method: 'GET', resource: 'extensions', id: alias });
      return state.extensions.has(alias);
    },
    async getQosPolicy(id) {
      return get('getQosPolicy', 'qos/policies', id, (site, i) => {
        const p = state.qosPolicies.get(i);
        if (p === undefined) throw fail(site, 404, 'QosPolicyNotFound', `QoS policy ${i} could not be found.`);
        return p;
      });
    },
    async listAgents(q) {
      const fields = new Set(state.agents.flatMap((a) => Object.keys(a)));
      for (const f of ['id', 'agent_type', 'binary', 'host', 'alive', 'admin_state_up', 'topic']) fields.add(f);
      return list('listAgents', 'agents', q, state.agents, fields);
    },
  };
  return self;
}
