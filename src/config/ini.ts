// oslo.config-compatible INI parsing: text → Map<section, Map<key, values[]>>, following oslo_config's
// iniparser rules (full-line comments only, `=`/`:` separator, quote stripping, continuation lines, repeated
// keys accumulate). Pure: no file I/O, no option knowledge, no type conversion. Parse errors never echo the
// offending line (it may hold a password), only its file and line number.
import { ConfigError } from '../errors.ts';

/** section → key → every value given for the key in this text, in order */
export type IniDocument = Map<string, Map<string, string[]>>;

export const DEFAULT_SECTION = 'DEFAULT';

/** oslo.config group-name rule: `DEFAULT` is kept as is, every other section name is lower-cased. */
export function normalizeSectionName(name: string): string {
  return name === DEFAULT_SECTION ? name : name.toLowerCase();
}

interface Pending {
  key: string;
  lines: string[];
}

/**
 * Parse one file's text. `fileName` is used only in error messages (`<file>:<line>: …`).
 * Throws ConfigError('ERR_CONFIG_PARSE') on the first malformed line.
 */
export function parseIni(text: string, fileName: string): IniDocument {
  const doc: IniDocument = new Map();
  let section: Map<string, string[]> | undefined;
  let pending: Pending | undefined;
  let lineNo = 0;

  const fail = (reason: string, at: number = lineNo): never => {
    throw new ConfigError('ERR_CONFIG_PARSE', `${fileName}:${at}: ${reason}`, {
      details: { file: fileName, line: at },
    });
  };

  const flush = (): void => {
    if (pending === undefined) return;
    // oslo only notices a missing section when the assignment is stored, i.e. at flush time; the
    // line reported is the one being read then, which is what oslo reports too.
    if (section === undefined) fail('an option is assigned before any [section] header');
    const values = section!.get(pending.key);
    const joined = pending.lines.join('\n');
    if (values === undefined) section!.set(pending.key, [joined]);
    else values.push(joined);
    pending = undefined;
  };

  // Python's universal newlines: \r\n, \r and \n all end a line. A UTF-8 BOM is dropped (editors on
  // other platforms add it; oslo would choke on it, which helps nobody).
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const rawLine of body.split(/\r\n|\r|\n/)) {
    lineNo += 1;
    const line = rawLine.trimEnd();

    if (line === '') {
      // a blank line ends a multi-line value
      flush();
      continue;
    }

    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (pending === undefined) fail('continuation line (starts with a space or tab) without an option before it');
      pending!.lines.push(line.trimStart());
      continue;
    }

    flush();

    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail('section header has no closing "]"');
      if (line.length <= 2) fail('section header has an empty name');
      const name = normalizeSectionName(line.slice(1, -1));
      let existing = doc.get(name);
      if (existing === undefined) {
        existing = new Map();
        doc.set(name, existing);
      }
      section = existing;
      continue;
    }

    if (line.startsWith('#') || line.startsWith(';')) continue;

    pending = splitKeyValue(line) ?? fail('expected "key = value" (or "key: value"), a [section] header or a comment');
    if (pending.key === '') fail('option name is empty');
  }
  flush();
  return doc;
}

/** Split at the first `=` or `:`, whichever comes first; strip one pair of matching surrounding quotes. */
function splitKeyValue(line: string): Pending | undefined {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) return undefined;
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  const key = line.slice(0, at).trim();
  let value = line.slice(at + 1).trim();
  const first = value[0];
  if ((first === '"' || first === "'") && value.endsWith(first)) value = value.slice(1, -1);
  return { key, lines: [value] };
}

/**
 * Append the values of `next` to `into` (section by section, key by key), in place. Used to merge several
 * files: later files' values come after earlier ones, so "last value wins" and "all values accumulate"
 * both fall out of the merged lists.
 */
export function mergeIniInto(into: IniDocument, next: IniDocument): IniDocument {
  appendIniValues(into, next, (value) => value);
  return into;
}

/** mergeIniInto for any value type: each appended value of `next` is turned into a V by `wrap`. */
export function appendIniValues<V>(
  into: Map<string, Map<string, V[]>>,
  next: IniDocument,
  wrap: (value: string) => V,
): void {
  for (const [sectionName, keys] of next) {
    let target = into.get(sectionName);
    if (target === undefined) {
      target = new Map();
      into.set(sectionName, target);
    }
    for (const [key, values] of keys) {
      const existing = target.get(key);
      if (existing === undefined) target.set(key, values.map(wrap));
      else existing.push(...values.map(wrap));
    }
  }
}
