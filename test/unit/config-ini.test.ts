// Unit tests for src/config/ini.ts: the oslo.config INI rules, error reporting, and fast-check properties
// (generated documents round-trip; arbitrary text only ever fails with ConfigError ERR_CONFIG_PARSE).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import { mergeIniInto, normalizeSectionName, parseIni, type IniDocument } from '../../src/config/ini.ts';

function toPlain(doc: IniDocument): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [section, keys] of doc) out[section] = Object.fromEntries(keys);
  return out;
}

function parseError(text: string, file = 'x.conf'): ConfigError {
  try {
    parseIni(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_CONFIG_PARSE');
    return e;
  }
  assert.fail('expected a parse error');
}

describe('parseIni: sections', () => {
  it('keeps DEFAULT, lower-cases other section names, keeps dots literally', () => {
    const doc = parseIni('[DEFAULT]\na = 1\n[Neutron]\nb = 2\n[keystone.Auth]\nc = 3\n[default]\nd = 4\n', 'f');
    assert.deepEqual(toPlain(doc), {
      DEFAULT: { a: ['1'] },
      neutron: { b: ['2'] },
      'keystone.auth': { c: ['3'] },
      default: { d: ['4'] },
    });
  });

  it('merges a section opened twice', () => {
    const doc = parseIni('[binding]\na = 1\n[neutron]\nx = y\n[BINDING]\nb = 2\n', 'f');
    assert.deepEqual(toPlain(doc).binding, { a: ['1'], b: ['2'] });
  });

  it('normalizeSectionName only spares the exact DEFAULT', () => {
    assert.equal(normalizeSectionName('DEFAULT'), 'DEFAULT');
    assert.equal(normalizeSectionName('Default'), 'default');
    assert.equal(normalizeSectionName('NEUTRON'), 'neutron');
  });
});

describe('parseIni: comments and separators', () => {
  it('treats only full lines starting with # or ; as comments', () => {
    const doc = parseIni('[DEFAULT]\n# a = 1\n; b = 2\npassword = s3cr#t;x\nc = v # not a comment\n', 'f');
    assert.deepEqual(toPlain(doc), { DEFAULT: { password: ['s3cr#t;x'], c: ['v # not a comment'] } });
  });

  it('splits at whichever of = and : comes first', () => {
    const doc = parseIni(
      '[DEFAULT]\nauth_url = http://controller:5000/v3\nkey: a=b\nk2:v2\nk3=v3:x\n',
      'f',
    );
    assert.deepEqual(toPlain(doc).DEFAULT, {
      auth_url: ['http://controller:5000/v3'],
      key: ['a=b'],
      k2: ['v2'],
      k3: ['v3:x'],
    });
  });

  it('keeps an empty value', () => {
    assert.deepEqual(toPlain(parseIni('[DEFAULT]\nregion_name =\n', 'f')).DEFAULT, { region_name: [''] });
  });
});

describe('parseIni: quotes', () => {
  it('strips exactly one pair of matching surrounding quotes', () => {
    const doc = parseIni(
      [
        '[DEFAULT]',
        'a = "double"',
        "b = 'single'",
        `c = "mixed'`,
        'd = ""nested""',
        'e = " spaced "',
        'f = "',
        'g = say "hi"',
      ].join('\n'),
      'f',
    );
    assert.deepEqual(toPlain(doc).DEFAULT, {
      a: ['double'],
      b: ['single'],
      c: [`"mixed'`],
      d: ['"nested"'],
      e: [' spaced '],
      f: [''],
      g: ['say "hi"'],
    });
  });
});

describe('parseIni: continuation lines', () => {
  it('joins lines starting with space or tab with a newline, left-trimmed', () => {
    const doc = parseIni('[DEFAULT]\nk = first\n   second\n\tthird  \nnext = 1\n', 'f');
    assert.deepEqual(toPlain(doc).DEFAULT, { k: ['first\nsecond\nthird'], next: ['1'] });
  });

  it('a blank line ends the value; an indented line after it is an error', () => {
    assert.deepEqual(toPlain(parseIni('[DEFAULT]\nk = a\n  b\n\nz = 2\n', 'f')).DEFAULT, { k: ['a\nb'], z: ['2'] });
    const err = parseError('[DEFAULT]\nk = a\n\n  b\n', 'f.conf');
    assert.match(err.message, /^f\.conf:4: continuation line/);
  });

  it('an indented line right after a section header is an error', () => {
    assert.match(parseError('[DEFAULT]\n  k = v\n').message, /^x\.conf:2: /);
  });

  it('continuation applies to the first line only for quote stripping', () => {
    assert.deepEqual(toPlain(parseIni('[DEFAULT]\nk = "a"\n  "b"\n', 'f')).DEFAULT, { k: ['a\n"b"'] });
  });
});

describe('parseIni: repeated keys and line endings', () => {
  it('accumulates repeated keys in order', () => {
    const doc = parseIni('[DEFAULT]\nk = 1\nother = x\nk = 2\n[DEFAULT]\nk = 3\n', 'f');
    assert.deepEqual(toPlain(doc).DEFAULT?.k, ['1', '2', '3']);
  });

  it('accepts CRLF and CR line endings and a UTF-8 BOM', () => {
    const doc = parseIni('\uFEFF[DEFAULT]\r\nk = v\r\n  w\rz = 1\r\n', 'f');
    assert.deepEqual(toPlain(doc), { DEFAULT: { k: ['v\nw'], z: ['1'] } });
  });

  it('returns an empty document for empty text or comments only', () => {
    assert.equal(parseIni('', 'f').size, 0);
    assert.equal(parseIni('# just\n; comments\n\n', 'f').size, 0);
  });
});

describe('parseIni: errors', () => {
  it('refuses an assignment before any section, naming file and line', () => {
    const err = parseError('# header\nk = v\n', '/etc/kuryr/kuryr.conf');
    assert.match(err.message, /^\/etc\/kuryr\/kuryr\.conf:\d+: an option is assigned before any \[section\]/);
    assert.deepEqual(err.details, { file: '/etc/kuryr/kuryr.conf', line: err.details.line });
  });

  it('reports the line of a key without a section even at end of file', () => {
    assert.match(parseError('k = v').message, /^x\.conf:1: /);
  });

  it('refuses malformed section headers', () => {
    assert.match(parseError('[DEFAULT\nk = v\n').message, /x\.conf:1: section header has no closing/);
    assert.match(parseError('[]\n').message, /x\.conf:1: section header has an empty name/);
  });

  it('refuses a line without a separator and an empty key', () => {
    assert.match(parseError('[DEFAULT]\njust words\n').message, /x\.conf:2: expected "key = value"/);
    assert.match(parseError('[DEFAULT]\n= value\n').message, /x\.conf:2: option name is empty/);
  });

  it('never echoes the offending line (it may be a password)', () => {
    const err = parseError('[neutron]\npassword hunter2-very-secret\n');
    assert.ok(!err.message.includes('hunter2'), err.message);
    const err2 = parseError('[neutron]\n\n  hunter2-very-secret\n');
    assert.ok(!err2.message.includes('hunter2'), err2.message);
  });
});

describe('mergeIniInto', () => {
  it('appends later values after earlier ones, section by section', () => {
    const a = parseIni('[DEFAULT]\nk = 1\n[neutron]\nx = a\n', 'a');
    const b = parseIni('[DEFAULT]\nk = 2\nj = 3\n[binding]\ny = b\n', 'b');
    const merged = mergeIniInto(mergeIniInto(new Map(), a), b);
    assert.deepEqual(toPlain(merged), {
      DEFAULT: { k: ['1', '2'], j: ['3'] },
      neutron: { x: ['a'] },
      binding: { y: ['b'] },
    });
    // inputs are not modified
    assert.deepEqual(toPlain(a).DEFAULT, { k: ['1'] });
  });
});

// ---------------------------------------------------------------------------------------------------
// properties

const noNewline = (s: string): boolean => !/[\r\n]/.test(s);

const sectionName = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter((s) => noNewline(s) && s.trimEnd() === s && !s.endsWith(']') && s.length > 0);

const keyName = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter(
    (s) =>
      noNewline(s) && s.trim() === s && s !== '' && !/[=:]/.test(s) && !s.startsWith('[') &&
      !s.startsWith('#') && !s.startsWith(';'),
  );

const firstLine = fc.string({ unit: 'binary', maxLength: 20 }).filter(noNewline);
const continuation = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 12 })
  .filter((s) => noNewline(s) && s.trim() === s && s !== '');

const valueArb = fc
  .tuple(firstLine, fc.array(continuation, { maxLength: 2 }))
  .map(([first, rest]) => ({ first, rest, joined: [first, ...rest].join('\n') }));

const entryArb = fc.tuple(keyName, valueArb);
const sectionArb = fc.tuple(fc.oneof(fc.constant('DEFAULT'), sectionName), fc.array(entryArb, { maxLength: 5 }));

describe('parseIni: properties', () => {
  it('round-trips generated documents (quoted first line, indented continuations)', () => {
    fc.assert(
      fc.property(fc.array(sectionArb, { maxLength: 4 }), (sections) => {
        const lines: string[] = [];
        const expected = new Map<string, Map<string, string[]>>();
        for (const [name, entries] of sections) {
          lines.push(`[${name}]`);
          const normalized = normalizeSectionName(name);
          const target = expected.get(normalized) ?? new Map<string, string[]>();
          expected.set(normalized, target);
          for (const [key, value] of entries) {
            lines.push(`${key} = "${value.first}"`);
            for (const c of value.rest) lines.push(`  ${c}`);
            target.set(key, [...(target.get(key) ?? []), value.joined]);
          }
        }
        const parsed = parseIni(lines.join('\n'), 'gen.conf');
        // Maps, not plain objects: a generated section named __proto__ must stay an ordinary key
        assert.deepEqual(parsed, expected);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text either parses or throws ConfigError ERR_CONFIG_PARSE with a file:line prefix', () => {
    const token = fc.oneof(
      fc.constantFrom('[', ']', '=', ':', '#', ';', ' ', '\t', '\n', '\r\n', '\r', '"', "'", 'DEFAULT', 'k', '\uFEFF'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }).map((t) => t.join('')), (text) => {
        try {
          const doc = parseIni(text, 'fuzz.conf');
          assert.ok(doc instanceof Map);
        } catch (e) {
          assert.ok(e instanceof ConfigError, `non-ConfigError thrown: ${String(e)}`);
          assert.equal(e.code, 'ERR_CONFIG_PARSE');
          assert.match(e.message, /^fuzz\.conf:\d+: /);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
