import { describe, expect, it } from 'vitest';
import { parseSpec, SpecFormatError } from '../../engine/spec/format.js';
import { durationToMs } from '../../engine/spec/duration.js';

function problems(yaml: string): string[] {
  try {
    parseSpec(yaml, 'given.spec.yaml');
  } catch (err) {
    if (err instanceof SpecFormatError) return err.problems.map((p) => `${p.testCase ?? ''}#${p.index ?? ''}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('spec format', () => {
  it('reads zeebe-spec instructions with JSON-string values', () => {
    const spec = parseSpec(
      `testCases:
  - name: one
    instructions:
      - action: create-instance
        args: { bpmn_process_id: p, variables: '{"x":1}', process_instance_alias: a }
      - verification: process-instance-variable
        args: { name: x, value: '1' }
`,
      'given.spec.yaml',
    );
    expect(spec.testCases[0].instructions.map((i) => [i.type, i.name, i.args])).toEqual([
      ['action', 'create-instance', { bpmn_process_id: 'p', variables: { x: 1 }, process_instance_alias: 'a' }],
      ['verification', 'process-instance-variable', { name: 'x', value: 1 }],
    ]);
  });

  it('reads the older actions-then-verifications style as one numbered list', () => {
    const spec = parseSpec(
      `testCases:
  - name: old
    actions:
      - action: create-instance
        args: { bpmn_process_id: p }
    verifications:
      - verification: process-instance-state
        args: { state: completed }
`,
      'given.spec.yaml',
    );
    expect(spec.testCases[0].instructions.map((i) => `${i.location.index} ${i.name}`)).toEqual(['1 create-instance', '2 process-instance-state']);
  });

  it('reports unknown actions, unknown arguments and bad values with the case and instruction number', () => {
    const found = problems(`testCases:
  - name: broken
    instructions:
      - action: create-instance
        args: { bpmn_process_id: p }
      - action: complete-job
        args: { job_type: a }
      - action: complete-task
        args: { job_typ: a }
      - verification: element-instance-state
        args: { element_id: A, state: done }
      - action: increase-time
        args: { duration: 14 days }
      - action: publish-message
        args: { message_name: m, correlation_key: k, variables: '{x:1}' }
`);
    expect(found).toEqual([
      expect.stringMatching(/^broken#2: unknown action 'complete-job'/),
      expect.stringMatching(/^broken#3: action 'complete-task': unknown argument 'job_typ'/),
      expect.stringMatching(/^broken#3: action 'complete-task': missing required argument 'job_type'/),
      expect.stringMatching(/^broken#4: verification 'element-instance-state': argument 'state' must be one of activated, completed, terminated, taken/),
      expect.stringMatching(/^broken#5: action 'increase-time': argument 'duration': '14 days' is not an ISO 8601 duration/),
      expect.stringMatching(/^broken#6: action 'publish-message': argument 'variables' is not valid JSON/),
    ]);
  });

  it('names the file in the error message', () => {
    expect(() => parseSpec('testCases:\n  - name: x\n    instructions:\n      - verification: nope\n', 'processes/invoice.spec.yaml')).toThrow(
      "processes/invoice.spec.yaml, test case 'x', instruction 1: unknown verification 'nope'",
    );
  });

  it('refuses unknown fields of the spec and of a test case', () => {
    expect(problems('testCase: []\n')).toEqual(expect.arrayContaining([expect.stringContaining("unknown field(s) 'testCase'")]));
    expect(problems('testCases:\n  - name: x\n    instruction: []\n')).toEqual(expect.arrayContaining([expect.stringContaining("unknown field(s) 'instruction'")]));
  });

  it('turns ISO 8601 durations into milliseconds, months by the calendar', () => {
    const jan31 = Date.UTC(2026, 0, 31);
    expect(durationToMs('P14D', jan31)).toBe(14 * 86_400_000);
    expect(durationToMs('PT1H30M', jan31)).toBe(90 * 60_000);
    expect(durationToMs('P1M', Date.UTC(2026, 1, 1))).toBe(28 * 86_400_000);
  });
});
