/**
 * What a message about a customer request says of it, in the customer's language: the request's
 * type, the outcome a resolution code stands for, and the question asking for missing data. A
 * note an agent wrote is quoted as written; what Herald itself words is worded here, once per
 * language, so a German message never carries an English phrase of Herald's.
 */
import { language } from './facts.js';

type Words = {
  types: Record<string, string>;
  resolutions: Record<string, string>;
  missing: Record<string, string>;
  ask(parts: string[]): string;
  fallback: string;
};

const WORDS: Record<string, Words> = {
  en: {
    types: {
      'billing-dispute': 'billing dispute',
      'payment-clarification': 'payment clarification',
      'refund-adjustment': 'refund or contract adjustment',
      'credit-restructuring': 'credit restructuring',
      unclassified: 'customer',
    },
    resolutions: {
      corrected: 'we corrected the invoice',
      answered: 'we answered your question',
      refunded: 'we refunded the amount',
      adjusted: 'we adjusted your contract',
      restructured: 'we agreed new payment terms',
      declined: 'we could not grant it',
      'no-response': 'we closed it after we did not hear back',
      rejected: 'we could not accept it',
    },
    missing: { invoiceNumber: 'the number of the invoice your request concerns', amount: 'the amount in question' },
    ask: (parts) => `Please tell us ${parts.join(' and ')}.`,
    fallback: 'Please tell us more about your request.',
  },
  de: {
    types: {
      'billing-dispute': 'Rechnungsreklamation',
      'payment-clarification': 'Zahlungsklärung',
      'refund-adjustment': 'Erstattung oder Vertragsanpassung',
      'credit-restructuring': 'Umschuldung',
      unclassified: 'Kundenanfrage',
    },
    resolutions: {
      corrected: 'Wir haben die Rechnung korrigiert.',
      answered: 'Wir haben Ihre Frage beantwortet.',
      refunded: 'Wir haben den Betrag erstattet.',
      adjusted: 'Wir haben Ihren Vertrag angepasst.',
      restructured: 'Wir haben neue Zahlungsbedingungen vereinbart.',
      declined: 'Wir konnten Ihrem Anliegen leider nicht entsprechen.',
      'no-response': 'Wir haben die Anfrage geschlossen, da wir keine Antwort erhalten haben.',
      rejected: 'Wir konnten die Anfrage leider nicht annehmen.',
    },
    missing: { invoiceNumber: 'die Nummer der Rechnung, die Ihre Anfrage betrifft', amount: 'den betreffenden Betrag' },
    ask: (parts) => `Bitte nennen Sie uns ${parts.join(' und ')}.`,
    fallback: 'Bitte schildern Sie uns Ihr Anliegen genauer.',
  },
};

const words = (locale: string): Words => WORDS[language(locale)] ?? WORDS.en;

export function requestType(category: string, locale: string): string {
  return words(locale).types[category] ?? words('en').types[category] ?? category.replace(/-/g, ' ');
}

/** The outcome: the agent's note as written when English is asked for or no wording exists, else Herald's wording of the code. */
export function requestOutcome(resolution: string | null, note: string | null, locale: string): string | undefined {
  const worded = resolution ? words(locale).resolutions[resolution] : undefined;
  if (language(locale) === 'en') return note ?? worded ?? resolution ?? undefined;
  return worded ?? note ?? resolution ?? undefined;
}

/** The question for missing data in the customer's language, with the agent's own question as written. */
export function informationQuestionIn(locale: string, missingData: readonly string[], agentQuestion?: string | null): string {
  const w = words(locale);
  const parts = missingData.map((m) => w.missing[m] ?? m.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  const asked = parts.length ? w.ask(parts) : '';
  const own = agentQuestion?.trim() ?? '';
  return [asked, own].filter(Boolean).join(' ') || w.fallback;
}
