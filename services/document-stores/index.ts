/** The document store this Herald writes to, from its configuration (HERALD_DOCUMENT_STORE). */
import type { Knex } from 'knex';
import type { Config } from '../../config/index.js';
import { databaseDocumentStore } from './database.js';
import { s3DocumentStore } from './s3.js';
import type { DocumentStore } from './contract.js';

export type { DocumentStore } from './contract.js';
export { DocumentIntegrityError, UnknownDocumentStoreError } from './contract.js';
export { DATABASE_STORE_ID, databaseDocumentStore } from './database.js';
export { S3_STORE_ID, s3DocumentStore } from './s3.js';

type StoreConfig = Pick<Config, 'documentStore' | 's3Endpoint' | 's3Bucket' | 's3AccessKey' | 's3SecretKey' | 's3Region'>;

export async function createDocumentStore(config: StoreConfig, db: Knex): Promise<DocumentStore> {
  if (config.documentStore !== 's3') return databaseDocumentStore(db);
  // loadConfig refuses s3 without these; checked again for callers that build a config by hand
  if (!config.s3Endpoint || !config.s3AccessKey || !config.s3SecretKey) throw new Error('HERALD_DOCUMENT_STORE=s3 needs HERALD_S3_ENDPOINT, HERALD_S3_ACCESS_KEY and HERALD_S3_SECRET_KEY');
  return s3DocumentStore({ endpoint: config.s3Endpoint, bucket: config.s3Bucket, accessKey: config.s3AccessKey, secretKey: config.s3SecretKey, region: config.s3Region });
}
