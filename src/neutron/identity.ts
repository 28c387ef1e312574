// How Docker objects are tied to Neutron resources, chosen once at start-up. With Neutron's standard-attr-tag
// extension (every Neutron since Queens) resources carry kuryr's tags; without it the plugin falls back to
// upstream's names (a network named after the Docker network id, ports named `<endpoint id>-port`), where tag
// writes are no-ops and adopting pre-existing resources — which needs markers — is refused rather than done
// destructively (upstream renamed, then deleted, adopted networks in that mode).
import { PluginError } from '../errors.ts';
import type { NeutronClient, TaggableResource } from './client.ts';
import { dockerIdFilter, endpointPortName, networkName } from './naming.ts';
import type { NeutronQuery } from './types.ts';

export interface Identity {
  readonly tags: boolean;
  networkQuery(dockerNetworkId: string): NeutronQuery;
  networkName(dockerNetworkId: string): string;
  endpointPortQuery(endpointId: string): NeutronQuery;
  /** add a tag (no-op without tag support) */
  tag(neutron: NeutronClient, resource: TaggableResource, id: string, tag: string): Promise<void>;
  /** remove a tag (no-op without tag support) */
  untag(neutron: NeutronClient, resource: TaggableResource, id: string, tag: string): Promise<void>;
  /** refuse a feature that needs ownership markers when Neutron cannot store them */
  requireTags(feature: string): void;
}

export const tagIdentity: Identity = {
  tags: true,
  networkQuery: (id) => ({ tags: dockerIdFilter(id) }),
  networkName,
  endpointPortQuery: (id) => ({ tags: dockerIdFilter(id) }),
  tag: (neutron, resource, id, tag) => neutron.addTag(resource, id, tag),
  untag: (neutron, resource, id, tag) => neutron.removeTag(resource, id, tag),
  requireTags: () => undefined,
};

export const nameIdentity: Identity = {
  tags: false,
  networkQuery: (id) => ({ name: id }),
  networkName: (id) => id,
  endpointPortQuery: (id) => ({ name: endpointPortName(id) }),
  tag: async () => undefined,
  untag: async () => undefined,
  requireTags(feature) {
    throw new PluginError('ERR_UNSUPPORTED',
      `${feature} needs Neutron's standard-attr-tag extension, which this Neutron does not offer`);
  },
};
