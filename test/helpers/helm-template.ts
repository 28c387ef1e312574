// A test-only renderer for the small subset of Helm's Go templates the kuryr-libnetwork chart uses, so the
// chart tests can look at real manifests although no `helm` binary can be installed here. Subset: text,
// `{{- … -}}` trimming, comments, if/else/end, with/else/end, pipelines, `( … )`, fields on `.`/`$`, string
// and number literals, and the functions quote, default, toYaml, toJson, nindent, indent, not, and, or, eq,
// dict, sha256sum, required. Anything else (range, define, include, tpl, …) throws, which also keeps the
// templates thin. Missing map keys throw too (Helm would print nothing): a typo in a template fails here.
// It is NOT Helm: YAML formatting of toYaml differs (same data), and sprig's full semantics are not copied.
import { createHash } from 'node:crypto';
import { stringify as yamlStringify } from 'yaml';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: string }
  | { kind: 'if' | 'with'; pipe: string; then: Node[]; else: Node[] };

interface RawToken { kind: 'text' | 'action'; text: string; trimLeft: boolean; trimRight: boolean }

const ACTION = /\{\{(-[ \t\r\n])?([\s\S]*?)([ \t\r\n]-)?\}\}/g;

function tokenize(src: string): RawToken[] {
  const out: RawToken[] = [];
  let last = 0;
  for (const m of src.matchAll(ACTION)) {
    out.push({ kind: 'text', text: src.slice(last, m.index), trimLeft: false, trimRight: false });
    out.push({ kind: 'action', text: (m[2] ?? '').trim(), trimLeft: m[1] !== undefined, trimRight: m[3] !== undefined });
    last = m.index + m[0].length;
  }
  out.push({ kind: 'text', text: src.slice(last), trimLeft: false, trimRight: false });
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!;
    if (t.kind !== 'action') continue;
    const before = out[i - 1];
    const after = out[i + 1];
    if (t.trimLeft && before?.kind === 'text') before.text = before.text.replace(/[ \t\r\n]+$/, '');
    if (t.trimRight && after?.kind === 'text') after.text = after.text.replace(/^[ \t\r\n]+/, '');
  }
  return out;
}

function parseNodes(tokens: RawToken[], name: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { kind: 'if' | 'with' }>; inElse: boolean }> = [];
  const target = (): Node[] => {
    const top = stack[stack.length - 1];
    return top === undefined ? root : top.inElse ? top.node.else : top.node.then;
  };
  for (const t of tokens) {
    if (t.kind === 'text') {
      if (t.text !== '') target().push({ kind: 'text', text: t.text });
      continue;
    }
    const body = t.text;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) throw new Error(`${name}: unterminated comment`);
      continue;
    }
    const word = /^([a-z]+)\b/.exec(body)?.[1];
    if (word === 'if' || word === 'with') {
      const node = { kind: word, pipe: body.slice(word.length).trim(), then: [], else: [] } as Extract<Node, { kind: 'if' | 'with' }>;
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (word === 'else') {
      const top = stack[stack.length - 1];
      if (top === undefined || top.inElse || body !== 'else') throw new Error(`${name}: unsupported or misplaced "${body}"`);
      top.inElse = true;
    } else if (word === 'end') {
      if (stack.pop() === undefined) throw new Error(`${name}: {{ end }} without a block`);
    } else if (word === 'range' || word === 'define' || word === 'template' || word === 'block') {
      throw new Error(`${name}: "${word}" is not supported by the test renderer (keep the templates thin)`);
    } else {
      target().push({ kind: 'action', pipe: body });
    }
  }
  if (stack.length > 0) throw new Error(`${name}: ${stack.length} block(s) not closed with {{ end }}`);
  return root;
}

// ------------------------------------------------------------------------------------------------
// pipelines

type Tok = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'field'; v: string } | { t: 'ident'; v: string } | { t: 'punct'; v: '(' | ')' | '|' };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === '|') { out.push({ t: 'punct', v: c }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      out.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
      continue;
    }
    const m = /^(?:\$?(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\$|\.|-?[0-9]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (m === null) throw new Error(`cannot read "${src.slice(i)}"`);
    const w = m[0];
    if (/^-?[0-9]+$/.test(w)) out.push({ t: 'num', v: Number(w) });
    else if (w.startsWith('.') || w.startsWith('$')) out.push({ t: 'field', v: w });
    else out.push({ t: 'ident', v: w });
    i += w.length;
  }
  return out;
}

export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

const asText = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  quote: (...args) => args.filter((a) => a !== undefined && a !== null).map((a) => JSON.stringify(asText(a))).join(' '),
  default: (dflt, given) => (truthy(given) ? given : dflt),
  toYaml: (v) => yamlStringify(sortKeys(v)).replace(/\n$/, ''),
  toJson: (v) => JSON.stringify(sortKeys(v)),
  nindent: (n, s) => `\n${FUNCTIONS['indent']!(n, s) as string}`,
  indent: (n, s) => {
    const pad = ' '.repeat(Number(n));
    return pad + asText(s).replaceAll('\n', `\n${pad}`);
  },
  not: (v) => !truthy(v),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
  eq: (a, b) => a === b,
  dict: (...args) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < args.length; i += 2) out[asText(args[i])] = args[i + 1];
    return out;
  },
  sha256sum: (s) => createHash('sha256').update(asText(s)).digest('hex'),
  required: (msg, v) => {
    if (v === undefined || v === null || v === '') throw new Error(asText(msg));
    return v;
  },
};

export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

function lookup(path: string, dot: unknown, root: unknown): unknown {
  let cur: unknown = path.startsWith('$') ? root : dot;
  const parts = path.replace(/^\$/, '').split('.').filter((p) => p !== '');
  for (const [i, p] of parts.entries()) {
    if (typeof cur !== 'object' || cur === null || !(p in cur)) {
      throw new Error(`${path}: no "${parts.slice(0, i + 1).join('.')}"`);
    }
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function evalPipe(src: string, dot: unknown, root: unknown): unknown {
  const toks = lex(src);
  let pos = 0;
  const operand = (): unknown => {
    const t = toks[pos++];
    if (t === undefined) throw new Error(`${src}: unexpected end`);
    if (t.t === 'str' || t.t === 'num') return t.v;
    if (t.t === 'field') return lookup(t.v, dot, root);
    if (t.t === 'punct' && t.v === '(') {
      const v = pipeline();
      const close = toks[pos++];
      if (close?.t !== 'punct' || close.v !== ')') throw new Error(`${src}: missing ")"`);
      return v;
    }
    if (t.t === 'ident' && (t.v === 'true' || t.v === 'false')) return t.v === 'true';
    if (t.t === 'ident' && t.v === 'nil') return null;
    throw new Error(`${src}: unexpected ${t.v}`);
  };
  const command = (piped: { v: unknown } | undefined): unknown => {
    const first = toks[pos];
    if (first?.t === 'ident' && !['true', 'false', 'nil'].includes(first.v)) {
      pos++;
      const fn = FUNCTIONS[first.v];
      if (fn === undefined) throw new Error(`${src}: function "${first.v}" is not supported by the test renderer`);
      const args: unknown[] = [];
      while (pos < toks.length && !(toks[pos]!.t === 'punct' && (toks[pos]!.v === '|' || toks[pos]!.v === ')'))) args.push(operand());
      if (piped !== undefined) args.push(piped.v);
      return fn(...args);
    }
    if (piped !== undefined) throw new Error(`${src}: cannot pipe into a non-function`);
    return operand();
  };
  const pipeline = (): unknown => {
    let v = command(undefined);
    while (toks[pos]?.t === 'punct' && toks[pos]!.v === '|') {
      pos++;
      v = command({ v });
    }
    return v;
  };
  const v = pipeline();
  if (pos !== toks.length) throw new Error(`${src}: trailing tokens`);
  return v;
}

function renderNodes(nodes: readonly Node[], dot: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'action') {
      const v = evalPipe(n.pipe, dot, root);
      if (typeof v === 'object' && v !== null) throw new Error(`{{ ${n.pipe} }} prints a map or list; use toYaml`);
      out += asText(v);
    } else {
      const v = evalPipe(n.pipe, dot, root);
      const branch = truthy(v) ? n.then : n.else;
      out += renderNodes(branch, n.kind === 'with' && truthy(v) ? v : dot, root);
    }
  }
  return out;
}

export interface RenderContext {
  Values: unknown;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

/** Render one template file's text. */
export function renderTemplate(name: string, src: string, ctx: RenderContext): string {
  return renderNodes(parseNodes(tokenize(src), name), ctx, ctx);
}
