/**
 * The runner on the embedded engine: the corpus's zeebe-spec files pass as written, our own
 * specs for corpus diagrams pass, wrong expectations fail naming the instruction, reports.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// PGlite start-up and the engine dominate; generous for a loaded CI machine (a few seconds when idle).
const SLOW = { timeout: 180_000 };
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EmbeddedProvider, findSpecFiles, runSpecFiles, type SuiteResult } from '../../engine/spec/index.js';
import { junitXml } from '../../engine/spec/report.js';
import { computeCoverage } from '../../engine/spec/coverage.js';
import type { AuthorizeUserTask } from '../../engine/spec/runner.js';

const corpus = path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus');
const fixtures = path.join(import.meta.dirname, 'fixtures');
const provider = new EmbeddedProvider();
afterAll(() => provider.close());

function failures(result: SuiteResult) {
  return result.files.flatMap((f) => [...(f.error ? [f.error] : []), ...f.cases.filter((c) => c.status === 'failed').map((c) => `${c.file} / ${c.name}: ${c.failure?.where}: ${c.failure?.message}`)]);
}

describe('process tests on the embedded engine', () => {
  let corpusResult: SuiteResult;

  it('passes the four zeebe-spec files of the corpus as written', SLOW, async () => {
    const files = findSpecFiles([corpus]);
    expect(files.map((f) => path.basename(f))).toEqual([
      'spec-demo2.incident.spec.yaml',
      'spec-demo2.publish-message.spec.yaml',
      'spec-exclusive-gateway.spec.yaml',
      'spec-message-boundary-event.spec.yaml',
    ]);
    corpusResult = await runSpecFiles(files, { provider });
    expect(failures(corpusResult)).toEqual([]);
    expect(corpusResult).toMatchObject({ passed: 5, failed: 0, skipped: 0 });
  });

  it('computes coverage per process from the taken elements and flows', () => {
    const coverage = computeCoverage(corpusResult);
    expect(coverage.map((c) => [c.processId, c.flowNodes.covered.length, c.flowNodes.total, c.flowNodePercent, c.sequenceFlowPercent])).toEqual([
      ['demo2', 6, 7, 85.7, 80],
      ['exclusive-gateway', 5, 5, 100, 100],
      ['message-boundary-event', 4, 7, 57.1, 40],
    ]);
    expect(coverage[0].flowNodes.missed).toEqual(['Event_1lt5rl7']);
  });

  it('writes JUnit XML that parses, one testsuite per spec file', () => {
    const xml = junitXml(corpusResult);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml);
    expect(doc.testsuites['@_tests']).toBe('5');
    expect(doc.testsuites.testsuite.map((s: Record<string, string>) => s['@_tests'])).toEqual(['1', '1', '2', '1']);
  });

  it('passes the specs written for corpus diagrams from their manifest notes', SLOW, async () => {
    const result = await runSpecFiles(findSpecFiles([path.join(import.meta.dirname, 'corpus')]), { provider });
    expect(failures(result)).toEqual([]);
    expect(result.passed).toBeGreaterThanOrEqual(20);
  });

  it('fails a wrong expectation with a message naming the instruction, expected and actual', SLOW, async () => {
    const result = await runSpecFiles([path.join(fixtures, 'wrong-expectation.spec.yaml')], { provider });
    const [wrongPath, wrongValue, right] = result.files[0].cases;
    expect(wrongPath.status).toBe('failed');
    expect(wrongPath.failure).toMatchObject({
      where: 'instruction 3 (verification element-instance-state)',
      message: "Expected the element with name 'C' to be in state 'activated' but no element instance found.",
      expected: 'activated',
      actual: 'no element instance',
    });
    expect(wrongPath.failure?.instance?.elementPath).toContain('B (Activity_0dceglv) activated');
    expect(wrongPath.failure?.instance?.variables).toEqual({ x: 8 });
    expect(wrongValue.failure).toMatchObject({ where: 'instruction 3 (verification process-instance-variable)', expected: '9', actual: '8' });
    expect(right.status).toBe('passed');
    expect(result).toMatchObject({ passed: 1, failed: 2 });
    const xml = junitXml(result);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('failure message="instruction 3 (verification element-instance-state): Expected the element with name');
  });

  it('asks the authorize hook before completing a user task and records the acting user', SLOW, async () => {
    const requesterMayNotApprove: AuthorizeUserTask = (task, user, { history }) => {
      const requester = history.find((h) => h.elementId === 'RequestAbsenceTask' && !h.refused)?.user;
      return task.elementId === 'ApproveAbsenceTask' && user === requester ? { allowed: false, reason: 'the requester may not approve their own request' } : { allowed: true };
    };
    const result = await runSpecFiles([path.join(fixtures, 'segregation-of-duties.spec.yaml')], { provider, authorize: requesterMayNotApprove });
    const [refused, selfApproval] = result.files[0].cases;
    expect(refused.status).toBe('passed');
    expect(refused.userTasks.map((t) => [t.elementId, t.user, t.refused])).toEqual([
      ['RequestAbsenceTask', 'alice', undefined],
      ['ApproveAbsenceTask', 'alice', 'the requester may not approve their own request'],
      ['ApproveAbsenceTask', 'john', undefined],
    ]);
    expect(selfApproval.failure).toMatchObject({
      where: 'instruction 3 (action complete-user-task)',
      message: "user 'alice' may not complete the user task with name 'Approve absence': the requester may not approve their own request",
    });
  });
});
