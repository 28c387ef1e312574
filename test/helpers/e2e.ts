// Small helpers shared by the end-to-end scenario files (fullstack, parity, dockerd restart): typed Neutron
// reads, in-container interface facts, polling, and a clean-up list that runs everything even when a step fails.
import { docker, neutronGet, neutronSend, type Testbed, inNetns } from './testbed.ts';

export interface NeutronNet { id: string; name: string; tags: string[]; shared: boolean; status: string }
export interface NeutronSubnet { id: string; name: string; cidr: string; ip_version: number; gateway_ip: string | null;
  network_id: string; subnetpool_id: string | null; tags: string[] }
export interface NeutronPool { id: string; name: string; prefixes: string[]; default_prefixlen: number | string; tags: string[] }
export interface NeutronPort { id: string; name: string; network_id: string; mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[]; tags: string[]; device_owner: string; device_id: string;
  status: string; 'binding:host_id': string; 'binding:vif_type': string; admin_state_up: boolean }

const q = encodeURIComponent;

export async function getNetworks(tb: Testbed, query: string): Promise<NeutronNet[]> {
  return (await neutronGet<{ networks: NeutronNet[] }>(tb, `networks?${query}`)).networks;
}
export async function getSubnets(tb: Testbed, query: string): Promise<NeutronSubnet[]> {
  return (await neutronGet<{ subnets: NeutronSubnet[] }>(tb, `subnets?${query}`)).subnets;
}
export async function getPools(tb: Testbed, query: string): Promise<NeutronPool[]> {
  return (await neutronGet<{ subnetpools: NeutronPool[] }>(tb, `subnetpools?${query}`)).subnetpools;
}
export async function getPorts(tb: Testbed, query: string): Promise<NeutronPort[]> {
  return (await neutronGet<{ ports: NeutronPort[] }>(tb, `ports?${query}`)).ports;
}
export async function getPort(tb: Testbed, id: string): Promise<NeutronPort | undefined> {
  return (await getPorts(tb, `id=${id}`))[0];
}
export async function poolsNamed(tb: Testbed, name: string): Promise<NeutronPool[]> {
  return getPools(tb, `name=${q(name)}`);
}
export async function subnetsNamed(tb: Testbed, name: string): Promise<NeutronSubnet[]> {
  return getSubnets(tb, `name=${q(name)}`);
}

/** the `tags=` value that finds the Neutron network/port of a Docker network/endpoint id (kuryr's lh/uh tags) */
export function idTags(dockerId: string): string[] {
  return [`kuryr.net.uuid.lh:${dockerId.slice(0, 32)}`, `kuryr.net.uuid.uh:${dockerId.slice(32, 64)}`];
}
export async function networksForDocker(tb: Testbed, dockerNetId: string): Promise<NeutronNet[]> {
  return getNetworks(tb, `tags=${q(idTags(dockerNetId).join(','))}`);
}
export async function portsForEndpoint(tb: Testbed, endpointId: string): Promise<NeutronPort[]> {
  return getPorts(tb, `tags=${q(idTags(endpointId).join(','))}`);
}
/** ports on a network, DHCP ports left out (the testbed has no DHCP agent, but a FAKE_DHCP run would add them) */
export async function nonDhcpPorts(tb: Testbed, networkId: string): Promise<NeutronPort[]> {
  return (await getPorts(tb, `network_id=${networkId}`)).filter((p) => p.device_owner !== 'network:dhcp');
}
/** tags put on Neutron objects by kuryr (ours or the Python plugin's) */
export function kuryrTags(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith('kuryr.') || t === 'compute:kuryr');
}

export async function create<T>(tb: Testbed, kind: 'networks' | 'subnets' | 'ports' | 'subnetpools', body: Record<string, unknown>): Promise<T> {
  const singular = kind.slice(0, -1);
  const r = await neutronSend(tb, 'POST', kind, { [singular]: body }) as Record<string, T>;
  return r[singular]!;
}
export async function deleteIfExists(tb: Testbed, kind: 'networks' | 'subnets' | 'ports' | 'subnetpools', id: string): Promise<void> {
  const res = await fetch(`${tb.neutronUrl}/v2.0/${kind}/${id}`, { method: 'DELETE' });
  if (!res.ok && res.status !== 404) throw new Error(`DELETE ${kind}/${id}: ${res.status} ${await res.text()}`);
}
export async function addTag(tb: Testbed, kind: 'networks' | 'subnets' | 'ports' | 'subnetpools', id: string, tag: string): Promise<void> {
  await neutronSend(tb, 'PUT', `${kind}/${id}/tags/${q(tag)}`);
}

export interface DockerEndpoint { EndpointID: string; IPAddress: string; GlobalIPv6Address: string; MacAddress: string; NetworkID: string }
export async function endpointOf(tb: Testbed, container: string, net: string): Promise<DockerEndpoint> {
  const inspect = JSON.parse((await docker(tb, ['inspect', container])).stdout) as
    { NetworkSettings: { Networks: Record<string, DockerEndpoint> } }[];
  const ep = inspect[0]?.NetworkSettings.Networks[net];
  if (ep === undefined) throw new Error(`container ${container} is not on network ${net}`);
  return ep;
}
export async function dockerNetworkId(tb: Testbed, net: string): Promise<string> {
  return (await docker(tb, ['network', 'inspect', '-f', '{{.Id}}', net])).stdout;
}

/** what the container sees on one interface: its MAC and its global addresses (without prefix length) */
export async function ifaceIn(tb: Testbed, container: string, ifname: string): Promise<{ mac: string; v4: string[]; v6: string[]; mtu: number }> {
  const link = (await inNetns(tb, container, ['ip', '-o', 'link', 'show', ifname])).stdout;
  const addr = (await inNetns(tb, container, ['ip', '-o', 'addr', 'show', ifname])).stdout;
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(link)?.[1] ?? '';
  const mtu = Number(/ mtu (\d+)/.exec(link)?.[1] ?? 0);
  const v4 = [...addr.matchAll(/inet ([0-9.]+)\//g)].map((m) => m[1]!);
  const v6 = [...addr.matchAll(/inet6 ([0-9a-f:]+)\/\d+ scope global/g)].map((m) => m[1]!);
  return { mac, v4, v6, mtu };
}

export async function ping(tb: Testbed, container: string, ip: string): Promise<string> {
  const r = await inNetns(tb, container, ['ping', '-c', '2', '-W', '2', ip], { allowFail: true });
  return r.stdout + r.stderr;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, stepMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** clean-up steps run last-in first-out; every step runs even if an earlier one throws; errors are reported */
export class Cleanup {
  private steps: { label: string; fn: () => Promise<unknown> }[] = [];
  add(label: string, fn: () => Promise<unknown>): void { this.steps.push({ label, fn }); }
  async run(): Promise<string[]> {
    const errors: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try { await step.fn(); } catch (e) { errors.push(`${step.label}: ${e instanceof Error ? e.message : String(e)}`); }
    }
    if (errors.length > 0) console.error(`clean-up problems:\n  ${errors.join('\n  ')}`);
    return errors;
  }
}

/** a unique short suffix for names in one test file */
export function suffix(): string {
  return Math.random().toString(16).slice(2, 8);
}
