/**
 * Audit checkpoints on disk: a signed head of the chain, written to a folder outside the
 * database on demand and periodically (only when the chain grew). A checkpoint is signed only
 * after the chain verifies, so it never blesses a tampered chain: the rows after the newest
 * valid checkpoint are verified and its own row must still hold its hash and count.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../config/log.js';
import { checkpointFileName, openCheckpoint, signCheckpoint, type AuditKeys, type ChainVerdict, type SignedCheckpoint } from '../../../domain/audit/index.js';
import type { Db } from '../../../storage/db.js';
import { createAuditRepository, defaultAuditKeys } from '../../../storage/repositories/audit.js';

export type Taken = { ok: true; checkpoint: SignedCheckpoint; file: string } | { ok: true; unchanged: true; checkpoint: SignedCheckpoint | undefined } | { ok: false; verdict: Extract<ChainVerdict, { ok: false }> };

export interface CheckpointStore {
  dir: string;
  /** The newest checkpoint in the folder whose signature verifies (a bad file is logged and skipped). */
  latest(): Promise<SignedCheckpoint | undefined>;
  /** Verifies and signs the chain's head; unless `force`, skips when nothing was appended since the latest. */
  take(options?: { force?: boolean; at?: Date }): Promise<Taken>;
  /** Takes a checkpoint every `intervalMs` while the chain grows; the returned stop waits for a run in flight. */
  every(intervalMs: number): () => Promise<void>;
}

export function createCheckpointStore(opts: { db: Db; dir: string; logger: Pick<Logger, 'info' | 'warn' | 'error'>; keys?: AuditKeys }): CheckpointStore {
  const { dir, logger } = opts;
  const keys = () => opts.keys ?? defaultAuditKeys();
  const audit = createAuditRepository(opts.db, { keys: opts.keys });

  async function latest(): Promise<SignedCheckpoint | undefined> {
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => /^checkpoint-\d{12}-.*\.json$/.test(n)).sort().reverse();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    for (const name of names) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8'));
      } catch (err) {
        logger.warn({ file: name, err: (err as Error).message }, 'audit checkpoint: unreadable file skipped');
        continue;
      }
      const opened = openCheckpoint(parsed, keys());
      if (opened.ok) return opened.checkpoint;
      // someone changed the folder, or the key that signed it is no longer configured
      logger.error({ file: name, field: opened.field, reason: opened.reason }, 'audit checkpoint: signature does not verify; file skipped');
    }
    return undefined;
  }

  async function take(options: { force?: boolean; at?: Date } = {}): Promise<Taken> {
    const previous = await latest();
    if (!options.force && previous) {
      if ((await audit.lastId()) === previous.lastId) return { ok: true, unchanged: true, checkpoint: previous };
    }
    const verdict = previous ? await audit.verifySince(previous) : await audit.verify();
    if (!verdict.ok) return { ok: false, verdict };
    const checkpoint = signCheckpoint({ lastId: verdict.lastId ?? 0, lastHash: verdict.lastHash, rows: verdict.checked, legacyThroughId: verdict.legacyThroughId }, keys(), options.at);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, checkpointFileName(checkpoint));
    // write then rename, so a reader never sees half a checkpoint
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`, { flag: 'wx' });
    await fs.rename(tmp, file);
    return { ok: true, checkpoint, file };
  }

  function every(intervalMs: number): () => Promise<void> {
    let running: Promise<void> | undefined;
    const tick = () => {
      if (running) return;
      running = take()
        .then((taken) => {
          if (!taken.ok) logger.error({ brokenAt: taken.verdict.brokenAt, checked: taken.verdict.checked }, 'audit checkpoint refused: the chain does not verify');
          else if ('file' in taken) logger.info({ file: taken.file, lastId: taken.checkpoint.lastId, rows: taken.checkpoint.rows }, 'audit checkpoint written');
        })
        .catch((err: Error) => logger.error({ err }, 'audit checkpoint failed'))
        .finally(() => {
          running = undefined;
        });
    };
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  return { dir, latest, take, every };
}
