/**
 * Claim-check variables: a rendered PDF is stored once (the same bytes twice are one document)
 * and the process carries its reference; the engine refuses a variable over the limit, naming
 * the variable, its size and the way out (a document), whether it comes with a new instance,
 * a message, or a job's completion (which fails without retries: it would produce the same).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/log.js';
import { EmbeddedEngine } from '../../engine/embedded/engine.js';
import { EngineError, type Engine } from '../../engine/types.js';
import { limitVariables } from '../../engine/variable-limit.js';
import { documentService, isDocumentReference, type DocumentReference } from '../../services/documents.js';
import { documentRepository } from '../../storage/repositories/documents.js';
import { openTestDb, type TestDb } from '../support/db.js';

const LIMIT = 64 * 1024;
const diagram = (processId: string, type: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://herald.example">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="attach" />
    <bpmn:serviceTask id="attach"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="attach" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

const waitFor = async <T>(what: string, get: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('claim-check documents', () => {
  let t: TestDb;
  let raw: EmbeddedEngine;
  let engine: Engine;

  beforeAll(async () => {
    t = await openTestDb('pglite');
    raw = new EmbeddedEngine({ db: t.db, pollInterval: 20, logger: silentLogger });
    await raw.start();
    engine = limitVariables(raw, LIMIT);
  }, 60_000);
  afterAll(async () => {
    await raw?.stop();
    await t?.close();
  });

  it('stores a document once and reads it back through its reference', async () => {
    const docs = documentService(t.db);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300 * 1024)]);
    const before = await documentRepository(t.db).count();
    // when the same bytes are stored twice
    const a = await docs.store(pdf, { contentType: 'application/pdf', fileName: 'invoice-2026-0142.pdf' });
    const b = await docs.store(pdf, { contentType: 'application/pdf', fileName: 'copy.pdf' });
    // then they are one document, referenced in Camunda's shape
    expect(b.documentId).toBe(a.documentId);
    expect(await documentRepository(t.db).count()).toBe(before + 1);
    expect(isDocumentReference(a)).toBe(true);
    expect(a).toMatchObject({ 'camunda.document.type': 'camunda', storeId: 'herald-db', metadata: { contentType: 'application/pdf', fileName: 'invoice-2026-0142.pdf', size: pdf.length } });
    expect((await docs.read(a))?.content.equals(pdf)).toBe(true);
    // and a reference whose hash does not match is refused
    await expect(docs.read({ ...a, contentHash: '0'.repeat(64) })).rejects.toThrow(/content hash does not match/);
  });

  it('refuses a variable over the limit with the way out, and runs the process on a reference', async () => {
    const processId = `claim_${randomUUID().slice(0, 8)}`;
    const type = `attach-${randomUUID().slice(0, 8)}`;
    await engine.deploy([{ name: `${processId}.bpmn`, content: diagram(processId, type) }]);
    const pdf = randomBytes(200 * 1024);
    // when an instance is started with the PDF itself in a variable
    const refused = (await engine.createInstance({ bpmnProcessId: processId, variables: { customerId: 'C-ACME', pdf: pdf.toString('base64') } }).catch((e: unknown) => e)) as EngineError;
    // then it is refused, naming the variable, its size, the limit and the way out
    expect(refused).toBeInstanceOf(EngineError);
    expect(refused.code).toBe('INVALID_ARGUMENT');
    expect(refused.details?.field).toBe('pdf');
    expect(refused.message).toMatch(/variable 'pdf' is 267 KiB; variables over 64 KiB are refused \(HERALD_MAX_VARIABLE_BYTES\)\. Store the content once as a document and pass its reference/);
    // and a message carrying it is refused alike
    await expect(engine.publishMessage({ name: 'statement-ready', correlationKey: 'C-ACME', variables: { pdf: pdf.toString('base64') } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'pdf' } });
    // when the process gets the reference instead, a worker reads the document through it
    const ref = await documentService(t.db).store(pdf, { contentType: 'application/pdf', fileName: 'statement.pdf' });
    let read: Buffer | undefined;
    const worker = engine.createWorker({
      type,
      handler: async (job) => {
        read = (await documentService(t.db).read(job.variables.statement as DocumentReference))?.content;
        return { outcome: 'complete', variables: { attached: true } };
      },
    });
    const ok = await engine.createInstance({ bpmnProcessId: processId, variables: { customerId: 'C-ACME', statement: ref } });
    await waitFor('the instance to complete', async () => (await engine.getInstance(ok.processInstanceKey))?.state === 'COMPLETED');
    expect(read?.equals(pdf)).toBe(true);
    await worker.close();
  });

  it("fails a job that completes with a variable over the limit, without retries, naming it", async () => {
    const processId = `claim_${randomUUID().slice(0, 8)}`;
    const type = `render-${randomUUID().slice(0, 8)}`;
    await engine.deploy([{ name: `${processId}.bpmn`, content: diagram(processId, type) }]);
    const worker = engine.createWorker({ type, handler: async () => ({ outcome: 'complete', variables: { renderedPdf: randomBytes(100 * 1024).toString('base64') } }) });
    const instance = await engine.createInstance({ bpmnProcessId: processId });
    const incident = await waitFor('an incident', async () => (await engine.listIncidents({ processInstanceKey: instance.processInstanceKey }))[0]);
    expect(incident.errorMessage).toMatch(new RegExp(`job ${type} \\(attach\\): variable 'renderedPdf' is \\d+ KiB; variables over 64 KiB are refused`));
    await worker.close();
  });
});
