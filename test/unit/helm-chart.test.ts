// Checks of deploy/helm/kuryr-libnetwork with a real Helm 4 (test/helpers/helm.ts; no cluster): `helm lint
// --strict` and `helm template` for the chart defaults and every ci/*-values.yaml (the SR-IOV node pool, the
// seed's block), Chart.yaml fields, YAML well-formedness, values.schema.json equal to what
// src/deploy/values-schema.ts generates, and the zod schema, the committed JSON Schema (ajv, draft-07) and
// Helm's own schema check agreeing on good and bad values. Then the manifests Helm renders: DaemonSet shape,
// mounts, Secret handling, and the values ConfigMap going through `kuryr config render` into the committed
// golden kuryr.conf, which `kuryr config check` accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// ajv is not a direct dependency: it is fastify's (package-lock pins 8.20.0); used here as the independent
// draft-07 validator Helm's own schema check stands for
import { Ajv } from 'ajv';
import { parse as parseYaml, parseAllDocuments, parseDocument } from 'yaml';
import { CHART_KURYR_URI, CHART_STATE_PATH, PASSWORD_ENV, renderKuryrConf } from '../../src/deploy/render.ts';
import { chartValuesJsonSchema, chartValuesSchema } from '../../src/deploy/values-schema.ts';
import { isPlainObject, mergeValues, type Values } from '../../src/deploy/values.ts';
import { configCheck, configRender } from '../../src/cli/config.ts';
import { CHART_DIR, helm, helmNotes, helmTemplate } from '../helpers/helm.ts';

const CHART = 'deploy/helm/kuryr-libnetwork';
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

const read = (rel: string): string => readFileSync(`${CHART}/${rel}`, 'utf8');
const yamlOf = (rel: string): Values => parseYaml(read(rel)) as Values;
const chartValues = (): Values => yamlOf('values.yaml');
const ciFiles = (): string[] => readdirSync(`${CHART}/ci`).filter((f) => f.endsWith('-values.yaml')).sort();
const templateFiles = (): string[] => readdirSync(`${CHART}/templates`).sort();

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateJsonSchema = ajv.compile(JSON.parse(read('values.schema.json')) as object);

/** both validators must agree: the zod schema (what render checks) and the committed JSON Schema (what Helm checks) */
function validity(values: unknown): { zod: boolean; json: boolean; why: string } {
  const z = chartValuesSchema.safeParse(values);
  const json = validateJsonSchema(values);
  return {
    zod: z.success,
    json,
    why: `${z.success ? '' : z.error.message} ${JSON.stringify(validateJsonSchema.errors ?? [])}`,
  };
}

describe('Chart.yaml', () => {
  const chart = yamlOf('Chart.yaml');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

  it('is a Helm 3 (apiVersion v2) application chart named after its directory', () => {
    assert.equal(chart['apiVersion'], 'v2');
    assert.equal(chart['name'], 'kuryr-libnetwork');
    assert.equal(chart['type'], 'application');
    assert.equal(typeof chart['description'], 'string');
  });

  it('version is SemVer 2 and appVersion is the package version (a string)', () => {
    assert.match(String(chart['version']), SEMVER);
    assert.equal(typeof chart['appVersion'], 'string');
    assert.equal(chart['appVersion'], pkg.version);
  });
});

describe('YAML and JSON well-formedness of the non-template files', () => {
  const files = ['Chart.yaml', 'values.yaml', ...ciFiles().map((f) => `ci/${f}`)];
  for (const f of files) {
    it(`${f} is one YAML document without errors, warnings or duplicate keys`, () => {
      const docs = parseAllDocuments(read(f), { uniqueKeys: true });
      assert.ok(Array.isArray(docs), `${f}: not parseable`);
      assert.equal(docs.length, 1, `${f}: expected one document`);
      const doc = docs[0]!;
      assert.deepEqual(doc.errors.map((e) => e.message), [], f);
      assert.deepEqual(doc.warnings.map((e) => e.message), [], f);
      assert.ok(isPlainObject(doc.toJS()), `${f}: the top level must be a map`);
    });
  }

  it('values.schema.json is JSON', () => {
    assert.doesNotThrow(() => JSON.parse(read('values.schema.json')));
  });

  it('ci/ has the default and an SR-IOV values file', () => {
    assert.ok(ciFiles().includes('default-values.yaml'));
    const sriov = ciFiles().filter((f) => (yamlOf(`ci/${f}`)['network'] as { kuryr?: { sriov?: { enabled?: unknown } } } | undefined)?.kuryr?.sriov?.enabled === true);
    assert.ok(sriov.length > 0, 'no ci values file enables SR-IOV');
  });
});

describe('values.schema.json', () => {
  it('is exactly what `kuryr config values-schema` generates from src/deploy/values-schema.ts', () => {
    assert.equal(read('values.schema.json'), chartValuesJsonSchema(),
      'regenerate: node bin/kuryr.js config values-schema > deploy/helm/kuryr-libnetwork/values.schema.json');
  });

  it('is draft-07 (what Helm reads) and compiles under ajv strict mode', () => {
    const schema = JSON.parse(read('values.schema.json')) as { $schema?: string };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(typeof validateJsonSchema, 'function');
  });

  it('values.yaml is valid', () => {
    const v = validity(chartValues());
    assert.ok(v.zod && v.json, v.why);
  });

  for (const f of ciFiles()) {
    it(`values.yaml + ci/${f} is valid (Helm validates the merged values)`, () => {
      const v = validity(mergeValues(chartValues(), yamlOf(`ci/${f}`)));
      assert.ok(v.zod && v.json, v.why);
    });
  }

  const mutations: Array<[string, Values, boolean]> = [
    ['a Helm global block', { global: { imageRegistry: 'r' } }, true],
    ['another oslo section in conf.kuryr', { conf: { kuryr: { oslo_concurrency: { lock_path: '/var/lock' } } } }, true],
    ['a comma string list', { conf: { kuryr: { DEFAULT: { enabled_port_drivers: 'veth, sriov' } } } }, true],
    ['all SR-IOV vnic types', { network: { kuryr: { sriov: { supported_vnic_types: ['direct', 'direct-physical', 'macvtap'] } } } }, true],
    ['normal among the vnic types', { network: { kuryr: { sriov: { supported_vnic_types: ['normal', 'direct'] } } } }, true],
    ['vnic types as the seed\'s comma string', { network: { kuryr: { sriov: { supported_vnic_types: 'normal,direct,direct-physical,macvtap' } } } }, true],
    ['an unsupported vnic type in a comma string', { network: { kuryr: { sriov: { supported_vnic_types: 'direct,vdpa' } } } }, false],
    ['an empty vnic type string', { network: { kuryr: { sriov: { supported_vnic_types: '' } } } }, false],
    ['sriov.enabled as a string', { network: { kuryr: { sriov: { enabled: 'yes' } } } }, false],
    ['an unsupported vnic type', { network: { kuryr: { sriov: { supported_vnic_types: ['vdpa'] } } } }, false],
    ['no vnic type', { network: { kuryr: { sriov: { supported_vnic_types: [] } } } }, false],
    ['a password in conf', { conf: { kuryr: { neutron: { password: 'x' } } } }, false],
    ['auth_section in conf', { conf: { kuryr: { neutron: { auth_section: 'keystone' } } } }, false],
    ['a typo in a known section', { conf: { kuryr: { DEFAULT: { enabled_port_driver: 'veth' } } } }, false],
    ['a typo in network.kuryr.sriov', { network: { kuryr: { sriov: { physical_device_mapping: [] } } } }, false],
    ['a numeric image tag', { image: { tag: 1.2 } }, false],
    ['an unknown top-level key', { imagee: {} }, false],
    ['a multi-line option value', { conf: { kuryr: { DEFAULT: { bindir: 'a\nb' } } } }, false],
    ['a bad pull policy', { image: { pullPolicy: 'Sometimes' } }, false],
  ];
  for (const [label, overlay, ok] of mutations) {
    it(`${ok ? 'accepts' : 'refuses'} ${label} (zod, the JSON Schema and helm agree)`, () => {
      const v = validity(mergeValues(chartValues(), overlay));
      assert.equal(v.zod, ok, `zod: ${v.why}`);
      assert.equal(v.json, ok, `json schema: ${v.why}`);
      const h = helm(['template', 'kuryr', CHART_DIR], [overlay]);
      assert.equal(h.status === 0, ok, `helm template: ${h.stderr}`);
      if (!ok) assert.match(h.stderr, /values don't meet the specifications of the schema/, h.stderr);
    });
  }
});

describe('values.yaml: the seed\'s keys and defaults', () => {
  const v = chartValues() as {
    network: { kuryr: { sriov: { enabled: unknown; supported_vnic_types: unknown } } };
    conf: { kuryr: { DEFAULT: Values; binding: Values; neutron: Values } };
    secrets: { neutron: Values };
    image: Values;
    labels: { sriov: Values };
  };

  it('network.kuryr.sriov: enabled false, supported_vnic_types [direct]', () => {
    assert.equal(v.network.kuryr.sriov.enabled, false);
    assert.deepEqual(v.network.kuryr.sriov.supported_vnic_types, ['direct']);
  });

  it('conf.kuryr DEFAULT/binding: the veth module paths', () => {
    assert.deepEqual(v.conf.kuryr.DEFAULT['enabled_port_drivers'], ['kuryr_libnetwork.port_driver.drivers.veth']);
    assert.equal(v.conf.kuryr.DEFAULT['default_port_driver'], 'kuryr_libnetwork.port_driver.drivers.veth');
    assert.deepEqual(v.conf.kuryr.binding['enabled_drivers'], ['kuryr.lib.binding.drivers.veth']);
    assert.equal(v.conf.kuryr.binding['default_driver'], 'kuryr.lib.binding.drivers.veth');
  });

  it('conf.kuryr.neutron: Keystone password auth without the password; the password under secrets', () => {
    const n = v.conf.kuryr.neutron;
    assert.equal(n['auth_type'], 'password');
    for (const k of ['auth_url', 'username', 'user_domain_name', 'project_name', 'project_domain_name']) {
      assert.equal(typeof n[k], 'string', k);
    }
    assert.equal('password' in n, false);
    assert.equal(v.secrets.neutron['password'], '');
  });

  it('image repository/tag and the labels.sriov node selector', () => {
    assert.equal(typeof v.image['repository'], 'string');
    assert.equal(typeof v.image['tag'], 'string');
    assert.equal(typeof v.labels.sriov['node_selector_key'], 'string');
    assert.equal(typeof v.labels.sriov['node_selector_value'], 'string');
  });
});

/** every `{{ … }}` action of a template, trimmed of `-` markers */
function actions(src: string): string[] {
  return [...src.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]!.trim());
}

describe('templates', () => {
  it('are the DaemonSet, the values ConfigMap, the Secret and NOTES.txt', () => {
    assert.deepEqual(templateFiles(), ['NOTES.txt', 'configmap-values.yaml', 'daemonset.yaml', 'secret.yaml']);
  });

  for (const f of templateFiles()) {
    it(`${f}: every .Values path exists in values.yaml`, () => {
      const values = chartValues();
      const paths = [...read(`templates/${f}`).matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => m[1]!.slice(1));
      assert.ok(paths.length > 0 || f === 'NOTES.txt');
      for (const path of paths) {
        let cur: unknown = values;
        for (const part of path.split('.')) {
          assert.ok(isPlainObject(cur) && part in cur, `${f}: .Values.${path} is not in values.yaml`);
          cur = cur[part];
        }
      }
    });

    it(`${f}: balanced {{ if/with/range/define }} … {{ end }}, thin (no define/include/tpl/range/lookup)`, () => {
      let depth = 0;
      for (const a of actions(read(`templates/${f}`))) {
        if (a.startsWith('/*')) continue;
        const word = /^[a-z]+/.exec(a)?.[0];
        if (word === 'if' || word === 'with' || word === 'range' || word === 'define' || word === 'block') depth++;
        if (word === 'end') depth--;
        assert.ok(depth >= 0, `${f}: {{ end }} without an opening block`);
        assert.doesNotMatch(a, /\b(define|include|tpl|range|lookup|template)\b/, `${f}: keep the templates thin: ${a}`);
            }
      assert.equal(depth, 0, `${f}: ${depth} block(s) not closed`);
    });
  }
});

// ------------------------------------------------------------------------------------------------
// rendered manifests

interface K8s { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown }
interface Container {
  name: string; image: string; command: string[];
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  securityContext?: { privileged?: boolean };
  readinessProbe?: { exec?: { command: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string }>;
}
interface PodSpec {
  hostNetwork?: boolean; hostPID?: boolean; nodeSelector?: Record<string, string>; tolerations?: unknown[];
  initContainers: Container[]; containers: Container[];
  volumes: Array<{ name: string; hostPath?: { path: string }; configMap?: { name: string }; emptyDir?: object }>;
}

const NAMESPACE = 'openstack';

/** the manifests `helm template` renders for these values (release kuryr in the seed's namespace) */
function renderChart(values: Values): K8s[] {
  const out = helmTemplate('kuryr', NAMESPACE, [values]);
  const docs: K8s[] = [];
  for (const doc of parseAllDocuments(out, { uniqueKeys: true }) as ReturnType<typeof parseDocument>[]) {
    assert.deepEqual(doc.errors.map((e) => e.message), [], `helm template rendered invalid YAML:\n${out}`);
    const obj = doc.toJS() as K8s | null;
    if (obj !== null) docs.push(obj);
  }
  return docs;
}

/** the golden kuryr.conf each values case renders to */
const GOLDEN: Readonly<Record<string, string>> = {
  'values.yaml': 'chart-default.conf',
  'ci/default-values.yaml': 'chart-default.conf',
  'ci/sriov-values.yaml': 'chart-sriov.conf',
  'ci/seed-values.yaml': 'chart-seed.conf',
};

const byKind = (docs: K8s[], kind: string): K8s[] => docs.filter((d) => d.kind === kind);
const podSpec = (ds: K8s): PodSpec => (ds['spec'] as { template: { spec: PodSpec } }).template.spec;

describe('helm lint --strict and helm template', () => {
  const cases: Array<[string, () => Values]> = [
    ['values.yaml', chartValues],
    ...ciFiles().map((f): [string, () => Values] => [`ci/${f}`, () => mergeValues(chartValues(), yamlOf(`ci/${f}`))]),
  ];

  for (const [label, values] of cases) {
    describe(label, () => {
      const v = values();
      const docs = renderChart(v);

      it('helm lint --strict passes', () => {
        const r = helm(['lint', '--strict', CHART_DIR], [v]);
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });
      const sriov = (v['network'] as { kuryr: { sriov: { enabled: boolean } } }).kuryr.sriov.enabled;
      const ds = byKind(docs, 'DaemonSet')[0]!;
      const spec = podSpec(ds);
      const main = spec.containers[0]!;
      const init = spec.initContainers[0]!;

      it('objects live in the release namespace; one DaemonSet named kuryr-libnetwork', () => {
        assert.equal(byKind(docs, 'DaemonSet').length, 1);
        assert.equal(ds.metadata.name, 'kuryr-libnetwork');
        for (const d of docs) assert.equal(d.metadata.namespace, NAMESPACE, `${d.kind} ${d.metadata.name}`);
      });

      it('host network, privileged, no host PID', () => {
        assert.equal(spec.hostNetwork, true);
        assert.equal(spec.hostPID, false);
        assert.equal(main.securityContext?.privileged, true);
      });

      it(`mounts /run/docker/plugins, /sys (${sriov ? 'read-write' : 'read-only'}), /var/lib/kuryr, /etc/kuryr, the sandbox netns dir`, () => {
        const mount = (path: string) => main.volumeMounts.find((m) => m.mountPath === path);
        const hostPathOf = (path: string) => spec.volumes.find((vol) => vol.name === mount(path)?.name)?.hostPath?.path;
        assert.equal(hostPathOf('/run/docker/plugins'), '/run/docker/plugins');
        assert.equal(hostPathOf('/sys'), '/sys');
        assert.equal(mount('/sys')?.readOnly, !sriov);
        assert.equal(hostPathOf(CHART_STATE_PATH), CHART_STATE_PATH);
        assert.equal(mount('/etc/kuryr')?.readOnly, true);
        assert.equal(hostPathOf('/var/run/docker/netns'), '/var/run/docker/netns');
        assert.equal(mount('/var/run/docker/netns')?.mountPropagation, 'HostToContainer');
        for (const m of [...main.volumeMounts, ...init.volumeMounts]) {
          assert.ok(spec.volumes.some((vol) => vol.name === m.name), `mount ${m.name} has no volume`);
        }
      });

      it(sriov ? 'runs only on nodes with the labels.sriov label' : 'has no node selector', () => {
        const labels = (v['labels'] as { sriov: { node_selector_key: string; node_selector_value: string } }).sriov;
        if (sriov) assert.deepEqual(spec.nodeSelector, { [labels.node_selector_key]: labels.node_selector_value });
        else assert.equal(spec.nodeSelector, undefined);
      });

      it('the init container renders /etc/kuryr/kuryr.conf from the values ConfigMap; the plugin serves it', () => {
        assert.deepEqual(init.command.slice(0, 5), ['kuryr', 'config', 'render', '--values', '/etc/kuryr-values/values.yaml']);
        const out = init.command[init.command.indexOf('--output') + 1];
        assert.equal(out, '/etc/kuryr/kuryr.conf');
        const valuesMount = init.volumeMounts.find((m) => m.mountPath === '/etc/kuryr-values')!;
        const cmName = spec.volumes.find((vol) => vol.name === valuesMount.name)?.configMap?.name;
        assert.ok(byKind(docs, 'ConfigMap').some((c) => c.metadata.name === cmName));
        const etc = init.volumeMounts.find((m) => m.mountPath === '/etc/kuryr')!;
        assert.equal(main.volumeMounts.find((m) => m.mountPath === '/etc/kuryr')?.name, etc.name, 'init and plugin share /etc/kuryr');
        assert.ok(spec.volumes.find((vol) => vol.name === etc.name)?.emptyDir !== undefined);
        assert.deepEqual(main.command, ['kuryr', 'serve', '--config-file', '/etc/kuryr/kuryr.conf']);
        assert.equal(init.image, main.image);
      });

      it('the readiness probe tests the socket kuryr_uri names', () => {
        assert.deepEqual(main.readinessProbe?.exec?.command, ['test', '-S', CHART_KURYR_URI.slice('unix://'.length)]);
      });

      it('the Keystone password comes from a Secret as $OS_NEUTRON__PASSWORD', () => {
        const env = main.env?.find((e) => e.name === PASSWORD_ENV);
        const ref = env?.valueFrom?.secretKeyRef;
        assert.equal(ref?.key, 'password');
        const existing = (v['secrets'] as { neutron: { existingSecret: string; password: string } }).neutron;
        const secrets = byKind(docs, 'Secret');
        if (existing.existingSecret !== '') {
          assert.equal(ref?.name, existing.existingSecret);
          assert.equal(secrets.length, 0, 'no Secret is created when existingSecret is set');
        } else {
          assert.equal(secrets.length, 1);
          assert.equal(secrets[0]!.metadata.name, ref?.name);
          assert.deepEqual(secrets[0]!['stringData'], { password: existing.password });
        }
      });

      it('the values ConfigMap holds network and conf only, and renders to the golden kuryr.conf', () => {
        const cm = byKind(docs, 'ConfigMap')[0]!;
        const inCluster = parseYaml((cm['data'] as Record<string, string>)['values.yaml']!) as Values;
        assert.deepEqual(Object.keys(inCluster).sort(), ['conf', 'network']);
        const expected = renderKuryrConf(v).text;
        assert.equal(renderKuryrConf(inCluster).text, expected);
        const golden = GOLDEN[label];
        assert.ok(golden !== undefined, `no golden kuryr.conf for ${label}: add one to GOLDEN`);
        assert.equal(expected, readFileSync(`test/fixtures/kuryr-conf/${golden}`, 'utf8'));
      });

      it('the ConfigMap, as the init container reads it: `kuryr config render` then `kuryr config check` say ok', async () => {
        const cm = byKind(docs, 'ConfigMap')[0]!;
        const dir = mkdtempSync(join(tmpdir(), 'kuryr-chart-'));
        try {
          writeFileSync(join(dir, 'values.yaml'), (cm['data'] as Record<string, string>)['values.yaml']!);
          await configRender({ values: [join(dir, 'values.yaml')], set: [], setString: [], output: join(dir, 'kuryr.conf') },
            { out: () => undefined, err: () => undefined });
          let out = '';
          await configCheck({ configFile: [join(dir, 'kuryr.conf')], configDir: [], hostname: 'node-1',
            env: { [PASSWORD_ENV]: 'from-the-secret' } }, { out: (t) => { out += t; }, err: () => undefined });
          assert.match(out, /^ok\n/);
          assert.match(out, new RegExp(`port drivers: ${sriov ? 'veth, sriov' : 'veth'} `));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('no secret appears outside the Secret', () => {
        const password = (v['secrets'] as { neutron: { password: string } }).neutron.password;
        if (password === '') return;
        for (const d of docs.filter((x) => x.kind !== 'Secret')) {
          assert.ok(!JSON.stringify(d).includes(password), `${d.kind} ${d.metadata.name} holds the password`);
        }
      });
    });
  }

  it('the pod template annotation changes with the values, so pods re-render kuryr.conf on upgrade', () => {
    const checksum = (values: Values) => podSpecAnnotations(renderChart(values))['checksum/values'];
    const base = checksum(chartValues());
    assert.match(base ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(checksum(mergeValues(chartValues(), { conf: { kuryr: { DEFAULT: { debug: true } } } })), base);
    assert.equal(checksum(mergeValues(chartValues(), { image: { tag: 'other' } })), base);
  });

  it('NOTES.txt warns when there is no password and no existing Secret', () => {
    const notes = (values: Values) => helmNotes('kuryr', NAMESPACE, [values]);
    assert.match(notes(chartValues()), /WARNING: secrets\.neutron\.password is empty/);
    assert.doesNotMatch(notes(mergeValues(chartValues(), { secrets: { neutron: { password: 'x' } } })), /WARNING/);
    assert.match(notes(mergeValues(chartValues(), { network: { kuryr: { sriov: { enabled: true } } } })), /SR-IOV on/);
  });

  it('the chart README names the Helm the tests run and what they check', () => {
    const readme = read('README.md');
    assert.match(readme, /helm lint --strict/);
    assert.match(readme, /helm template/);
    assert.match(readme, /scripts\/tools\/helm\.sh/);
    assert.doesNotMatch(readme, /no `helm` binary/i);
  });
});

function podSpecAnnotations(docs: K8s[]): Record<string, string> {
  const ds = byKind(docs, 'DaemonSet')[0]!;
  return (ds['spec'] as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
}
