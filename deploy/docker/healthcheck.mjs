#!/usr/local/bin/node
// The image's HEALTHCHECK: healthy when the plugin answers `POST /Plugin.Activate` on the address it serves,
// with an `Implements` list naming NetworkDriver and IpamDriver. A socket file alone is not enough (a killed
// plugin leaves a stale one behind).
//
// Where it looks, first match wins (the same order as `kuryr serve`: environment over files, later files
// over earlier ones):
//   $KURYR_HEALTHCHECK_URI                         explicit, e.g. unix:///run/docker/plugins/kuryr.sock
//   $OS_DEFAULT__KURYR_URI                         oslo.config's environment source
//   [DEFAULT] kuryr_uri of the config files PID 1 was started with (--config-file F, --config-dir D/*.conf)
//   $OS_KURYR_URI                                  upstream's environment default
//   unix:///run/docker/plugins/kuryr.sock          the default
// unix://, http:// and https:// (certificate not verified: this is a liveness probe) are understood.
// Exit 0 healthy, 1 unhealthy (Docker's convention); one line on stdout says why (`docker inspect` shows it).
import { readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

const DEFAULT_URI = 'unix:///run/docker/plugins/kuryr.sock';
const TIMEOUT_MS = Number(process.env.KURYR_HEALTHCHECK_TIMEOUT_MS ?? 3000);

/** --config-file / --config-dir arguments of `kuryr serve` (PID 1 in the container), in order */
function configFiles(argv) {
  const files = [];
  const dirs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--config-(file|dir)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const value = m[2] ?? argv[++i];
    if (value === undefined) continue;
    (m[1] === 'file' ? files : dirs).push(value);
  }
  for (const d of dirs) {
    try {
      files.push(...readdirSync(d).filter((f) => f.endsWith('.conf')).sort().map((f) => join(d, f)));
    } catch { /* a missing dir is kuryr's problem, not the probe's */ }
  }
  return files;
}

/** [DEFAULT] kuryr_uri of one oslo INI file (last assignment wins), or undefined */
function kuryrUriIn(file) {
  let text;
  try { text = readFileSync(file, 'utf8'); } catch { return undefined; }
  let section = '';
  let uri;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { section = s[1].trim(); continue; }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && section === 'DEFAULT' && kv[1] === 'kuryr_uri') uri = kv[2].trim();
  }
  return uri;
}

function resolveUri() {
  const env = process.env;
  if (env.KURYR_HEALTHCHECK_URI) return env.KURYR_HEALTHCHECK_URI;
  if (env.OS_DEFAULT__KURYR_URI) return env.OS_DEFAULT__KURYR_URI;
  let argv = [];
  try { argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter((a) => a !== ''); } catch { /* not in a container */ }
  let uri;
  for (const f of configFiles(argv)) uri = kuryrUriIn(f) ?? uri;
  return uri ?? env.OS_KURYR_URI ?? DEFAULT_URI;
}

function activate(uri) {
  return new Promise((resolve, reject) => {
    const u = new URL(uri);
    const opts = { method: 'POST', path: '/Plugin.Activate', timeout: TIMEOUT_MS,
      headers: { Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': 0 } };
    let req;
    if (u.protocol === 'unix:') req = httpRequest({ ...opts, socketPath: decodeURIComponent(u.pathname) });
    else if (u.protocol === 'http:') req = httpRequest({ ...opts, host: u.hostname, port: u.port || 80 });
    else if (u.protocol === 'https:') req = httpsRequest({ ...opts, host: u.hostname, port: u.port || 443, rejectUnauthorized: false });
    else return reject(new Error(`unsupported kuryr_uri scheme ${u.protocol}`));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.end();
  });
}

const uri = resolveUri();
try {
  const { status, body } = await activate(uri);
  const implementsList = status === 200 ? JSON.parse(body).Implements : undefined;
  if (!Array.isArray(implementsList) || !implementsList.includes('NetworkDriver') || !implementsList.includes('IpamDriver')) {
    console.log(`unhealthy: ${uri} answered /Plugin.Activate with HTTP ${status}: ${body.slice(0, 200)}`);
    process.exit(1);
  }
  console.log(`healthy: ${uri} implements ${implementsList.join(', ')}`);
  process.exit(0);
} catch (err) {
  console.log(`unhealthy: ${uri}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
