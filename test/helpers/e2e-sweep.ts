// Safety net for the end-to-end files: after a failed run, remove what the plugin should have removed itself
// (so a plugin bug in one file does not leave pools or networks that trip the next run). Tests still assert on
// the plugin's own clean-up before this runs; this only deletes resources tied to this file's Docker networks
// and CIDRs.
import { deleteIfExists, getNetworks, getPools, getPorts, getSubnets, idTags, type NeutronNet } from './e2e.ts';
import { neutronSend, type Testbed } from './testbed.ts';

/** delete a Neutron network with every port on it (its subnets go with it) */
export async function deleteNetworkDeep(tb: Testbed, networkId: string): Promise<void> {
  for (const p of await getPorts(tb, `network_id=${networkId}`)) await deleteIfExists(tb, 'ports', p.id);
  await deleteIfExists(tb, 'networks', networkId);
}

export async function sweepKuryrLeftovers(tb: Testbed, dockerNetIds: readonly string[], cidrs: readonly string[]): Promise<void> {
  const left: string[] = [];
  for (const id of dockerNetIds) {
    const nets: NeutronNet[] = await getNetworks(tb, `tags=${encodeURIComponent(idTags(id).join(','))}`);
    for (const net of nets) {
      if (net.tags.some((t) => t.startsWith('kuryr.net.existing:'))) {
        for (const t of net.tags.filter((x) => x.startsWith('kuryr.'))) {
          await neutronSend(tb, 'DELETE', `networks/${net.id}/tags/${encodeURIComponent(t)}`).catch(() => undefined);
        }
        left.push(`tags on adopted network ${net.id}`);
      } else {
        await deleteNetworkDeep(tb, net.id);
        left.push(`network ${net.id}`);
      }
    }
  }
  for (const cidr of cidrs) {
    for (const pool of await getPools(tb, `name=${encodeURIComponent(`kuryrPool-${cidr}`)}`)) {
      for (const s of await getSubnets(tb, `subnetpool_id=${pool.id}`)) {
        for (const p of await getPorts(tb, `network_id=${s.network_id}`)) await deleteIfExists(tb, 'ports', p.id).catch(() => undefined);
        await deleteIfExists(tb, 'subnets', s.id).catch(() => undefined);
      }
      await deleteIfExists(tb, 'subnetpools', pool.id).catch(() => undefined);
      left.push(`pool ${pool.name}`);
    }
  }
  if (left.length > 0) console.error(`sweep removed leftovers the plugin did not: ${left.join('; ')}`);
}
