// Doctor checks against Neutron: `neutron.api` (reachable and the credentials accepted; the target is shown
// without credentials), the API extensions the plugin relies on (`neutron.ext.*`), and for SR-IOV the NIC
// Switch agent of this host (`sriov.agent`) and whether its device_mappings agree with ours (`sriov.mappings`).
// Pure over the injected DoctorNeutron.
import type { KuryrConfig } from '../config/types.ts';
import { isPluginError } from '../errors.ts';
import type { NeutronAgent } from '../neutron/types.ts';
import { check, type CheckResult, type DoctorNeutron } from './types.ts';

export const NIC_SWITCH_AGENT = 'NIC Switch agent';

interface ExtensionRule { alias: string; missing: 'fail' | 'warn'; why: string; fix: string }

const EXTENSIONS: readonly ExtensionRule[] = [
  { alias: 'subnet_allocation', missing: 'fail', why: 'subnetpools (every Docker network and the IPAM driver use them)',
    fix: 'enable subnet allocation in neutron-server (it is part of the core plugin in every supported release)' },
  { alias: 'binding', missing: 'fail', why: 'binding:host_id / binding:vif_type (ports cannot be bound to this host without it)',
    fix: 'use an ML2 (or other port-binding) core plugin in neutron-server' },
  { alias: 'standard-attr-tag', missing: 'warn',
    why: 'tags: without them the plugin identifies its resources by name (upstream\'s fallback, "names mode")',
    fix: 'enable the tag extension (service_plugins / standard-attr-tag) in neutron-server for tag-based identity' },
];

const TRUNK_RULE: ExtensionRule = { alias: 'trunk', missing: 'fail', why: 'trunk subports (the nested/vlan port drivers)',
  fix: 'add trunk to [DEFAULT] service_plugins in neutron.conf' };

function describeError(err: unknown): string {
  if (isPluginError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** `neutron.api` then `neutron.ext.*`; when Neutron cannot be used the rest is skipped. */
export async function checkNeutronApi(neutron: DoctorNeutron, config: KuryrConfig): Promise<{ results: CheckResult[]; usable: boolean }> {
  const target = `target: ${neutron.describe()}`;
  const results: CheckResult[] = [];
  const rules = [...EXTENSIONS];
  const nested = config.default.enabledPortDrivers.filter((d) => d === 'nested' || d === 'vlan');
  if (nested.length > 0) rules.push(TRUNK_RULE);

  const found = new Map<string, boolean>();
  try {
    // the first call authenticates (Keystone) and reaches Neutron: it is the reachability probe
    found.set(rules[0]!.alias, await neutron.hasExtension(rules[0]!.alias));
  } catch (err) {
    const code = isPluginError(err) ? err.code : undefined;
    const [summary, fix] =
      code === 'ERR_NEUTRON_AUTH' ? ['Keystone refused the credentials (authentication failed)',
        'check [neutron] username/user_id, password (or the application credential), project and domains against Keystone; the password is never printed']
      : code === 'ERR_NEUTRON_FORBIDDEN' ? ['Neutron refused the request (policy): the user lacks a role',
        'give the [neutron] user a role Neutron\'s policy accepts for ports, networks and agents (usually admin or service)']
      : code === 'ERR_NEUTRON_UNAVAILABLE' ? ['Neutron (or Keystone) is not reachable',
        'start neutron-server / keystone, or correct [neutron] endpoint_override / auth_url / the catalog\'s network endpoint']
      : code === 'ERR_NEUTRON_NOT_FOUND' ? ['the Neutron URL answers 404 for the v2.0 API',
        'point [neutron] endpoint_override (or the catalog) at the Neutron API root, e.g. http://controller:9696']
      : [`Neutron could not be used (${code ?? 'unexpected error'})`, 'see the evidence; docs/errors.md explains the code'];
    results.push(check('neutron.api', 'fail', summary, [target, describeError(err)], fix));
    for (const r of rules) results.push(check(`neutron.ext.${r.alias}`, 'skip', 'not checked: Neutron cannot be used'));
    if (nested.length === 0) results.push(check(`neutron.ext.${TRUNK_RULE.alias}`, 'skip', 'not needed: no nested port driver is enabled'));
    return { results, usable: false };
  }
  results.push(check('neutron.api', 'ok', 'Neutron answered and accepted the credentials', [target, `auth_type: ${config.neutron.auth.type}`]));

  for (const r of rules) {
    const id = `neutron.ext.${r.alias}`;
    let has = found.get(r.alias);
    try {
      has ??= await neutron.hasExtension(r.alias);
    } catch (err) {
      results.push(check(id, 'fail', `could not ask Neutron for the ${r.alias} extension`,
        [`GET /v2.0/extensions/${r.alias}`, describeError(err)], 'see the evidence; docs/errors.md explains the code'));
      continue;
    }
    const evidence = [`GET /v2.0/extensions/${r.alias} → ${has ? 'present' : '404 (not loaded)'}`, `needed for ${r.why}`];
    if (r.alias === 'trunk') evidence.push(`enabled port drivers that need it: ${nested.join(', ')}`);
    results.push(has ? check(id, 'ok', `extension ${r.alias} is loaded`, evidence)
      : check(id, r.missing, `extension ${r.alias} is not loaded`, evidence, r.fix));
  }
  if (nested.length === 0) results.push(check(`neutron.ext.${TRUNK_RULE.alias}`, 'skip', 'not needed: no nested port driver is enabled'));
  return { results, usable: true };
}

/** agent configurations.device_mappings → physnet → PF names (Neutron sends lists; old agents a string) */
export function agentDeviceMappings(agent: NeutronAgent): Map<string, string[]> {
  const raw = agent.configurations['device_mappings'];
  const out = new Map<string, string[]>();
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [physnet, v] of Object.entries(raw as Record<string, unknown>)) {
    const pfs = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string')
      : typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : [];
    out.set(physnet, pfs);
  }
  return out;
}

const showMappings = (m: ReadonlyMap<string, readonly string[]>): string =>
  m.size === 0 ? '(none)' : [...m].map(([physnet, pfs]) => `${physnet}:[${pfs.join(',')}]`).join(' ');

/** `sriov.agent` and `sriov.mappings`. */
export async function checkSriovAgent(neutron: DoctorNeutron, config: KuryrConfig): Promise<CheckResult[]> {
  const host = config.default.host;
  const query = `GET /v2.0/agents?agent_type=${NIC_SWITCH_AGENT}&host=${host}`;
  let agents: NeutronAgent[];
  try {
    agents = await neutron.listAgents({ agent_type: NIC_SWITCH_AGENT, host });
  } catch (err) {
    const forbidden = isPluginError(err) && err.code === 'ERR_NEUTRON_FORBIDDEN';
    return [
      check('sriov.agent', forbidden ? 'warn' : 'fail',
        forbidden ? 'cannot list Neutron agents (policy: usually admin only), so the NIC Switch agent was not checked'
          : 'could not list the Neutron agents',
        [query, describeError(err)],
        forbidden ? 'run doctor with admin credentials (OS_* / clouds.yaml), or check `openstack network agent list --agent-type nic-switch --host <host>` yourself'
          : 'see the evidence; docs/errors.md explains the code'),
      check('sriov.mappings', 'skip', 'not checked: the NIC Switch agent could not be listed'),
    ];
  }
  const alive = agents.filter((a) => a.alive);
  if (agents.length === 0 || alive.length === 0) {
    const evidence = [query, agents.length === 0 ? '→ no agent' : `→ ${agents.length} agent(s), none alive`];
    for (const a of agents) evidence.push(`agent ${a.id}: alive=${String(a.alive)}, last heartbeat ${String(a['heartbeat_timestamp'] ?? '?')}`);
    if (agents.length === 0) {
      const elsewhere = await neutron.listAgents({ agent_type: NIC_SWITCH_AGENT }).catch(() => undefined);
      if (elsewhere !== undefined) {
        const hosts = [...new Set(elsewhere.map((a) => a.host))].sort();
        evidence.push(hosts.length === 0 ? 'no NIC Switch agent on any host' : `NIC Switch agents exist on: ${hosts.join(', ')}`);
      }
    }
    return [
      check('sriov.agent', 'fail', agents.length === 0
        ? `no NIC Switch agent on host ${host}: Neutron cannot bind direct ports here (vif_type binding_failed)`
        : `the NIC Switch agent on host ${host} is not alive`,
      evidence,
      agents.length === 0
        ? 'run neutron-sriov-nic-agent on this host, or set [DEFAULT] host to the host name the agent reports'
        : 'restart neutron-sriov-nic-agent on this host and check that it reaches the message bus'),
      check('sriov.mappings', 'skip', 'not checked: no live NIC Switch agent on this host'),
    ];
  }
  const agent = alive[0]!;
  const agentMap = agentDeviceMappings(agent);
  const results: CheckResult[] = [];
  results.push(agent.admin_state_up
    ? check('sriov.agent', 'ok', `NIC Switch agent alive on host ${host}`, [query, `→ agent ${agent.id} (${agent.binary}), alive`])
    : check('sriov.agent', 'warn', `the NIC Switch agent on host ${host} is alive but administratively down`,
      [query, `→ agent ${agent.id}, alive, admin_state_up=false`], `openstack network agent set --enable ${agent.id}`));

  const ours = config.sriov.physicalDeviceMappings;
  const evidence = [`ours ([sriov] physical_device_mappings): ${showMappings(ours)}`,
    `agent ${agent.id} device_mappings: ${showMappings(agentMap)}`];
  if (ours.size === 0) {
    results.push(check('sriov.mappings', 'warn',
      'no [sriov] physical_device_mappings: only ports that name a VF (binding:profile.pci_slot) can be plugged', evidence,
      'set [sriov] physical_device_mappings like the agent\'s device_mappings, e.g. physnet1:ens1f0'));
    return results;
  }
  const unknownPhysnets = [...ours.keys()].filter((p) => !agentMap.has(p));
  if (unknownPhysnets.length > 0) {
    results.push(check('sriov.mappings', 'fail',
      `physical network(s) ${unknownPhysnets.join(', ')} are not in the agent's device_mappings: ports on them fail to bind`,
      evidence,
      'use the agent\'s physical network names in [sriov] physical_device_mappings, or add them to the agent\'s [sriov_nic] physical_device_mappings'));
    return results;
  }
  const strayPfs = [...ours].flatMap(([physnet, pfs]) =>
    pfs.filter((pf) => !(agentMap.get(physnet) ?? []).includes(pf)).map((pf) => `${physnet}:${pf}`));
  if (strayPfs.length > 0) {
    results.push(check('sriov.mappings', 'warn',
      `PF(s) ${strayPfs.join(', ')} are not managed by the agent: their VFs bind, but the agent never reports them up (ports stay DOWN)`,
      evidence, 'map the same PFs on both sides (ours and the agent\'s [sriov_nic] physical_device_mappings)'));
    return results;
  }
  results.push(check('sriov.mappings', 'ok', 'our physical_device_mappings agree with the agent\'s device_mappings', evidence));
  return results;
}
