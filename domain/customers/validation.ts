/**
 * Customer master validation before anything is sent: the customer is active, KYC is valid on
 * the day of sending, the channel has a contact with consent. Every failed rule is named.
 */
import { emailLengthProblem } from '../channels/email-address.js';

export type Channel = 'email' | 'sms' | 'portal' | 'crm';
export type MessageKind = 'transactional' | 'dunning' | 'legal' | 'marketing';

export interface CustomerRecord {
  id: string;
  legalName: string;
  status: 'active' | 'suspended' | 'closed';
  kycStatus: 'verified' | 'pending' | 'expired' | 'failed';
  kycExpiresAt?: string | null;
}

export interface ContactRecord {
  channel: Channel;
  address: string;
  displayName?: string | null;
  consent: boolean;
  marketingConsent: boolean;
}

export interface RuleFailure {
  rule: 'customer-active' | 'kyc-valid' | 'contact-present' | 'contact-consent' | 'marketing-consent' | 'contact-address' | 'not-suppressed';
  message: string;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const PHONE = /^\+[1-9]\d{6,14}$/;

export function validateForCommunication(input: {
  customer: CustomerRecord;
  contacts: ContactRecord[];
  channel: Channel;
  kind: MessageKind;
  today: string;
  suppressed?: boolean;
}): RuleFailure[] {
  const { customer, contacts, channel, kind, today } = input;
  const failures: RuleFailure[] = [];
  if (customer.status !== 'active') {
    failures.push({ rule: 'customer-active', message: `customer ${customer.id} is ${customer.status}, not active` });
  }
  if (customer.kycStatus !== 'verified') {
    failures.push({ rule: 'kyc-valid', message: `KYC of customer ${customer.id} is ${customer.kycStatus}` });
  } else if (customer.kycExpiresAt && customer.kycExpiresAt.slice(0, 10) < today) {
    failures.push({ rule: 'kyc-valid', message: `KYC of customer ${customer.id} expired on ${customer.kycExpiresAt.slice(0, 10)}` });
  }
  const contact = contacts.find((c) => c.channel === channel);
  if (!contact) {
    failures.push({ rule: 'contact-present', message: `customer ${customer.id} has no ${channel} contact` });
  } else {
    if (!contact.consent) failures.push({ rule: 'contact-consent', message: `customer ${customer.id} has not consented to ${channel} messages` });
    if (kind === 'marketing' && !contact.marketingConsent) {
      failures.push({ rule: 'marketing-consent', message: `customer ${customer.id} has not consented to marketing by ${channel}` });
    }
    const tooLong = channel === 'email' ? emailLengthProblem(contact.address) : undefined;
    if (tooLong) failures.push({ rule: 'contact-address', message: `the email address of customer ${customer.id} (contact.address) ${tooLong}` });
    else if (channel === 'email' && !EMAIL.test(contact.address)) failures.push({ rule: 'contact-address', message: `the email address of customer ${customer.id} is not valid` });
    if (channel === 'sms' && !PHONE.test(contact.address)) failures.push({ rule: 'contact-address', message: `the phone number of customer ${customer.id} is not in E.164 form` });
  }
  if (kind === 'marketing' && input.suppressed) {
    failures.push({ rule: 'not-suppressed', message: `customer ${customer.id} unsubscribed from marketing by ${channel}` });
  }
  return failures;
}
