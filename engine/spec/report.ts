/** Console and JUnit reports of a process-test run. */
import type { SuiteResult } from './index.js';
import type { CaseResult } from './runner.js';

export interface Style {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

export const plain: Style = { red: (s) => s, green: (s) => s, yellow: (s) => s, dim: (s) => s };
export const ansi: Style = {
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
};

/** The lines explaining one failed case: instruction, expected vs actual, the instance. */
export function failureLines(c: CaseResult): string[] {
  const f = c.failure;
  if (!f) return [];
  const lines = [`${f.where}: ${f.message}`];
  if (f.expected !== undefined) lines.push(`  expected: ${f.expected}`);
  if (f.actual !== undefined) lines.push(`  actual:   ${f.actual}`);
  if (f.instance) {
    const i = f.instance;
    lines.push(`  process instance ${i.processInstanceKey} of '${i.bpmnProcessId}' is ${i.state}`);
    lines.push(`  element path: ${i.elementPath.length ? i.elementPath.join(' -> ') : '(none)'}`);
    lines.push(`  variables: ${JSON.stringify(i.variables)}`);
    for (const inc of i.incidents) lines.push(`  incident on ${inc.elementId}: ${inc.errorType} ${JSON.stringify(inc.errorMessage)}`);
  }
  return lines;
}

export function caseLines(c: CaseResult, style: Style = plain): string[] {
  if (c.status === 'passed') return [`  ${style.green('✓')} ${c.name} ${style.dim(`(${c.durationMs} ms)`)}`];
  if (c.status === 'skipped') return [`  ${style.yellow('-')} ${c.name} ${style.yellow(`skipped: ${c.skipReason}`)}`];
  return [`  ${style.red('✗')} ${c.name} ${style.dim(`(${c.durationMs} ms)`)}`, ...failureLines(c).map((l) => `      ${style.red(l)}`)];
}

export function summaryLine(r: Pick<SuiteResult, 'passed' | 'failed' | 'skipped'>): string {
  return `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
}

function xml(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** JUnit XML (the Ant/Surefire schema CI servers read): one testsuite per spec file. */
export function junitXml(result: SuiteResult): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="herald process tests" tests="${result.passed + result.failed + result.skipped}" failures="${result.failed}" errors="0" skipped="${result.skipped}" time="${seconds(result.durationMs)}">`);
  for (const file of result.files) {
    const failures = file.cases.filter((c) => c.status === 'failed').length + (file.error ? 1 : 0);
    const skipped = file.cases.filter((c) => c.status === 'skipped').length;
    out.push(`  <testsuite name="${xml(file.file)}" tests="${file.cases.length + (file.error ? 1 : 0)}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(file.durationMs)}">`);
    if (file.error) {
      out.push(`    <testcase classname="${xml(file.file)}" name="(spec file)" time="0">`);
      out.push(`      <failure message="${xml(file.error.split('\n')[0])}" type="SpecFormatError">${xml(file.error)}</failure>`);
      out.push('    </testcase>');
    }
    for (const c of file.cases) {
      out.push(`    <testcase classname="${xml(file.file)}" name="${xml(c.name)}" time="${seconds(c.durationMs)}">`);
      if (c.status === 'failed' && c.failure) {
        out.push(`      <failure message="${xml(`${c.failure.where}: ${c.failure.message}`)}" type="${c.failure.instruction ? xml(c.failure.instruction.name) : 'setup'}">${xml(failureLines(c).join('\n'))}</failure>`);
      } else if (c.status === 'skipped') out.push(`      <skipped message="${xml(c.skipReason ?? '')}"/>`);
      if (c.userTasks.length) {
        out.push(`      <system-out>${xml(c.userTasks.map((t) => `user task ${t.elementName ?? t.elementId} ${t.refused ? `refused to ${t.user} (${t.refused})` : `completed by ${t.user ?? '(no user)'}`}`).join('\n'))}</system-out>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
