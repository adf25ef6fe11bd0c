/**
 * Files on a customer request: uploading them (POST /api/documents, one multipart request per
 * file, before the request or reply that names them) and listing them as download links.
 */
import { ApiProblem } from '../../core/api.js';
import { h, when } from '../../core/dom.js';

export interface Attachment {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  url: string;
  createdAt: string;
}

/** What the server accepts (api/routes/documents): the file picker offers these. */
export const ACCEPTED_FILES = '.pdf,.png,.jpg,.jpeg,.txt,.csv,.xlsx,.docx,application/pdf,image/png,image/jpeg,text/plain,text/csv';

const sizeInWords = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} bytes`);

/** The attachments as download links (the server sends each as an attachment, never inline). */
export function attachmentList(files: Attachment[] | undefined, id: string, none: string): HTMLElement {
  if (!files?.length) return h('p', { class: 'muted', id }, none);
  return h('ul', { class: 'rq-attachments', id }, files.map((f) => h('li', {}, h('a', { href: f.url, download: f.fileName }, f.fileName), ' ', h('small', { class: 'muted' }, `${sizeInWords(f.size)} · ${when(f.createdAt)}`))));
}

/** Uploads the picked files one by one and answers their ids; a refusal (413, 415) names the file and the limit. */
export async function uploadFiles(input: HTMLInputElement): Promise<string[]> {
  const ids: string[] = [];
  for (const file of Array.from(input.files ?? [])) {
    const form = new FormData();
    form.append('file', file, file.name);
    const res = await fetch('/api/documents', { method: 'POST', body: form, credentials: 'same-origin', headers: { accept: 'application/json, application/problem+json' } });
    const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new ApiProblem(res.status, String(data.title ?? `${file.name}: ${res.statusText}`), data);
    ids.push(String(data.id));
  }
  return ids;
}
