// List-query matching as Neutron does it: unknown filter keys are a 400, paging/sorting keys are ignored,
// scalar fields match any of the given values, tags / tags-any / not-tags / not-tags-any, and fixed_ips
// (ip_address, subnet_id, ip_address_substr). Pure. Test-only (excluded from the build).
import type { NeutronFixedIp, NeutronQuery } from '../../neutron/types.ts';
import { canonicalIp } from './ip-math.ts';
import { copy, fail, type Site } from './rules.ts';

const QUERY_META_KEYS = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);
const TAG_FILTER_KEYS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

function splitList(v: string | number | boolean | readonly string[]): string[] {
  const parts = Array.isArray(v) ? v : [String(v)];
  return parts.flatMap((p) => String(p).split(',')).filter((t) => t !== '');
}

function valuesOf(v: string | number | boolean | readonly string[]): string[] {
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function scalarMatches(field: unknown, wanted: readonly string[]): boolean {
  if (Array.isArray(field)) return field.some((f) => scalarMatches(f, wanted));
  if (field === null || field === undefined) return wanted.includes('');
  if (typeof field === 'boolean') return wanted.some((w) => w.toLowerCase() === String(field));
  if (typeof field === 'object') return false;
  return wanted.includes(String(field));
}

export function tagsOf(obj: { tags?: string[] | null }): string[] {
  return obj.tags ?? [];
}

export function filterList<T extends { tags?: string[] | null; [k: string]: unknown }>(
  site: Site, items: Iterable<T>, q: NeutronQuery | undefined, fieldNames: ReadonlySet<string>, extra: ReadonlySet<string> = new Set(),
): T[] {
  const entries = Object.entries(q ?? {}).filter(
    (e): e is [string, string | number | boolean | readonly string[]] => e[1] !== undefined,
  );
  const bad = entries.map(([k]) => k).filter(
    (k) => !fieldNames.has(k) && !QUERY_META_KEYS.has(k) && !TAG_FILTER_KEYS.has(k) && !extra.has(k),
  );
  if (bad.length > 0) {
    throw fail(site, 400, 'HTTPBadRequest', `[${bad.map((b) => `'${b}'`).join(', ')}] is invalid attribute for filtering`);
  }
  const out: T[] = [];
  for (const item of items) {
    let ok = true;
    for (const [key, value] of entries) {
      if (QUERY_META_KEYS.has(key)) continue;
      const tags = tagsOf(item);
      if (key === 'tags') ok = splitList(value).every((t) => tags.includes(t));
      else if (key === 'tags-any') ok = splitList(value).some((t) => tags.includes(t));
      else if (key === 'not-tags') ok = !splitList(value).every((t) => tags.includes(t));
      else if (key === 'not-tags-any') ok = !splitList(value).some((t) => tags.includes(t));
      else if (key === 'fixed_ips') ok = fixedIpsMatch(item['fixed_ips'] as NeutronFixedIp[], valuesOf(value));
      else ok = scalarMatches(item[key], valuesOf(value));
      if (!ok) break;
    }
    if (ok) out.push(copy(item));
  }
  return out;
}

/** Neutron: for each kind given (ip_address, subnet_id), some fixed IP matches one value of that kind. */
function fixedIpsMatch(fixedIps: readonly NeutronFixedIp[], filters: readonly string[]): boolean {
  const byKind = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    const kind = eq < 0 ? f : f.slice(0, eq);
    const val = eq < 0 ? '' : f.slice(eq + 1);
    byKind.set(kind, [...(byKind.get(kind) ?? []), val]);
  }
  for (const [kind, vals] of byKind) {
    if (kind === 'ip_address') {
      const wanted = vals.map((v) => canonicalIp(v));
      if (!fixedIps.some((fip) => wanted.includes(fip.ip_address))) return false;
    } else if (kind === 'subnet_id') {
      if (!fixedIps.some((fip) => vals.includes(fip.subnet_id))) return false;
    } else if (kind === 'ip_address_substr') {
      if (!fixedIps.some((fip) => vals.some((v) => fip.ip_address.includes(v)))) return false;
    } else {
      return false;
    }
  }
  return true;
}
