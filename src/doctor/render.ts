// Doctor output: a human table (status, check id, summary; evidence and fix under every warn/fail, under every
// check with verbose) and the JSON document for machines. Pure string building.
import type { CheckStatus, DoctorReport } from './types.ts';

const COL = 8;
const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderHuman(report: DoctorReport, opts: { verbose?: boolean } = {}): string {
  const width = Math.max(16, ...report.checks.map((c) => c.id.length)) + 2;
  const lines: string[] = [];
  lines.push(`kuryr doctor: host ${report.host ?? '(unknown: no configuration)'}${report.root ? '' : ' (not root: some checks may be skipped)'}`);
  lines.push('');
  lines.push(`${'STATUS'.padEnd(COL)}${'CHECK'.padEnd(width)}SUMMARY`);
  for (const c of report.checks) {
    lines.push(`${LABEL[c.status].padEnd(COL)}${c.id.padEnd(width)}${c.summary}`);
    const detailed = c.status === 'warn' || c.status === 'fail' || (opts.verbose === true && c.status !== 'skip');
    if (!detailed) continue;
    const indent = ' '.repeat(COL + 2);
    for (const e of c.evidence) lines.push(`${indent}· ${e}`);
    if (c.fix !== '' && c.status !== 'ok') lines.push(`${indent}fix: ${c.fix}`);
  }
  lines.push('');
  const { ok, warn, fail, skip } = report.counts;
  lines.push(`${ok} ok, ${warn} warn, ${fail} fail, ${skip} skip — exit ${report.exitCode}`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
