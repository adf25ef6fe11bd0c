/**
 * Templates: the template library by locale; for one template its versions (status, author,
 * approver), an MJML editor with a live preview rendered by the server against sample data, a new
 * version saved as a draft, submitted for approval and approved by someone other than its author.
 * The server refuses the author with the rule named, and so does this screen.
 *
 * The studio: the MJML is edited in CodeMirror (highlighting, placeholders marked), the live
 * preview renders either the sample data or a chosen real customer's data (as production fills
 * it), and the editor's text is compared line by line with any other version (the `diff` package).
 */
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, table, toast } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';
import { diffLines } from 'diff';
import { createMjmlEditor } from './mjml-editor.js';

interface Summary { templateId: string; locale: string; kind: string; latest: number; latestStatus?: string; usable?: number | null; description?: string | null }
interface Version { templateId: string; version: number; locale: string; kind: string; subject: string; mjml: string; status: 'draft' | 'submitted' | 'approved'; author: string; approvedBy: string | null; approvedAt?: string | null; createdAt?: string; sampleData: Record<string, unknown> }
interface Rendered { subject: string; html: string; text: string }

export const templatesFeature: Feature = {
  id: 'templates',
  title: 'Templates',
  route: 'templates',
  roles: ['analyst', 'engineer', 'approver', 'compliance', 'admin'],
  async mount(el, params) {
    const [templateId, versionParam, localeParam] = params;
    const summaries = await get<Summary[]>('/api/templates');
    const ids = [...new Set(summaries.map((s) => s.templateId))];
    const list = h(
      'ul',
      { class: 'tasks', 'aria-label': 'Templates' },
      ids.map((id) => {
        const rows = summaries.filter((s) => s.templateId === id);
        const newest = rows.reduce((a, b) => (Number(b.latest) > Number(a.latest) ? b : a));
        const latest = Number(newest.latest);
        return h(
          'li',
          {},
          h(
            'a',
            { href: `#/templates/${id}`, 'aria-current': id === templateId ? 'true' : null },
            h('strong', {}, id),
            h('small', {}, `${rows[0].kind} · ${rows.map((r) => r.locale).join(', ')} · latest v${latest}${newest.latestStatus ? ` (${newest.latestStatus})` : ''}`),
          ),
        );
      }),
    );
    const detail = h('section', { class: 'template' });
    clear(el, h('h1', {}, 'Templates'), h('div', { class: 'split' }, h('nav', { 'aria-label': 'Template list' }, list), detail));
    if (!templateId) {
      clear(detail, h('p', { class: 'muted' }, 'Pick a template to edit it, preview it against sample data, and see its versions.'));
      return;
    }
    return templateView(detail, templateId, versionParam ? Number(versionParam) : undefined, localeParam);
  },
};

async function templateView(el: HTMLElement, templateId: string, wanted?: number, locale?: string): Promise<() => void> {
  const versions = await get<Version[]>(`/api/templates/${encodeURIComponent(templateId)}/versions`);
  // the version asked for (newest otherwise), in the locale asked for (English otherwise)
  const version = wanted ?? Math.max(...versions.map((v) => v.version));
  const ofVersion = versions.filter((v) => v.version === version);
  const open = ofVersion.find((v) => v.locale === locale) ?? ofVersion.find((v) => v.locale === 'en') ?? ofVersion[0] ?? versions[0];
  const me = session.current!.user;
  const canAuthor = me.roles.some((r) => ['analyst', 'engineer'].includes(r));

  const subject = h('input', { id: 'template-subject', name: 'subject', value: open?.subject ?? '', maxlength: 998 });
  const mjmlHost = h('div', { id: 'template-mjml', class: 'code-editor' });
  const mjml = createMjmlEditor(mjmlHost, open?.mjml ?? '<mjml>\n  <mj-body>\n    <mj-section><mj-column><mj-text>Hello {{customer.name}}</mj-text></mj-column></mj-section>\n  </mj-body>\n</mjml>', () => schedule(), `MJML of ${templateId}`);
  // the live preview fills the template with the sample data, or with a real customer's data as production would
  const previewFor = h('select', { id: 'preview-customer', name: 'previewFor' }, h('option', { value: '' }, 'Sample data'));
  let customerData: Record<string, unknown> | undefined;
  void get<{ id: string; legalName: string; locale: string }[]>('/api/customers')
    .then((cs) => previewFor.append(...cs.map((c) => h('option', { value: c.id }, `${c.legalName} (${c.id}, ${c.locale})`))))
    .catch(() => undefined);
  previewFor.addEventListener('change', async () => {
    customerData = undefined;
    if (previewFor.value) {
      try {
        customerData = (await post<{ data: Record<string, unknown> }>(`/api/templates/${encodeURIComponent(templateId)}/customer-data`, { customerId: previewFor.value })).data;
      } catch (err) {
        previewProblem.textContent = `Cannot fill for ${previewFor.value}: ${explain(err)}`;
        return;
      }
    }
    void renderPreview();
  });
  // compare the editor's text with another version
  const compareWith = h('select', { id: 'compare-with', name: 'compareWith' }, h('option', { value: '' }, '— pick a version —'));
  const diffBox = h('div', { id: 'template-diff', 'aria-live': 'polite' });
  const sample = h('textarea', { id: 'template-sample', name: 'sample', class: 'editor small', spellcheck: 'false', rows: 8 });
  sample.value = JSON.stringify(open?.sampleData ?? {}, null, 2);
  const previewSubject = h('span', { id: 'preview-subject' });
  const previewProblem = h('p', { id: 'preview-problem', class: 'error', 'aria-live': 'polite' });
  const frame = h('iframe', { class: 'preview', title: 'Preview with sample data', sandbox: '' });
  const outcome = h('div', { id: 'template-outcome', 'aria-live': 'polite' });
  const status = h('p', { class: 'meta', id: 'template-status' });

  // a preview per pause in typing; an older answer never overwrites a newer one
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const renderPreview = async () => {
    const mine = ++seq;
    let data: Record<string, unknown>;
    try {
      data = customerData ?? (JSON.parse(sample.value || '{}') as Record<string, unknown>);
    } catch (err) {
      previewProblem.textContent = `Sample data is not JSON: ${(err as Error).message}`;
      return;
    }
    try {
      const r = await post<Rendered>('/api/templates/preview', { templateId, subject: subject.value, mjml: mjml.value, locale: open?.locale ?? 'en', kind: open?.kind ?? 'transactional', data });
      if (mine !== seq) return;
      previewSubject.textContent = r.subject;
      frame.srcdoc = r.html;
      previewProblem.textContent = '';
    } catch (err) {
      if (mine === seq) previewProblem.textContent = `Cannot render: ${explain(err)}`;
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    status.textContent = `${templateId} · editing from v${open?.version ?? '—'} · unsaved changes`;
    timer = setTimeout(() => {
      void renderPreview();
      renderDiff();
    }, 350);
  };
  for (const input of [subject, sample]) input.addEventListener('input', schedule);

  const act = async (what: string, path: string, done: string) => {
    clear(outcome);
    try {
      await post(path);
      toast(done);
      clear(outcome, h('p', { class: 'done', role: 'status' }, done));
      await refreshVersions();
    } catch (err) {
      clear(outcome, err instanceof ApiProblem && err.status === 403 ? refusal(err) : h('div', { class: 'refusal', role: 'alert' }, `${what}: ${explain(err)}`));
    }
  };

  const versionsBox = h('section', { class: 'card', id: 'template-versions' });
  const renderVersions = (rows: Version[]) => {
    const chosen = compareWith.value;
    clear(
      compareWith,
      h('option', { value: '' }, '— pick a version —'),
      rows.filter((v) => v.locale === open?.locale).map((v) => h('option', { value: String(v.version), selected: String(v.version) === chosen }, `v${v.version} (${v.status}, by ${v.author})`)),
    );
    known = rows;
    renderDiff();
    return clear(
      versionsBox,
      h('h2', {}, 'Versions'),
      table(
        ['Version', 'Locale', 'Status', 'Author', 'Approved by', ''],
        rows.map((v, i) => [
          h('a', { href: `#/templates/${templateId}/${v.version}/${v.locale}`, 'aria-current': v.version === open?.version && v.locale === open?.locale ? 'true' : null }, `v${v.version}`),
          v.locale,
          h('span', { class: `badge status-${v.status}`, 'data-version': v.version, 'data-locale': v.locale }, v.status),
          v.author,
          v.approvedBy ?? '',
          // submission and approval move every locale of a version together: one button per version
          rows.findIndex((r) => r.version === v.version) !== i
            ? ''
            : h(
            'span',
            { class: 'actions' },
            v.status === 'draft' && canAuthor
              ? h('button', { type: 'button', onclick: () => void act('Submit', `/api/templates/${templateId}/versions/${v.version}/submission`, `v${v.version} submitted for approval`) }, `Submit v${v.version} for approval`)
              : null,
            v.status === 'submitted'
              ? h('button', { type: 'button', class: 'primary', onclick: () => void act('Approve', `/api/templates/${templateId}/versions/${v.version}/approval`, `v${v.version} approved; it is used from now on`) }, `Approve v${v.version}`)
              : null,
          ),
        ]),
      ),
    );
  };
  const describe = (v: Version | undefined) =>
    v ? `${templateId} · v${v.version} (${v.locale}, ${v.kind}) · ${v.status} · by ${v.author}${v.approvedBy ? `, approved by ${v.approvedBy}` : ''}` : `${templateId} · new`;
  const refreshVersions = async () => {
    const rows = await get<Version[]>(`/api/templates/${encodeURIComponent(templateId)}/versions`);
    renderVersions(rows);
    const now = rows.find((r) => r.version === open?.version && r.locale === open?.locale);
    if (now) status.textContent = describe(now);
  };
  let known: Version[] = versions;
  /** The chosen version (subject and MJML) against the editor's text, line by line: what changed since it. */
  function renderDiff(): void {
    const other = known.find((v) => String(v.version) === compareWith.value && v.locale === open?.locale);
    if (!other) return clear(diffBox);
    const before = `Subject: ${other.subject}\n${other.mjml.replace(/\n?$/, '\n')}`;
    const after = `Subject: ${subject.value}\n${mjml.value.replace(/\n?$/, '\n')}`;
    const parts = diffLines(before, after);
    const added = parts.filter((p) => p.added).reduce((n, p) => n + (p.count ?? 0), 0);
    const removed = parts.filter((p) => p.removed).reduce((n, p) => n + (p.count ?? 0), 0);
    const lines = parts.flatMap((p) =>
      p.value
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => (p.added ? h('ins', { class: 'diff-add' }, `+ ${line}`) : p.removed ? h('del', { class: 'diff-del' }, `- ${line}`) : h('span', { class: 'diff-same' }, `  ${line}`))),
    );
    clear(
      diffBox,
      h('p', { class: 'meta', id: 'diff-summary' }, added || removed ? `Since v${other.version}: ${added} line${added === 1 ? '' : 's'} added, ${removed} removed` : `Same as v${other.version}`),
      added || removed ? h('pre', { class: 'diff', tabindex: 0, 'aria-label': `Changes since v${other.version}` }, lines.flatMap((l) => [l, '\n'])) : null,
    );
  }
  compareWith.addEventListener('change', renderDiff);
  renderVersions(versions);

  const save = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      id: 'save-version',
      onclick: async () => {
        clear(outcome);
        let sampleData: Record<string, unknown>;
        try {
          sampleData = JSON.parse(sample.value || '{}') as Record<string, unknown>;
        } catch {
          return toast('Sample data is not JSON', 'error');
        }
        try {
          const v = await post<Version>(`/api/templates/${encodeURIComponent(templateId)}/versions`, { subject: subject.value, mjml: mjml.value, locale: open?.locale, sampleData });
          toast(`Saved ${templateId} v${v.version} as a draft`);
          location.hash = `#/templates/${templateId}/${v.version}/${v.locale}`;
        } catch (err) {
          clear(outcome, refusal(err));
        }
      },
    },
    'Save as new version',
  );

  status.textContent = describe(open);
  clear(
    el,
    h('h2', {}, templateId),
    status,
    h(
      'div',
      { class: 'columns' },
      h('div', { class: 'card' }, field('Subject', subject), field('MJML', mjmlHost), field('Sample data (JSON)', sample), canAuthor ? h('div', { class: 'actions' }, save) : h('p', { class: 'muted' }, 'Analysts and engineers write templates; you can approve submitted versions.'), outcome),
      h('div', { class: 'card' }, h('h2', {}, 'Live preview'), field('Preview for', previewFor), h('p', {}, h('strong', {}, 'Subject: '), previewSubject), previewProblem, frame),
    ),
    h('section', { class: 'card', id: 'template-compare' }, h('h2', {}, 'Compare'), field('Compare the editor with', compareWith), diffBox),
    versionsBox,
  );
  await renderPreview();
  return () => {
    if (timer) clearTimeout(timer);
    mjml.destroy();
  };
}
