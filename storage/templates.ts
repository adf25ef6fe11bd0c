/**
 * Template versions in the database, and the shipped library seeded as approved versions
 * (authored by the analyst, approved by compliance: never by the same person).
 */
import type { Knex } from 'knex';
import { canUse, selectVersion, type TemplateVersion } from '../domain/templates/index.js';
import { contractOf, type DataContract } from '../domain/templates/contract.js';
import { library, loadLibraryVersion } from '../domain/templates/library/index.js';

/** A stored version with what the library screens show beside it. */
export interface StoredTemplateVersion extends TemplateVersion {
  approvedAt: Date | null;
  createdAt: Date;
  sampleData: Record<string, unknown>;
  /** The data paths this version needs, stored with it when it was written. */
  dataContract: DataContract;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : (v ?? {})) as Record<string, unknown>;
const date = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

function toStored(r: Record<string, any>): StoredTemplateVersion {
  const v = toVersion(r);
  // versions written before contracts were stored get theirs from their sources
  const contract = r.data_contract ? (json(r.data_contract) as unknown as DataContract) : contractOf(v);
  return { ...v, approvedAt: date(r.approved_at), createdAt: date(r.created_at)!, sampleData: json(r.sample_data), dataContract: contract };
}

function toVersion(r: Record<string, any>): TemplateVersion {
  return {
    templateId: r.template_id,
    version: r.version,
    locale: r.locale,
    kind: r.kind,
    subject: r.subject,
    mjml: r.mjml,
    ...(r.text ? { text: r.text } : {}),
    status: r.status,
    author: r.author,
    ...(r.approved_by ? { approvedBy: r.approved_by } : {}),
  };
}

export function templateRepository(db: Knex | Knex.Transaction) {
  return {
    /** Every template id with its newest usable version per locale (what approval and deploy check against). */
    async usableAll(templateId: string): Promise<StoredTemplateVersion[]> {
      const all = (await this.stored(templateId)).filter((v) => canUse(v).ok);
      const newest = new Map<string, StoredTemplateVersion>();
      for (const v of all) if (!newest.has(v.locale) || newest.get(v.locale)!.version < v.version) newest.set(v.locale, v);
      return [...newest.values()];
    },
    async versions(templateId: string): Promise<TemplateVersion[]> {
      return (await db('template_versions').where({ template_id: templateId }).orderBy([{ column: 'version', order: 'desc' }, { column: 'locale' }])).map(toVersion);
    },
    /** The newest approved version for the locale (falling back de-CH -> de -> en). */
    async usable(templateId: string, locale: string): Promise<TemplateVersion | undefined> {
      const versions = (await this.versions(templateId)).filter((v) => canUse(v).ok);
      return selectVersion(versions, { templateId, locale })?.version;
    },
    /** Every version with its approval dates and sample data, newest first. */
    async stored(templateId: string, version?: number): Promise<StoredTemplateVersion[]> {
      const q = db('template_versions').where({ template_id: templateId }).orderBy([{ column: 'version', order: 'desc' }, { column: 'locale' }]);
      if (version !== undefined) q.where({ version });
      return (await q).map(toStored);
    },
    /** One row per template and locale: kind, newest version and its status. */
    async summaries(): Promise<{ templateId: string; locale: string; kind: string; latest: number; latestStatus: string }[]> {
      const rows = await db('template_versions').select('template_id', 'locale', 'kind', 'version', 'status').orderBy([{ column: 'template_id' }, { column: 'locale' }, { column: 'version', order: 'desc' }]);
      const seen = new Map<string, { templateId: string; locale: string; kind: string; latest: number; latestStatus: string }>();
      for (const r of rows) {
        const key = `${r.template_id}\u0000${r.locale}`;
        if (!seen.has(key)) seen.set(key, { templateId: r.template_id, locale: r.locale, kind: r.kind, latest: Number(r.version), latestStatus: r.status });
      }
      return [...seen.values()];
    },
    /** The number the next version of a template gets (versions are numbered across locales). */
    async nextVersion(templateId: string): Promise<number> {
      const row = await db('template_versions').where({ template_id: templateId }).max({ v: 'version' }).first();
      return Number(row?.v ?? 0) + 1;
    },
    /**
     * Moves every locale of a version from one status to the next; only rows still in `from`
     * change, so of two concurrent decisions one wins. Returns how many rows moved.
     */
    async transition(templateId: string, version: number, from: TemplateVersion['status'], to: TemplateVersion['status'], approvedBy?: string): Promise<number> {
      return db('template_versions')
        .where({ template_id: templateId, version, status: from })
        .update({ status: to, ...(approvedBy ? { approved_by: approvedBy, approved_at: db.fn.now() } : {}) });
    },
    async insert(v: TemplateVersion, sampleData: Record<string, unknown> = {}): Promise<void> {
      await db('template_versions')
        .insert({
          template_id: v.templateId,
          version: v.version,
          locale: v.locale,
          kind: v.kind,
          subject: v.subject,
          mjml: v.mjml,
          text: v.text ?? null,
          status: v.status,
          author: v.author,
          approved_by: v.approvedBy ?? null,
          approved_at: v.approvedBy ? db.fn.now() : null,
          sample_data: JSON.stringify(sampleData),
          data_contract: JSON.stringify(contractOf(v)),
        })
        .onConflict(['template_id', 'version', 'locale'])
        .ignore();
    },
  };
}

/** Seeds the library templates as version 1, approved; idempotent. */
export async function seedTemplateLibrary(db: Knex, people = { author: 'ada', approver: 'carl' }): Promise<number> {
  let n = 0;
  const repo = templateRepository(db);
  for (const t of library) {
    for (const locale of Object.keys(t.subjects)) {
      const v = await loadLibraryVersion(t.templateId, locale, { version: 1, status: 'approved', author: people.author, approvedBy: people.approver });
      await repo.insert(v, t.sampleData);
      n++;
    }
  }
  return n;
}
