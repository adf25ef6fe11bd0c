/**
 * Template versions in the database, and the shipped library seeded as approved versions
 * (authored by the analyst, approved by compliance: never by the same person).
 */
import type { Knex } from 'knex';
import { canUse, selectVersion, type TemplateVersion } from '../domain/templates/index.js';
import { library, loadLibraryVersion } from '../domain/templates/library/index.js';

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
    async versions(templateId: string): Promise<TemplateVersion[]> {
      return (await db('template_versions').where({ template_id: templateId }).orderBy([{ column: 'version', order: 'desc' }, { column: 'locale' }])).map(toVersion);
    },
    /** The newest approved version for the locale (falling back de-CH -> de -> en). */
    async usable(templateId: string, locale: string): Promise<TemplateVersion | undefined> {
      const versions = (await this.versions(templateId)).filter((v) => canUse(v).ok);
      return selectVersion(versions, { templateId, locale })?.version;
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
