import { Type, type Static } from '@sinclair/typebox';

export const DocumentParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type DocumentParams = Static<typeof DocumentParams>;

/** Camunda 8.8's document reference: what a process variable carries instead of the bytes. */
export const DocumentReferenceSchema = Type.Object({
  'camunda.document.type': Type.Literal('camunda'),
  storeId: Type.String(),
  documentId: Type.String(),
  contentHash: Type.String(),
  metadata: Type.Object({ contentType: Type.String(), fileName: Type.Optional(Type.String()), size: Type.Integer() }),
});

/** An uploaded file: its id for links and attachments, its name, type, size and hash. */
export const UploadedDocument = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  /** Where to download it (GET). */
  url: Type.String(),
  createdAt: Type.String(),
});

export const UploadResult = Type.Composite([UploadedDocument, Type.Object({ reference: DocumentReferenceSchema })]);

/** For OpenAPI only: the route reads the multipart stream itself (one part named `file`). */
export const UploadBody = Type.Object({ file: Type.String({ format: 'binary', description: 'the file; its part Content-Type must be one of the accepted types' }) }, { required: ['file'] });

/** Upload ids to attach to a new request or a reply: each an upload of yours, not attached yet. */
export const AttachmentIds = Type.Array(Type.String({ format: 'uuid' }), { maxItems: 10, description: 'ids from POST /api/documents (at most 10)' });
