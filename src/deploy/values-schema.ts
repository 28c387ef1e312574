// The Helm values of deploy/helm/kuryr-libnetwork as zod schemas: the one definition that both
// `kuryr config render` checks its input against and deploy/helm/kuryr-libnetwork/values.schema.json is
// generated from (`kuryr config values-schema`; a test keeps the committed file equal to the output).
// The `conf.kuryr` sections are built from the option table, so every known option is typed and described
// and a typo is refused at `helm install` time. Pure data: no rendering (render.ts) and no I/O.
import { z } from 'zod';
import type { AnyOptionSpec, SectionName } from '../config/option-spec.ts';
import { ALL_OPTIONS, KNOWN_SECTIONS } from '../config/options.ts';
import { SRIOV_VNIC_TYPES } from '../port-drivers/registry.ts';

/**
 * `[neutron]` options the chart never writes into kuryr.conf: secrets (they would land in a ConfigMap; the
 * password comes from the chart's Secret as $OS_NEUTRON__PASSWORD), and `auth_section` / `cloud`, which
 * move the auth options to where that variable is not read (another section, a clouds.yaml the pod lacks).
 */
export const NEUTRON_OPTIONS_NOT_IN_VALUES: ReadonlySet<string> = new Set([
  ...ALL_OPTIONS.filter((o) => o.secret).flatMap((o) => [o.name, ...o.deprecatedNames]),
  'auth_section',
  'cloud',
]);

/** a value kuryr.conf can hold on one line */
const oneLine = z.string().regex(/^[^\r\n]*$/, 'must be a single line');
/** a list item: one line, and no comma (items are joined with commas) */
const listItem = z.string().regex(/^[^\r\n,]*$/, 'must be a single line without commas');

/** The value shapes an option accepts in values.yaml, from its oslo type. */
function optionValueSchema(o: AnyOptionSpec): z.ZodType {
  const label = o.type.label;
  let schema: z.ZodType;
  if (label === 'bool') schema = z.union([z.boolean(), oneLine]);
  else if (label.startsWith('int')) schema = z.union([z.number().int(), oneLine]);
  else if (label === 'list' || o.type.multi) schema = z.union([z.array(listItem), oneLine]);
  else if (label === 'str') schema = z.union([oneLine, z.number()]);
  else schema = oneLine;
  return schema.describe(o.help);
}

/** `conf.kuryr.<section>`: the section's options (current and deprecated names), nothing else. */
function sectionSchema(section: SectionName): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const o of ALL_OPTIONS) {
    if (o.section !== section) continue;
    if (section === 'neutron' && NEUTRON_OPTIONS_NOT_IN_VALUES.has(o.name)) continue;
    for (const name of [o.name, ...o.deprecatedNames]) {
      const value = optionValueSchema(o);
      shape[name] = (name === o.name ? value : value.describe(`Deprecated name of ${o.name}.`)).optional();
    }
  }
  return z.object(shape).strict();
}

/** a section the plugin does not read itself: any one-line scalar or list values */
const otherSection = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]),
);

const sections = Object.fromEntries(
  KNOWN_SECTIONS.map((s) => [s, sectionSchema(s).optional()]),
) as Record<SectionName, z.ZodOptional<z.ZodObject>>;

export const confSchema = z.object({
  kuryr: z.object(sections).catchall(otherSection)
    .describe('kuryr.conf as sections of options: conf.kuryr.<SECTION>.<option> becomes "[SECTION] option = value" ' +
      '(lists joined with commas, booleans as True/False). The Keystone password is not set here: see secrets.neutron.')
    .prefault({}),
}).strict();

/** vnic types a node can serve: normal (the veth port driver) and the ones the sriov port driver handles */
export const CHART_VNIC_TYPES = ['normal', ...SRIOV_VNIC_TYPES] as const;
const vnicTypeAlternation = CHART_VNIC_TYPES.join('|');
/** the seed's spelling: one comma-separated string, e.g. "normal,direct,direct-physical,macvtap" */
const vnicTypesString = z.string()
  .regex(new RegExp(`^ *(?:${vnicTypeAlternation}) *(?:, *(?:${vnicTypeAlternation}) *)*$`),
    `must be vnic types separated by commas (${CHART_VNIC_TYPES.join(', ')})`)
  .transform((text) => text.split(',').map((t) => t.trim()) as Array<(typeof CHART_VNIC_TYPES)[number]>);
/** what is wrong with a supported_vnic_types value, for the union's single message */
function vnicTypesProblem(input: unknown): string {
  const items: unknown[] = Array.isArray(input) ? input : typeof input === 'string' ? input.split(',').map((t) => t.trim()) : [input];
  const known = CHART_VNIC_TYPES as readonly unknown[];
  const bad = items.filter((t) => !known.includes(t));
  const expected = `expected a list, or one comma-separated string, of: ${CHART_VNIC_TYPES.join(', ')}`;
  if (items.length === 0 || (typeof input === 'string' && input.trim() === '')) return `names no vnic type; ${expected}`;
  return `${bad.map((t) => JSON.stringify(t)).join(', ')} ${bad.length === 1 ? 'is not a vnic type' : 'are not vnic types'}; ${expected}`;
}
const vnicTypesSchema = z.union([z.array(z.enum(CHART_VNIC_TYPES)).min(1), vnicTypesString],
  { error: (issue) => vnicTypesProblem(issue.input) })
  .transform((types) => [...new Set(types)])
  .default(['direct'])
  .describe(`Neutron vnic types the nodes serve, as a list or one comma-separated string: ${CHART_VNIC_TYPES.join(', ')} ` +
    '(normal is served by the veth port driver, the others by the sriov port driver).');

export const sriovValuesSchema = z.object({
  enabled: z.boolean().default(false)
    .describe('Add the sriov port driver and the hw_veb binding driver to kuryr.conf, mount /sys read-write and ' +
      'run only on nodes labelled labels.sriov.'),
  supported_vnic_types: vnicTypesSchema,
  physical_device_mappings: z.union([z.array(listItem), oneLine]).default([])
    .describe('[sriov] physical_device_mappings: physnet:PF entries (Neutron SR-IOV agent syntax) VFs are allocated from.'),
  exclude_devices: z.union([z.array(listItem), oneLine]).default([])
    .describe('[sriov] exclude_devices: PF:pci;pci entries (Neutron SR-IOV agent syntax) never handed out.'),
}).strict();

export const networkSchema = z.object({
  kuryr: z.object({ sriov: sriovValuesSchema.prefault({}) }).strict().prefault({}),
}).strict();

export const secretsSchema = z.object({
  neutron: z.object({
    password: z.string().describe('Keystone password of the [neutron] user; stored in a Secret and passed as $OS_NEUTRON__PASSWORD.'),
    existingSecret: z.string()
      .describe('Name of an existing Secret (key "password") to use instead of creating one; empty = create it.'),
  }).strict(),
}).strict();

/**
 * What `kuryr config render` reads: `network` and `conf` (other keys, e.g. the rest of a chart values file,
 * are ignored). The chart's values ConfigMap holds exactly these two keys.
 */
export const renderValuesSchema = z.object({
  network: networkSchema.prefault({}),
  conf: confSchema.prefault({}),
}).loose();

export type RenderValues = z.output<typeof renderValuesSchema>;

const k8sObject = z.record(z.string(), z.unknown());

/** The whole chart values structure (values.schema.json). */
export const chartValuesSchema = z.object({
  global: k8sObject.optional().describe('Helm global values (passed down by a parent chart); unused.'),
  image: z.object({
    repository: z.string().min(1).describe('Image with `kuryr` on PATH (and iproute2).'),
    tag: z.string().min(1).describe('Image tag (a string: quote numeric tags).'),
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  }).strict(),
  labels: z.object({
    sriov: z.object({
      node_selector_key: z.string().min(1),
      node_selector_value: z.string(),
    }).strict().describe('nodeSelector of the DaemonSet when network.kuryr.sriov.enabled is true.'),
  }).strict(),
  network: networkSchema,
  conf: confSchema,
  secrets: secretsSchema,
  pod: z.object({
    resources: k8sObject.describe('Container resources of the plugin container.'),
    tolerations: z.array(k8sObject).describe('Tolerations of the DaemonSet pods.'),
  }).strict(),
}).strict();

export type ChartValues = z.output<typeof chartValuesSchema>;

/** values.schema.json: the JSON Schema (draft-07, as Helm reads it) of the chart values, as committed. */
export function chartValuesJsonSchema(): string {
  const schema = z.toJSONSchema(chartValuesSchema, { target: 'draft-07', io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'kuryr-libnetwork Helm chart values' }, null, 2)}\n`;
}
