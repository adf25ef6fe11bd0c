/**
 * Which version may be used: only an approved one, approved by someone other than its author;
 * and which locale variant a customer gets (de-CH, then de, then the default).
 */
import type { TemplateVersion } from './types.js';

export type Usability = { ok: true } | { ok: false; reason: string };

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function canUse(v: Pick<TemplateVersion, 'templateId' | 'version' | 'status' | 'author' | 'approvedBy'>): Usability {
  const ref = `${v.templateId} v${v.version}`;
  if (v.status !== 'approved') return { ok: false, reason: `template ${ref} is ${v.status}, not approved` };
  if (!v.approvedBy || !v.approvedBy.trim()) return { ok: false, reason: `template ${ref} is marked approved but names no approver` };
  if (same(v.approvedBy, v.author)) return { ok: false, reason: `template ${ref} was approved by its own author ${v.author}; someone else must approve it` };
  return { ok: true };
}

/** "de-CH" -> ["de-CH", "de", "en"]; "zh-Hant-TW" -> ["zh-Hant-TW", "zh-Hant", "zh", "en"]. */
export function localeChain(requested: string | undefined, defaultLocale = 'en'): string[] {
  const chain: string[] = [];
  const parts = (requested ?? '').replace(/_/g, '-').split('-').filter(Boolean);
  for (let n = parts.length; n > 0; n--) chain.push(parts.slice(0, n).join('-'));
  if (!chain.some((l) => same(l, defaultLocale))) chain.push(defaultLocale);
  return chain;
}

export interface Selection<V> {
  version: V;
  /** True when the requested locale had no usable variant. */
  fellBack: boolean;
}

/**
 * The newest usable version of a template in the closest locale: walks the locale chain and
 * takes the first locale that has a usable version (drafts and self-approved versions skipped).
 */
export function selectVersion<V extends TemplateVersion>(
  versions: V[],
  request: { templateId: string; locale?: string; defaultLocale?: string; includeUnapproved?: boolean },
): Selection<V> | undefined {
  const chain = localeChain(request.locale, request.defaultLocale);
  const candidates = versions.filter((v) => v.templateId === request.templateId && (request.includeUnapproved || canUse(v).ok));
  for (const [i, locale] of chain.entries()) {
    const inLocale = candidates.filter((v) => same(v.locale, locale));
    if (inLocale.length) {
      const version = inLocale.reduce((a, b) => (b.version > a.version ? b : a));
      return { version, fellBack: i > 0 && !same(locale, request.locale ?? '') };
    }
  }
  return undefined;
}
