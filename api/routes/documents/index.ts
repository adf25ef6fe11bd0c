/**
 * Uploads and downloads of documents. POST takes one file as multipart/form-data (part `file`)
 * up to HERALD_MAX_UPLOAD_BYTES, of an accepted type whose bytes match it (413 and 415 name the
 * limit or the accepted types). GET answers the bytes, verified against their hash, to staff and
 * to the customer whose file it is; anyone else hears 404, as for a document that does not exist.
 * The session cookie is SameSite=Strict, so another site's form cannot post a file as a user.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { ALLOWED_UPLOAD_TYPES, bytesInWords, contentDisposition } from '../../../domain/documents/uploads.js';
import { hasRole, type Role } from '../../../domain/identity/index.js';
import type { DocumentStore } from '../../../services/document-stores/contract.js';
import { DocumentIntegrityError } from '../../../services/document-stores/contract.js';
import { documentUploadService, referenceOf } from '../../../services/document-uploads.js';
import type { Db } from '../../../storage/db.js';
import type { DocumentUpload } from '../../../storage/repositories/document-uploads.js';
import { principal } from '../../plugins/app/auth.js';
import { HttpProblem, notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { DocumentParams, UploadBody, UploadResult } from '../../schemas/documents.js';

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Who reads any document: the people who work requests and processes. */
export const DOCUMENT_STAFF: Role[] = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'];

export const uploadView = (u: DocumentUpload) => ({ id: u.id, fileName: u.fileName, contentType: u.contentType, size: u.size, sha256: u.sha256, url: `/api/documents/${u.id}`, createdAt: u.createdAt });

export async function documentRoutes(app: FastifyInstance, opts: { db: Db; store?: DocumentStore; maxUploadBytes?: number; now?: () => Date }): Promise<void> {
  const maxBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const uploads = documentUploadService({ db: opts.db, store: opts.store, now: opts.now });
  const tooLarge = () => new HttpProblem(413, `file is over the upload limit of ${bytesInWords(maxBytes)} (${maxBytes} bytes, HERALD_MAX_UPLOAD_BYTES)`, { field: 'file', limit: maxBytes });

  // multipart for this plugin's routes only: one file, a few small fields, nothing else
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 20 } });

  app.post(
    '/api/documents',
    {
      config: { roles: [...DOCUMENT_STAFF, 'customer'] },
      // the body is a multipart stream read below; its schema is there for the OpenAPI document
      validatorCompiler: () => () => true,
      schema: {
        tags: ['documents'],
        summary: `Upload one file (multipart/form-data, part "file") as a document: accepted types ${ALLOWED_UPLOAD_TYPES.join(', ')}; at most HERALD_MAX_UPLOAD_BYTES (10 MiB unless set)`,
        consumes: ['multipart/form-data'],
        body: UploadBody,
        response: { 201: UploadResult, 400: Problem, 413: Problem, 415: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const customerId = hasRole(who, ...DOCUMENT_STAFF) ? null : who.customerId;
      if (customerId === undefined || customerId === '') throw new HttpProblem(403, `${who.id} is not linked to a customer account`, { rule: 'role' });
      if (!request.isMultipart()) throw new HttpProblem(415, 'send the file as multipart/form-data with a part named "file"', { field: 'file' });
      let part;
      try {
        part = await request.file();
      } catch (err) {
        throw multipartProblem(err, tooLarge);
      }
      if (!part) throw new HttpProblem(400, 'no file: send a part named "file"', { field: 'file' });
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new HttpProblem(400, `the file must be in a part named "file", not "${part.fieldname.slice(0, 40)}"`, { field: 'file' });
      }
      let content: Buffer;
      try {
        content = await part.toBuffer();
      } catch (err) {
        throw multipartProblem(err, tooLarge);
      }
      const result = await uploads.upload({ content, declaredType: part.mimetype, fileName: part.filename, uploadedBy: who.id, customerId: customerId ?? null });
      if (!result.ok) throw new HttpProblem(415, result.message, { field: 'file', accepted: ALLOWED_UPLOAD_TYPES, rule: result.reason });
      request.log.info({ upload: result.upload.id, by: who.id, size: result.upload.size, contentType: result.upload.contentType, store: result.upload.storeId }, 'document uploaded');
      reply.status(201);
      return { ...uploadView(result.upload), reference: referenceOf(result.upload) };
    },
  );

  app.get(
    '/api/documents/:id',
    {
      schema: {
        tags: ['documents'],
        summary: 'Download an uploaded document (staff, or the customer whose file it is), its bytes verified against their SHA-256',
        params: DocumentParams,
        response: { 200: { description: 'the file, as an attachment', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 400: Problem, 404: Problem, 409: Problem, ...authProblems },
      },
    },
    async (request, reply) => {
      const who = principal(request);
      const u = await uploads.repo.get((request.params as DocumentParams).id);
      const mayRead = u && (hasRole(who, ...DOCUMENT_STAFF) || (!!who.customerId && u.customerId === who.customerId));
      if (!u || !mayRead) throw notFound('document');
      let content: Buffer | undefined;
      try {
        content = await uploads.content(u);
      } catch (err) {
        if (err instanceof DocumentIntegrityError) {
          request.log.error({ upload: u.id, store: u.storeId, documentId: u.documentId, err: err.message }, 'a stored document does not match its hash');
          throw new HttpProblem(409, `document ${u.id} was changed in its store since it was uploaded (its SHA-256 no longer matches); it is not served`, { rule: 'integrity' });
        }
        throw err;
      }
      if (!content) throw notFound('document content');
      return reply
        .type(u.contentType)
        .header('content-disposition', contentDisposition(u.fileName))
        .header('x-content-type-options', 'nosniff')
        // opened directly, the file runs nothing and reaches nothing of the app's origin
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-store')
        .header('x-document-sha256', u.sha256)
        .send(content);
    },
  );
}

/** @fastify/multipart's own errors as problems naming the field and the limit. */
function multipartProblem(err: unknown, tooLarge: () => HttpProblem): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge();
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new HttpProblem(413, 'send one file (part "file") and nothing else', { field: 'file' });
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new HttpProblem(415, 'send the file as multipart/form-data with a part named "file"', { field: 'file' });
  if (code.startsWith('FST_')) return new HttpProblem(400, `the multipart body could not be read: ${(err as Error).message}`, { field: 'file' });
  return err;
}
