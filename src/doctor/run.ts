// Runs every doctor check in a fixed order, each through the injected seams, and builds the report. A check
// whose prerequisite failed (no configuration, Neutron unusable, no agent) is reported as skip with the reason,
// never silently dropped. Never throws for a host or Neutron problem: that is a verdict, not an error.
import { isPluginError } from '../errors.ts';
import { checkConfig } from './checks-config.ts';
import { checkIommu, checkPfs, checkState, readLock } from './checks-host.ts';
import { checkNeutronApi, checkSriovAgent } from './checks-neutron.ts';
import { checkDocker, checkSocket } from './checks-plugin.ts';
import { check, worstExitCode, type CheckResult, type CheckStatus, type DoctorDeps, type DoctorNeutron, type DoctorReport } from './types.ts';

/** every check id, in report order (sriov.pf.<pf> repeats per PF) */
export const CHECK_IDS = [
  'config', 'drivers', 'state', 'neutron.api', 'neutron.ext.subnet_allocation', 'neutron.ext.binding',
  'neutron.ext.standard-attr-tag', 'neutron.ext.trunk', 'sriov.agent', 'sriov.mappings', 'sriov.pf', 'host.iommu',
  'plugin.socket', 'docker',
] as const;

const SRIOV_IDS = ['sriov.agent', 'sriov.mappings', 'sriov.pf', 'host.iommu'] as const;

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const results: CheckResult[] = [];
  /** record verdicts, telling deps.progress of each as it comes */
  const add = (...items: CheckResult[]) => {
    for (const result of items) deps.progress?.({ kind: 'result', result });
    results.push(...items);
  };
  const step = (what: string) => deps.progress?.({ kind: 'step', what });
  step(`reading the configuration (${deps.configSources.join(', ')})`);
  const { results: configResults, loaded } = await checkConfig(deps);
  add(...configResults);
  if (loaded === undefined) {
    for (const id of CHECK_IDS.slice(2)) add(check(id, 'skip', 'not checked: the configuration did not load'));
    return report(results, undefined, deps.root);
  }
  const config = loaded.config;

  step(`reading state_path ${config.default.statePath}`);
  const state = await checkState(deps, config);
  add(state.result);

  let neutron: DoctorNeutron | undefined;
  let usable = false;
  try {
    neutron = deps.neutron(config);
  } catch (err) {
    // building the client already failed (an unreadable cafile, a malformed URL)
    add(check('neutron.api', 'fail', 'the Neutron client cannot be built from the configuration',
      [isPluginError(err) ? `${err.code}: ${err.message}` : String(err)], 'correct the [neutron] option named above'));
    for (const id of CHECK_IDS.slice(4, 8)) add(check(id, 'skip', 'not checked: Neutron cannot be used'));
  }
  try {
    if (neutron !== undefined) {
      step(`asking Neutron (${neutron.describe()})`);
      const api = await checkNeutronApi(neutron, config);
      add(...api.results);
      usable = api.usable;
    }

    const sriovOn = config.default.enabledPortDrivers.includes('sriov');
    if (!sriovOn) {
      for (const id of SRIOV_IDS) add(check(id, 'skip', 'not checked: the sriov port driver is not enabled'));
    } else {
      if (neutron !== undefined && usable) {
        step('asking Neutron for the NIC Switch agent of this host');
        add(...await checkSriovAgent(neutron, config));
      } else {
        for (const id of ['sriov.agent', 'sriov.mappings']) add(check(id, 'skip', 'not checked: Neutron cannot be used'));
      }
      const sysfs = deps.sysfs(config.sriov.sysfsRoot);
      step(`reading the PFs in ${config.sriov.sysfsRoot}`);
      add(...await checkPfs(sysfs, config, state.ledger));
      add(await checkIommu(sysfs, deps.readFile));
    }
  } finally {
    await neutron?.close().catch(() => undefined);
  }

  step(`calling the plugin on ${config.default.kuryrUri}`);
  add(await checkSocket(deps.probeSocket, config, await readLock(deps, config.default.statePath)));
  step('asking dockerd which networks use the plugin');
  add(await checkDocker(deps.probeDocker, config));
  return report(results, config.default.host, deps.root);
}

function report(checks: CheckResult[], host: string | undefined, root: boolean): DoctorReport {
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status] += 1;
  return { v: 1, host, root, checks, counts, exitCode: worstExitCode(checks) };
}
