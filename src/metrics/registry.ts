// A small Prometheus text-format (version 0.0.4) exporter: counters, gauges and fixed-bucket histograms with
// labels, plus collectors that refresh gauges at scrape time. prom-client is not a dependency on purpose: the
// format is a few lines of text. Pure (no I/O): metrics/server.ts serves render() over HTTP.
// Label sets are fixed per metric at registration; using other labels is a programming error and throws.

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
  get(labels?: Labels): number | undefined;
  /** forget every series (a collector that rebuilds the gauge from scratch calls this first) */
  reset(): void;
}

export interface Histogram {
  /** one observation, in the metric's unit (seconds for *_seconds) */
  observe(labels: Labels, value: number): void;
  /** count and sum of one series (tests) */
  get(labels?: Labels): { count: number; sum: number } | undefined;
}

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram;
  /** run before every render; a collector that throws is reported through onCollectorError, the rest still renders */
  addCollector(fn: () => Promise<void> | void): void;
  render(): Promise<string>;
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds; suits calls that take from a few milliseconds (GetCapabilities) to a minute (a slow Neutron). */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Go's strconv float spellings for the special values; JS spelling otherwise (1e-7 parses in Prometheus). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** label values escape backslash, double quote and newline */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  lines(): string[];
}

/** The label values of `labels` in `names` order; throws when the label set differs. */
function labelValues(metric: string, names: readonly string[], labels: Labels | undefined): string[] {
  const given = labels ?? {};
  const keys = Object.keys(given);
  if (keys.length !== names.length || !names.every((n) => Object.hasOwn(given, n))) {
    throw new Error(`metric ${metric}: labels {${keys.join(',')}} do not match {${names.join(',')}}`);
  }
  return names.map((n) => given[n] ?? '');
}

const keyOf = (values: readonly string[]): string => JSON.stringify(values);

function sortedEntries<V>(m: Map<string, V>): [string[], V][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [JSON.parse(k) as string[], v]);
}

export function createMetricsRegistry(opts: { onCollectorError?: (err: unknown) => void } = {}): MetricsRegistry {
  const families: Family[] = [];
  const collectors: (() => Promise<void> | void)[] = [];

  function register(name: string, labelNames: readonly string[]): void {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    if (families.some((f) => f.name === name)) throw new Error(`metric ${name} registered twice`);
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || l === 'le') throw new Error(`metric ${name}: invalid label name ${JSON.stringify(l)}`);
    }
  }

  function scalar(type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[]) {
    register(name, labelNames);
    const series = new Map<string, number>();
    families.push({
      name, help, type,
      lines: () => sortedEntries(series).map(([values, v]) => `${name}${renderLabels(labelNames, values)} ${formatValue(v)}`),
    });
    return series;
  }

  return {
    counter(name, help, labelNames = []) {
      const series = scalar('counter', name, help, labelNames);
      // a counter with no labels exists from the start (0), so rate() works from the first scrape
      if (labelNames.length === 0) series.set(keyOf([]), 0);
      return {
        inc(labels, by = 1) {
          if (!(by >= 0)) throw new Error(`metric ${name}: a counter only goes up (inc by ${by})`);
          const k = keyOf(labelValues(name, labelNames, labels));
          series.set(k, (series.get(k) ?? 0) + by);
        },
        get: (labels) => series.get(keyOf(labelValues(name, labelNames, labels))) ?? 0,
      };
    },

    gauge(name, help, labelNames = []) {
      const series = scalar('gauge', name, help, labelNames);
      return {
        set(labels, value) { series.set(keyOf(labelValues(name, labelNames, labels)), value); },
        get: (labels) => series.get(keyOf(labelValues(name, labelNames, labels))),
        reset() { series.clear(); },
      };
    },

    histogram(name, help, labelNames, buckets) {
      register(name, labelNames);
      const bounds = [...buckets].sort((a, b) => a - b);
      if (bounds.some((b) => !Number.isFinite(b)) || new Set(bounds).size !== bounds.length) {
        throw new Error(`metric ${name}: buckets must be distinct finite numbers (+Inf is implicit)`);
      }
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      families.push({
        name, help, type: 'histogram',
        lines: () => sortedEntries(series).flatMap(([values, s]) => {
          const out: string[] = [];
          let cumulative = 0;
          bounds.forEach((b, i) => {
            cumulative += s.counts[i] ?? 0;
            out.push(`${name}_bucket${renderLabels(labelNames, values, ['le', formatValue(b)])} ${cumulative}`);
          });
          out.push(`${name}_bucket${renderLabels(labelNames, values, ['le', '+Inf'])} ${s.count}`);
          out.push(`${name}_sum${renderLabels(labelNames, values)} ${formatValue(s.sum)}`);
          out.push(`${name}_count${renderLabels(labelNames, values)} ${s.count}`);
          return out;
        }),
      });
      return {
        observe(labels, value) {
          const k = keyOf(labelValues(name, labelNames, labels));
          let s = series.get(k);
          if (s === undefined) {
            s = { counts: bounds.map(() => 0), sum: 0, count: 0 };
            series.set(k, s);
          }
          // counts per bucket (not cumulative); an observation above the last bound only counts in +Inf
          const i = bounds.findIndex((b) => value <= b);
          if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
          s.sum += value;
          s.count += 1;
        },
        get(labels) {
          const s = series.get(keyOf(labelValues(name, labelNames, labels)));
          return s === undefined ? undefined : { count: s.count, sum: s.sum };
        },
      };
    },

    addCollector(fn) { collectors.push(fn); },

    async render() {
      for (const c of collectors) {
        try { await c(); } catch (err) { opts.onCollectorError?.(err); }
      }
      const out: string[] = [];
      for (const f of families) {
        out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.lines());
      }
      return `${out.join('\n')}\n`;
    },
  };
}
