/**
 * RFC 5321's size limits on an email address (section 4.5.3.1): a local part of at most 64
 * octets, and at most 254 characters in all (the 256-octet path less its angle brackets). Longer
 * addresses are refused wherever they enter, since a relay may truncate or bounce them, and one
 * accepted here was once sent on with a 234-character local part (issue 14, finding 9).
 */
export const EMAIL_LIMITS = { localPart: 64, total: 254 } as const;

/** Why the address is too long for RFC 5321, naming the limit, to follow the field's name; undefined when it is not. */
export function emailLengthProblem(address: string): string | undefined {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  if (bytes(address) > EMAIL_LIMITS.total) return `is ${bytes(address)} characters long; an email address may have at most ${EMAIL_LIMITS.total} (RFC 5321)`;
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  if (bytes(local) > EMAIL_LIMITS.localPart) return `has a local part (before the @) of ${bytes(local)} characters; RFC 5321 allows at most ${EMAIL_LIMITS.localPart}`;
  return undefined;
}
