// The plugin's metrics ([DEFAULT] metrics_uri): Docker calls by method and outcome with their duration,
// Neutron calls by method, path template and status with their latency, VFs per PF (refreshed from sysfs and
// the ledger at scrape time) and VF reconcile activity. Hooks only: the composition root (cli/serve.ts) wires
// them to the server's onCall, the Neutron client's onCall and the reconcile loop.
import type { Sysfs } from '../host/sysfs.ts';
import { vfInventory, type InventorySettings } from '../doctor/vf-inventory.ts';
import type { VfState } from '../sriov/ledger.ts';
import type { ReconcileResult } from '../sriov/reconcile.ts';
import { createMetricsRegistry, DEFAULT_BUCKETS, type MetricsRegistry } from './registry.ts';

export interface NeutronCallObservation { method: string; path: string; status: number | null; ms: number }

export interface PluginMetrics {
  readonly registry: MetricsRegistry;
  /** one finished Docker plugin call (server onCall) */
  pluginCall(method: string, outcome: 'ok' | 'error', ms: number): void;
  /** one HTTP exchange with Neutron (http-client onCall) */
  neutronCall(call: NeutronCallObservation): void;
  /** one reconcile pass that completed */
  reconciled(result: ReconcileResult): void;
  /** one reconcile pass that threw */
  reconcileFailed(): void;
  /** `kuryr vf release` through the admin endpoint freed a VF */
  operatorReleased(forced: boolean): void;
  /** refresh the VF gauges from sysfs and the ledger at every scrape */
  watchVfs(source: { sysfs: Sysfs; settings: InventorySettings; ledger: () => Promise<VfState> }): void;
}

const NEUTRON_ID_PLACEHOLDER: Readonly<Record<string, string>> = { tags: '{tag}', extensions: '{alias}' };

/**
 * `/v2.0/ports/8c1d…?fields=id` → `/v2.0/ports/{id}`; `/v2.0/ports/8c1d…/tags/kuryr.x` →
 * `/v2.0/ports/{id}/tags/{tag}`; a base path in front of /v2.0 (Neutron behind a proxy) is dropped. Keeps the
 * label's cardinality at the number of API routes the plugin uses.
 */
export function neutronPathTemplate(path: string): string {
  const bare = path.split('?')[0] ?? '';
  const at = bare.indexOf('/v2.0/');
  if (at < 0) return '{other}';
  const segs = bare.slice(at + '/v2.0/'.length).split('/').filter((s) => s !== '');
  const out = segs.map((s, i) => {
    if (i % 2 === 0) return /^[a-z][a-z0-9_-]*$/.test(s) ? s : '{other}';
    return NEUTRON_ID_PLACEHOLDER[segs[i - 1] ?? ''] ?? '{id}';
  });
  return `/v2.0/${out.join('/')}`;
}

/** the reconcile's free-text reason → a bounded label */
export function releaseReason(reason: string): 'port_gone' | 'port_moved' | 'sandbox_gone' | 'other' {
  if (reason === 'port gone') return 'port_gone';
  if (reason.startsWith('port bound to')) return 'port_moved';
  if (reason.startsWith('sandbox ') && reason.endsWith(' gone')) return 'sandbox_gone';
  return 'other';
}

export function createPluginMetrics(opts: { onCollectorError?: (err: unknown) => void } = {}): PluginMetrics {
  const registry = createMetricsRegistry(opts);
  const requests = registry.counter('kuryr_plugin_requests_total',
    'Docker plugin calls handled, by method (e.g. NetworkDriver.CreateEndpoint) and outcome (ok, error).', ['method', 'outcome']);
  const requestSeconds = registry.histogram('kuryr_plugin_request_duration_seconds',
    'Time to answer a Docker plugin call, by method.', ['method'], DEFAULT_BUCKETS);
  const neutronRequests = registry.counter('kuryr_neutron_requests_total',
    'HTTP requests to Neutron, by method, path template and status (error = no answer: connect failure or timeout).',
    ['method', 'path', 'status']);
  const neutronSeconds = registry.histogram('kuryr_neutron_request_duration_seconds',
    'Neutron request latency, by method and path template.', ['method', 'path'], DEFAULT_BUCKETS);
  const vfs = registry.gauge('kuryr_sriov_vfs', 'VFs the PF has (sriov_numvfs), per mapped PF.', ['pf', 'physnet']);
  const vfsFree = registry.gauge('kuryr_sriov_vfs_free',
    'VFs the plugin could hand out now (netdev on the host, not held, not excluded), per mapped PF.', ['pf', 'physnet']);
  const vfsHeld = registry.gauge('kuryr_sriov_vfs_held', 'VFs held by endpoints (VF ledger), per PF.', ['pf', 'physnet']);
  const pfReadable = registry.gauge('kuryr_sriov_pf_readable',
    '1 when the PF could be read from sysfs as an SR-IOV PF, 0 otherwise (see kuryr doctor).', ['pf', 'physnet']);
  const reconcileRuns = registry.counter('kuryr_sriov_reconcile_runs_total',
    'VF reconcile passes (start-up and periodic), by outcome (ok, error).', ['outcome']);
  const releases = registry.counter('kuryr_sriov_vf_releases_total',
    'VFs restored and freed outside DeleteEndpoint, by reason (port_gone, port_moved, sandbox_gone, other: reconcile; operator, operator_forced: kuryr vf release).',
    ['reason']);

  return {
    registry,
    pluginCall(method, outcome, ms) {
      requests.inc({ method, outcome });
      requestSeconds.observe({ method }, ms / 1000);
    },
    neutronCall(call) {
      const path = neutronPathTemplate(call.path);
      neutronRequests.inc({ method: call.method, path, status: call.status === null ? 'error' : String(call.status) });
      neutronSeconds.observe({ method: call.method, path }, call.ms / 1000);
    },
    reconciled(result) {
      reconcileRuns.inc({ outcome: 'ok' });
      for (const r of result.released) releases.inc({ reason: releaseReason(r.reason) });
    },
    reconcileFailed() { reconcileRuns.inc({ outcome: 'error' }); },
    operatorReleased(forced) { releases.inc({ reason: forced ? 'operator_forced' : 'operator' }); },
    watchVfs(source) {
      registry.addCollector(async () => {
        const reports = await vfInventory(source.sysfs, source.settings, await source.ledger());
        for (const g of [vfs, vfsFree, vfsHeld, pfReadable]) g.reset();
        for (const r of reports) {
          const labels = { pf: r.pf, physnet: r.physnet ?? '' };
          pfReadable.set(labels, r.info === undefined ? 0 : 1);
          vfs.set(labels, r.counts.vfs);
          vfsFree.set(labels, r.counts.free);
          vfsHeld.set(labels, r.counts.held);
        }
      });
    },
  };
}
