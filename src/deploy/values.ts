// Helm-style value assembly for `kuryr config render`: several values documents merged (maps deeply, lists
// and scalars replaced, null deletes a key, as `helm -f a.yaml -f b.yaml` does) and `--set a.b=c` /
// `--set-string` overrides in Helm's strvals syntax (the subset: dotted keys, `\.` and `\,` escapes, comma
// separated pairs, `{x,y}` lists). Pure: the CLI reads the files and parses the YAML.
import { ConfigError } from '../errors.ts';

export type Values = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `overlay` over `base`, as Helm coalesces values files: maps merge, everything else replaces, null deletes. */
export function mergeValues(base: Values, overlay: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return out;
}

function setError(arg: string, reason: string): ConfigError {
  return new ConfigError('ERR_CONFIG_VALUE', `--set ${arg}: ${reason}`, { details: { set: arg } });
}

/** Split on `sep` outside `{…}`, honouring `\` escapes (the escape is kept for the next stage). */
function splitUnescaped(text: string, sep: string, arg: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1]!;
      i++;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (depth < 0) throw setError(arg, 'unbalanced "}"');
    if (c === sep && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (depth !== 0) throw setError(arg, 'unbalanced "{"');
  parts.push(current);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Helm's typing of a --set value: true/false, null, integers; anything else is a string. */
function typedScalar(raw: string, asString: boolean): unknown {
  const text = unescape(raw);
  if (asString) return text;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^(?:0|-?[1-9][0-9]*)$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  return text;
}

/**
 * One `--set` (or `--set-string`) argument → [path, value] pairs, in order. `a.b=c,d=e`, `a\.b=c` (a key
 * with a dot), `list={x,y}`, `a=null` (deletes). Index syntax (`a[0]=x`) is not supported.
 */
export function parseSetArgument(arg: string, opts: { asString?: boolean } = {}): Array<[string[], unknown]> {
  const asString = opts.asString ?? false;
  const out: Array<[string[], unknown]> = [];
  for (const pair of splitUnescaped(arg, ',', arg)) {
    if (pair === '') continue;
    const eq = splitUnescaped(pair, '=', arg);
    if (eq.length < 2) throw setError(arg, `"${pair}" is not key=value`);
    const [rawKey, ...rest] = eq;
    const rawValue = rest.join('=');
    const path = splitUnescaped(rawKey!, '.', arg).map(unescape);
    if (path.some((p) => p === '')) throw setError(arg, `"${rawKey!}" has an empty key segment`);
    if (path.some((p) => /\[\d*\]$/.test(p))) throw setError(arg, 'list index syntax (a[0]=x) is not supported; use a={x,y}');
    let value: unknown;
    if (rawValue.startsWith('{') && rawValue.endsWith('}')) {
      const inner = rawValue.slice(1, -1);
      value = inner === '' ? [] : splitUnescaped(inner, ',', arg).map((item) => typedScalar(item, asString));
    } else {
      value = typedScalar(rawValue, asString);
    }
    out.push([path, value]);
  }
  return out;
}

/** Apply one parsed `--set` pair: creates intermediate maps; null deletes the key. Returns a new object. */
export function setValue(values: Values, path: readonly string[], value: unknown): Values {
  const [head, ...rest] = path;
  if (head === undefined) return values;
  const out: Values = { ...values };
  if (rest.length === 0) {
    if (value === null) delete out[head];
    else out[head] = value;
    return out;
  }
  const child = out[head];
  out[head] = setValue(isPlainObject(child) ? child : {}, rest, value);
  return out;
}
