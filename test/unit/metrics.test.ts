// The Prometheus exporter: exact text exposition (HELP/TYPE, label escaping, sorted series, cumulative histogram
// buckets with +Inf, _sum/_count), a strict line grammar over a full render, the plugin's metric hooks (Docker
// calls through the real server's onCall, Neutron calls through the real HTTP client's onCall, path templates,
// reconcile reasons, VF gauges from a fake sysfs tree + a real ledger), the /metrics listener, and the
// [DEFAULT] metrics_uri option.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pino from 'pino';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { createSysfs } from '../../src/host/sysfs.ts';
import { createPluginMetrics, neutronPathTemplate, releaseReason } from '../../src/metrics/plugin-metrics.ts';
import { CONTENT_TYPE, createMetricsRegistry, escapeLabelValue, formatValue } from '../../src/metrics/registry.ts';
import { parseMetricsUri, startMetricsServer } from '../../src/metrics/server.ts';
import { createNeutronHttpClient } from '../../src/neutron/http-client.ts';
import { createServer } from '../../src/server/server.ts';
import { createFileVfLedger } from '../../src/sriov/ledger.ts';
import { testContext } from '../../src/testing/context.ts';
import { createFakeNeutron } from '../../src/testing/fake-neutron.ts';
import { buildSysfsTree } from '../../src/testing/sysfs-tree.ts';

/** The text format's line grammar (exposition_formats.md, 0.0.4), strictly: every line must match one. */
const LINE = {
  help: /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/,
  type: /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/,
  sample: /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/,
};
function assertExposition(text: string): void {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  const typed = new Set<string>();
  for (const l of lines) {
    if (LINE.help.test(l)) continue;
    const t = LINE.type.exec(l);
    if (t) { typed.add(l.split(' ')[2]!); continue; }
    assert.match(l, LINE.sample, `bad sample line: ${l}`);
    const name = l.split(/[{ ]/)[0]!;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(name) || typed.has(family), `sample ${name} before its # TYPE`);
  }
}

describe('metrics registry: text exposition', () => {
  test('counter, gauge and histogram render exactly', async () => {
    const r = createMetricsRegistry();
    const c = r.counter('x_requests_total', 'Requests.\nSecond line \\ backslash', ['method', 'outcome']);
    const g = r.gauge('x_vfs', 'VFs.', ['pf']);
    const h = r.histogram('x_seconds', 'Latency.', ['method'], [0.1, 1, 0.5]);
    const plain = r.counter('x_plain_total', 'No labels.');
    c.inc({ method: 'B', outcome: 'ok' });
    c.inc({ method: 'A', outcome: 'error' }, 2);
    c.inc({ method: 'A', outcome: 'error' });
    g.set({ pf: 'ens1f0' }, 4);
    g.set({ pf: 'we"ird\\pf\nx' }, 0.5);
    h.observe({ method: 'A' }, 0.05);
    h.observe({ method: 'A' }, 0.7);
    h.observe({ method: 'A' }, 3);
    h.observe({ method: 'A' }, 1);
    assert.equal(await r.render(), [
      '# HELP x_requests_total Requests.\\nSecond line \\\\ backslash',
      '# TYPE x_requests_total counter',
      'x_requests_total{method="A",outcome="error"} 3',
      'x_requests_total{method="B",outcome="ok"} 1',
      '# HELP x_vfs VFs.',
      '# TYPE x_vfs gauge',
      'x_vfs{pf="ens1f0"} 4',
      'x_vfs{pf="we\\"ird\\\\pf\\nx"} 0.5',
      '# HELP x_seconds Latency.',
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{method="A",le="0.1"} 1',
      'x_seconds_bucket{method="A",le="0.5"} 1',
      'x_seconds_bucket{method="A",le="1"} 3',
      'x_seconds_bucket{method="A",le="+Inf"} 4',
      'x_seconds_sum{method="A"} 4.75',
      'x_seconds_count{method="A"} 4',
      '# HELP x_plain_total No labels.',
      '# TYPE x_plain_total counter',
      'x_plain_total 0',
      '',
    ].join('\n'));
    assert.equal(c.get({ method: 'A', outcome: 'error' }), 3);
    assert.deepEqual(h.get({ method: 'A' }), { count: 4, sum: 4.75 });
    plain.inc();
    g.reset();
    const after = await r.render();
    assert.match(after, /\nx_plain_total 1\n/);
    assert.doesNotMatch(after, /x_vfs\{/);
    assertExposition(after);
  });

  test('mistakes are programming errors: wrong labels, bad names, a decreasing counter, duplicate metrics, bad buckets', () => {
    const r = createMetricsRegistry();
    const c = r.counter('ok_total', 'x', ['a']);
    assert.throws(() => c.inc({ b: '1' }), /labels \{b\} do not match \{a\}/);
    assert.throws(() => c.inc({ a: '1', b: '2' }), /do not match/);
    assert.throws(() => c.inc({ a: '1' }, -1), /only goes up/);
    assert.throws(() => r.counter('ok_total', 'again'), /registered twice/);
    assert.throws(() => r.gauge('bad-name', 'x'), /invalid metric name/);
    assert.throws(() => r.gauge('g', 'x', ['le']), /invalid label name/);
    assert.throws(() => r.gauge('g2', 'x', ['__x']), /invalid label name/);
    assert.throws(() => r.histogram('h', 'x', [], [1, 1]), /distinct finite/);
    assert.throws(() => r.histogram('h2', 'x', [], [Number.POSITIVE_INFINITY]), /distinct finite/);
  });

  test('values and label escaping', () => {
    assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(0.000_000_1), '1e-7');
    assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  });

  test('a failing collector is reported and the rest still renders', async () => {
    const errors: unknown[] = [];
    const r = createMetricsRegistry({ onCollectorError: (e) => errors.push(e) });
    const g = r.gauge('g', 'x', ['k']);
    r.addCollector(() => { throw new Error('sysfs gone'); });
    r.addCollector(() => { g.set({ k: 'v' }, 1); });
    assert.match(await r.render(), /g\{k="v"\} 1/);
    assert.equal(errors.length, 1);
  });
});

describe('plugin metrics', () => {
  test('Neutron path templates carry no ids', () => {
    assert.equal(neutronPathTemplate('/v2.0/ports/8c1d9a4e-1111-2222-3333-444455556666?fields=id'), '/v2.0/ports/{id}');
    assert.equal(neutronPathTemplate('/v2.0/ports?tags=kuryr.net.uuid.lh%3Aabc'), '/v2.0/ports');
    assert.equal(neutronPathTemplate('/v2.0/networks/abc/tags/kuryr.net.uuid.lh:123'), '/v2.0/networks/{id}/tags/{tag}');
    assert.equal(neutronPathTemplate('/v2.0/extensions/subnet_allocation'), '/v2.0/extensions/{alias}');
    assert.equal(neutronPathTemplate('/networking/v2.0/subnets/xyz'), '/v2.0/subnets/{id}');
    assert.equal(neutronPathTemplate('/v3/auth/tokens'), '{other}');
    assert.equal(neutronPathTemplate('/v2.0/security-groups/sg1'), '/v2.0/security-groups/{id}');
  });

  test('reconcile reasons map to a bounded label set', () => {
    assert.equal(releaseReason('port gone'), 'port_gone');
    assert.equal(releaseReason('port bound to host-b'), 'port_moved');
    assert.equal(releaseReason('port bound to no host'), 'port_moved');
    assert.equal(releaseReason('sandbox /var/run/docker/netns/abc gone'), 'sandbox_gone');
    assert.equal(releaseReason('something new'), 'other');
  });

  test('Docker calls through the real server: requests by method and outcome, duration histogram', async () => {
    const m = createPluginMetrics();
    const app = createServer(testContext(createFakeNeutron()), { logger: pino({ level: 'silent' }), onCall: m.pluginCall });
    await app.inject({ method: 'POST', url: '/Plugin.Activate', payload: '' });
    await app.inject({ method: 'POST', url: '/NetworkDriver.GetCapabilities', payload: '' });
    await app.inject({ method: 'POST', url: '/NetworkDriver.GetCapabilities', payload: '' });
    await app.inject({ method: 'POST', url: '/NetworkDriver.DeleteNetwork', payload: '{"NetworkID": 7}' });
    await app.close();
    const text = await m.registry.render();
    assertExposition(text);
    assert.match(text, /\nkuryr_plugin_requests_total\{method="NetworkDriver\.GetCapabilities",outcome="ok"\} 2\n/);
    assert.match(text, /\nkuryr_plugin_requests_total\{method="NetworkDriver\.DeleteNetwork",outcome="error"\} 1\n/);
    assert.match(text, /\nkuryr_plugin_requests_total\{method="Plugin\.Activate",outcome="ok"\} 1\n/);
    assert.match(text, /\nkuryr_plugin_request_duration_seconds_count\{method="NetworkDriver\.GetCapabilities"\} 2\n/);
    assert.match(text, /\nkuryr_plugin_request_duration_seconds_bucket\{method="Plugin\.Activate",le="\+Inf"\} 1\n/);
  });

  test('Neutron calls through the real HTTP client: status and latency per path template', async (t) => {
    const server = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/v2.0/ports/')) res.writeHead(404).end('{"NeutronError": {"type": "PortNotFound", "message": "no"}}');
      else res.end('{"networks": []}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { server.close(() => resolve()); }));
    const port = (server.address() as { port: number }).port;
    const m = createPluginMetrics();
    const client = createNeutronHttpClient({
      auth: { type: 'none', endpointOverride: `http://127.0.0.1:${port}` }, endpointType: 'public', timeoutMs: 5000, onCall: m.neutronCall,
    });
    const dead = createNeutronHttpClient({
      auth: { type: 'none', endpointOverride: 'http://127.0.0.1:1' }, endpointType: 'public', timeoutMs: 5000, onCall: m.neutronCall,
      retry: { attempts: 1 },
    });
    t.after(async () => { await client.close(); await dead.close(); });
    await client.listNetworks({ name: 'x' });
    await client.listNetworks();
    await assert.rejects(client.getPort('8c1d9a4e-1111-2222-3333-444455556666'));
    await assert.rejects(dead.listNetworks());
    const text = await m.registry.render();
    assertExposition(text);
    assert.match(text, /\nkuryr_neutron_requests_total\{method="GET",path="\/v2\.0\/networks",status="200"\} 2\n/);
    assert.match(text, /\nkuryr_neutron_requests_total\{method="GET",path="\/v2\.0\/ports\/\{id\}",status="404"\} 1\n/);
    assert.match(text, /\nkuryr_neutron_requests_total\{method="GET",path="\/v2\.0\/networks",status="error"\} 1\n/);
    assert.match(text, /\nkuryr_neutron_request_duration_seconds_count\{method="GET",path="\/v2\.0\/networks"\} 3\n/);
    assert.doesNotMatch(text, /8c1d9a4e/, 'no ids in labels');
  });

  test('VF gauges per PF from sysfs and the ledger; reconcile and operator releases', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kuryr-metrics-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await buildSysfsTree(join(dir, 'sys'), {
      pfs: [{
        name: 'ens1f0', pci: '0000:03:00.0', vendor: '8086', device: '10fb', vfDevice: '10ed', driver: 'ixgbe', totalVfs: 63,
        vfs: ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4'].map((pci, index) => ({ index, pci, netdev: `ens1f0v${index}`, driver: 'ixgbevf' })),
      }],
    });
    const ledger = createFileVfLedger(join(dir, 'state', 'sriov-state.json'));
    await ledger.update((s) => {
      s.endpoints['ep1'] = { endpointId: 'ep1', portId: 'p1', pci: '0000:03:10.2', pf: 'ens1f0', vfIndex: 1, vnicType: 'direct', allocated: true, since: 'now' };
    });
    const m = createPluginMetrics();
    m.watchVfs({
      sysfs: createSysfs(join(dir, 'sys')),
      settings: { physnets: new Map([['physnet1', ['ens1f0', 'ens9f9']]]), excluded: new Map([['ens1f0', new Set(['0000:03:10.4'])]]) },
      ledger: () => ledger.read(),
    });
    m.reconciled({ kept: ['a'], released: [{ endpointId: 'b', reason: 'port gone' }, { endpointId: 'c', reason: 'sandbox /x gone' }] });
    m.reconcileFailed();
    m.operatorReleased(true);
    const text = await m.registry.render();
    assertExposition(text);
    for (const line of [
      'kuryr_sriov_vfs{pf="ens1f0",physnet="physnet1"} 3',
      'kuryr_sriov_vfs_free{pf="ens1f0",physnet="physnet1"} 1',
      'kuryr_sriov_vfs_held{pf="ens1f0",physnet="physnet1"} 1',
      'kuryr_sriov_pf_readable{pf="ens1f0",physnet="physnet1"} 1',
      'kuryr_sriov_pf_readable{pf="ens9f9",physnet="physnet1"} 0',
      'kuryr_sriov_reconcile_runs_total{outcome="ok"} 1',
      'kuryr_sriov_reconcile_runs_total{outcome="error"} 1',
      'kuryr_sriov_vf_releases_total{reason="port_gone"} 1',
      'kuryr_sriov_vf_releases_total{reason="sandbox_gone"} 1',
      'kuryr_sriov_vf_releases_total{reason="operator_forced"} 1',
    ]) assert.ok(text.includes(`\n${line}\n`), `${line}\n---\n${text}`);
    // a scrape after a change sees it
    await ledger.update((s) => { delete s.endpoints['ep1']; });
    assert.match(await m.registry.render(), /\nkuryr_sriov_vfs_free\{pf="ens1f0",physnet="physnet1"\} 2\n/);
  });
});

describe('the /metrics listener', () => {
  test('GET /metrics answers the exposition with the Prometheus content type; other paths 404, other methods 405', async (t) => {
    const m = createPluginMetrics();
    m.pluginCall('Plugin.Activate', 'ok', 3);
    const logs: unknown[] = [];
    const server = await startMetricsServer(m.registry, 'http://127.0.0.1:0', { error: (o) => logs.push(o) });
    t.after(() => server.close());
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${server.address}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), CONTENT_TYPE);
    const text = await res.text();
    assertExposition(text);
    assert.match(text, /kuryr_plugin_requests_total\{method="Plugin\.Activate",outcome="ok"\} 1/);
    assert.equal((await fetch(`http://${server.address}/`)).status, 404);
    assert.equal((await fetch(`http://${server.address}/metrics`, { method: 'POST' })).status, 405);
    assert.deepEqual(logs, []);
  });

  test('a port already in use is a configuration error naming the option', async (t) => {
    const first = await startMetricsServer(createMetricsRegistry(), 'http://127.0.0.1:0', { error() {} });
    t.after(() => first.close());
    await assert.rejects(startMetricsServer(createMetricsRegistry(), `http://${first.address}`, { error() {} }),
      (e: unknown) => e instanceof ConfigError && /metrics_uri = .*cannot listen \(EADDRINUSE\)/.test(e.message));
    assert.deepEqual(parseMetricsUri('http://[::1]:9465'), { host: '::1', port: 9465 });
  });
});

describe('[DEFAULT] metrics_uri', () => {
  const NOAUTH = '[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n';
  test('unset by default (no listener); http://host:port accepted', () => {
    assert.equal('metricsUri' in parseConfigText(NOAUTH, 't').config.default, false);
    assert.equal(parseConfigText(`[DEFAULT]\nmetrics_uri =\n${NOAUTH}`, 't').config.default.metricsUri, undefined);
    assert.equal(parseConfigText(`[DEFAULT]\nmetrics_uri = http://127.0.0.1:9465\n${NOAUTH}`, 't').config.default.metricsUri, 'http://127.0.0.1:9465');
  });
  test('https, a path, no port or no URL at all are refused, naming the option', () => {
    for (const [value, why] of [
      ['https://127.0.0.1:9465', /plain HTTP/], ['http://127.0.0.1:9465/metrics', /takes no path/], ['http://127.0.0.1', /explicit port/],
      ['127.0.0.1:9465', /must be http/], ['http://u:p@127.0.0.1:9465', /no credentials/],
    ] as const) {
      assert.throws(() => parseConfigText(`[DEFAULT]\nmetrics_uri = ${value}\n${NOAUTH}`, 't'),
        (e: unknown) => e instanceof ConfigError && e.code === 'ERR_CONFIG_VALUE' && e.message.includes('[DEFAULT] metrics_uri') && why.test(e.message),
        value);
    }
  });
});
