// oslo.config value types (`types.*` equivalents) for the option table: parsers and formatters for str,
// int, bool, list, enum, URL, listen URI and multi-valued str, plus the ParseResult/OptionType shapes.
// Pure functions of the raw text: must not know option names, sections, files or the environment, and
// must not throw (a bad value is a `{ ok: false }` result; load code turns it into a ConfigError).

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string; raw: string };

export interface OptionType<T> {
  /** human description for docs, e.g. `int (>= 0)` */
  readonly label: string;
  /** multi-valued (MultiStrOpt): every given value is kept; otherwise the last one wins */
  readonly multi: boolean;
  /** `raws` is never empty; single-valued types look only at the last element */
  parse(raws: readonly string[]): ParseResult<T>;
  /** render a value the way it would be written in kuryr.conf (defaults in docs, `$name` substitution) */
  format(value: T): string;
}

function single<T>(label: string, parseOne: (raw: string) => ParseResult<T>, format: (v: T) => string): OptionType<T> {
  return {
    label,
    multi: false,
    parse: (raws) => parseOne(raws[raws.length - 1] ?? ''),
    format,
  };
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = (raw: string, reason: string): ParseResult<never> => ({ ok: false, reason, raw });

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** oslo types.Boolean: true/false/yes/no/1/0/on/off, case-insensitive. */
export function parseBool(raw: string): ParseResult<boolean> {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return bad(raw, 'not a boolean (use true/false, yes/no, on/off or 1/0)');
}

/** oslo types.Integer: a base-10 integer (Python int() spelling: optional sign, `_` between digits). */
export function parseInt10(raw: string, bounds: { min?: number; max?: number } = {}): ParseResult<number> {
  const text = raw.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(text)) return bad(raw, 'not an integer');
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value)) return bad(raw, 'integer out of range');
  const { min, max } = bounds;
  if (min !== undefined && max !== undefined && (value < min || value > max)) {
    return bad(raw, `must be between ${min} and ${max}`);
  }
  if (min !== undefined && value < min) return bad(raw, `must be >= ${min}`);
  if (max !== undefined && value > max) return bad(raw, `must be <= ${max}`);
  return ok(value);
}

/** oslo ListOpt as this project reads it: split on commas, trim, drop empty items. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const pyBool = (v: boolean): string => (v ? 'True' : 'False');

export const types = {
  str: (): OptionType<string> => single('str', (raw) => ok(raw), (v) => v),

  /** empty value = unset (generated configs often carry `region_name =`) */
  optionalStr: (): OptionType<string | undefined> =>
    single('str', (raw) => ok(raw === '' ? undefined : raw), (v) => v ?? ''),

  int: (bounds: { min?: number; max?: number } = {}): OptionType<number> => {
    const range =
      bounds.min !== undefined && bounds.max !== undefined ? ` (${bounds.min}..${bounds.max})`
      : bounds.min !== undefined ? ` (>= ${bounds.min})`
      : bounds.max !== undefined ? ` (<= ${bounds.max})`
      : '';
    return single(`int${range}`, (raw) => parseInt10(raw, bounds), (v) => String(v));
  },

  bool: (): OptionType<boolean> => single('bool', parseBool, pyBool),

  list: (): OptionType<string[]> => single('list', (raw) => ok(parseList(raw)), (v) => v.join(', ')),

  /**
   * StrOpt with `choices` (case-sensitive, as oslo). `aliases` maps extra accepted spellings onto a
   * choice (e.g. keystone's `publicURL` → `public`).
   */
  enumOf: <C extends string>(choices: readonly C[], aliases: Readonly<Record<string, NoInfer<C>>> = {}): OptionType<C> =>
    single(
      `enum: ${choices.join(' | ')}`,
      (raw) => {
        const hit = choices.find((c) => c === raw) ?? aliases[raw];
        return hit !== undefined ? ok(hit) : bad(raw, `must be one of ${choices.join(', ')}`);
      },
      (v) => v,
    ),

  /** optional http(s) URL; empty = unset */
  httpUrl: (): OptionType<string | undefined> =>
    single(
      'URL (http/https)',
      (raw) => {
        if (raw === '') return ok(undefined);
        return isHttpUrl(raw) ? ok(raw) : bad(raw, 'must be an http:// or https:// URL');
      },
      (v) => v ?? '',
    ),

  /** where the plugin listens: `unix:///abs/path.sock` or `http(s)://host[:port]` */
  listenUri: (): OptionType<string> =>
    single(
      'URI (unix:///path or http://host:port)',
      (raw) => {
        const reason = listenUriProblem(raw);
        return reason === undefined ? ok(raw) : bad(raw, reason);
      },
      (v) => v,
    ),

  /** optional plain-HTTP listener `http://host:port` (no path, no TLS); empty = off */
  httpListenUrl: (): OptionType<string | undefined> =>
    single(
      'URL (http://host:port)',
      (raw) => {
        if (raw === '') return ok(undefined);
        const reason = httpListenProblem(raw);
        return reason === undefined ? ok(raw) : bad(raw, reason);
      },
      (v) => v ?? '',
    ),

  /** MultiStrOpt: every value, from every file, in order */
  multiStr: (): OptionType<string[]> => ({
    label: 'multi-valued str',
    multi: true,
    parse: (raws) => ok([...raws]),
    format: (v) => v.join('\n'),
  }),
} as const;

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function listenUriProblem(raw: string): string | undefined {
  if (raw.startsWith('unix://')) {
    const path = raw.slice('unix://'.length);
    if (!path.startsWith('/')) return 'a unix socket URI needs an absolute path (unix:///run/docker/plugins/kuryr.sock)';
    if (path.endsWith('/')) return 'a unix socket URI must name a socket file, not a directory';
    return undefined;
  }
  if (isHttpUrl(raw)) {
    const url = new URL(raw);
    if (url.pathname !== '/' && url.pathname !== '') return 'an http listen URI takes no path';
    return undefined;
  }
  return 'must be unix:///path/to/socket or http://host:port';
}

function httpListenProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be http://host:port';
  }
  if (url.protocol !== 'http:') return 'must be http://host:port (plain HTTP; put a TLS proxy in front if needed)';
  if (url.hostname === '') return 'needs a host (e.g. http://127.0.0.1:9465)';
  if (url.port === '') return 'needs an explicit port (e.g. http://127.0.0.1:9465)';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return 'takes no path: metrics are served at /metrics';
  if (url.username !== '' || url.password !== '') return 'takes no credentials';
  return undefined;
}
