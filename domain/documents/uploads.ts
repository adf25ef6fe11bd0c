/**
 * What an uploaded file may be and how its name travels: the content types Herald accepts, a
 * check that the bytes are what the type says (a "PDF" that is an HTML page is refused), a file
 * name with no path, control or bidi characters, and a Content-Disposition header that carries
 * any name safely (an ASCII fallback plus RFC 6266 / RFC 8187 `filename*`).
 */

/** The accepted content types, each with how its bytes must begin (or a check of their own). */
export const UPLOAD_TYPES: Record<string, { label: string; looksRight: (b: Buffer) => boolean }> = {
  'application/pdf': { label: 'PDF', looksRight: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  'image/png': { label: 'PNG image', looksRight: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  'image/jpeg': { label: 'JPEG image', looksRight: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  'text/plain': { label: 'text file', looksRight: isText },
  'text/csv': { label: 'CSV file', looksRight: isText },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Excel workbook (.xlsx)', looksRight: isZip },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Word document (.docx)', looksRight: isZip },
};

export const ALLOWED_UPLOAD_TYPES = Object.keys(UPLOAD_TYPES);

function isZip(b: Buffer): boolean {
  return b.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
}

/** UTF-8 without NUL bytes: what a text or CSV file is. */
function isText(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** The media type without parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
export const mediaType = (declared: string | undefined) => (declared ?? '').split(';')[0].trim().toLowerCase();

export type UploadVerdict = { ok: true; contentType: string } | { ok: false; reason: 'type-not-allowed' | 'content-mismatch'; message: string };

/** Whether a file declared as `declared` with these bytes is accepted, and as which type. */
export function checkUpload(declared: string | undefined, content: Buffer, fileName: string): UploadVerdict {
  const type = mediaType(declared);
  const spec = UPLOAD_TYPES[type];
  if (!spec) return { ok: false, reason: 'type-not-allowed', message: `${fileName}: files of type ${type || '(none given)'} are not accepted; accepted are ${ALLOWED_UPLOAD_TYPES.join(', ')}` };
  if (!spec.looksRight(content)) return { ok: false, reason: 'content-mismatch', message: `${fileName} is sent as ${type}, but its content is not a ${spec.label}` };
  return { ok: true, contentType: type };
}

// C0 and C1 controls, DEL, and the bidi controls that make "invoice\u202Efdp.exe" read as "invoiceexe.pdf"
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The name to keep: its last path segment, no control or bidi characters, at most 200 characters; `document` when nothing is left. */
export function safeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(UNSAFE, '').trim().replace(/^\.+/, '');
  if (!clean) return 'document';
  if (clean.length <= 200) return clean;
  // keep the extension when shortening
  const dot = clean.lastIndexOf('.');
  const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
  return clean.slice(0, 200 - ext.length) + ext;
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`: the fallback
 * keeps letters, digits and `._-()` and a space, and the encoded form percent-encodes everything
 * RFC 8187's attr-char does not allow, so no quote, backslash, semicolon, CR or LF reaches the header.
 */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const name = safeFileName(fileName);
  const fallback = name.replace(/[^A-Za-z0-9._\-() ]/g, '_');
  const encoded = Array.from(new TextEncoder().encode(name), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9!#$&+.^_`|~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** 10485760 → "10 MiB", 1536 → "1.5 KiB": a limit in words a person reads. */
export function bytesInWords(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
