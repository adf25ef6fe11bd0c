/**
 * The demo never gives up on a step, and never waits in silence: it says what it is waiting for,
 * and once its patience is spent it says, at warn, what a person can do, then keeps waiting, so a
 * slow machine only delays the story. The clock is injected; the test waits on what was logged.
 */
import { describe, expect, it } from 'vitest';
import { whenState } from '../../api/demo.js';
import type { Logger } from '../../config/log.js';

function recordingLogger() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: Record<string, unknown> | string, msg?: string) => {
    lines.push(typeof obj === 'string' ? { level, msg: obj, obj: {} } : { level, msg: msg ?? '', obj });
  };
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), child: () => log } as unknown as Logger;
  return { log, lines };
}

describe('a demo step waiting on state', () => {
  it('reports what it waits for, advises what to do after its patience, keeps waiting and then goes on', async () => {
    // given a step whose state arrives late, on a clock that runs ten minutes per poll (a 10x slower machine and more)
    const { log, lines } = recordingLogger();
    let clock = 0;
    let ready = false;
    let ran = 0;
    const stop = whenState(async () => ((clock += 60_000), ready), () => void ran++, log, 5, { what: "Acme's second reminder", hint: 'look for open approvals in the Tasklist', reportEveryMs: 120_000, patienceMs: 600_000 }, () => clock);
    try {
      // then it says what it waits for, then what to do, at warn, once
      await expect.poll(() => lines.filter((l) => l.level === 'warn').length, { timeout: 15_000 }).toBe(1);
      expect(lines.find((l) => l.level === 'info')?.msg).toBe("demo: waiting for Acme's second reminder");
      const advice = lines.find((l) => l.level === 'warn')!;
      expect(advice.msg).toMatch(/^demo: still waiting for Acme's second reminder after \d+ s; look for open approvals in the Tasklist\. The demo keeps waiting; a restart \(npm start\) resumes it where it is$/);
      expect(advice.obj).toMatchObject({ waitingFor: "Acme's second reminder" });
      expect(ran).toBe(0);
      // when the state arrives at last, the step runs, once
      ready = true;
      await expect.poll(() => ran, { timeout: 15_000 }).toBe(1);
      expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    } finally {
      stop();
    }
  });
});
