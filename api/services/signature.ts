/**
 * HMAC signatures on trigger events, single-use:
 * `X-Herald-Signature: t=<unix seconds>,id=<event id>,v1=<hex>` where v1 is HMAC-SHA256 over
 * "<t>.<id>.<raw body>". The timestamp bounds how long a signature is good for (300 s either way);
 * the event id, chosen by the sender and unique per event, is what makes it single-use: the events
 * route remembers every id it accepted until its timestamp has gone stale, and refuses a second use
 * under another Idempotency-Key (409). The older `t=..,v1=..` form (HMAC over "<t>.<body>", still
 * what Herald's CRM webhooks and provider webhooks use) carries no id and is refused here.
 * Several v1 entries may be sent while a secret rotates; several secrets may be accepted.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_FORMAT = 't=<unix seconds>,id=<event id>,v1=<hex HMAC-SHA256 of "<t>.<id>.<raw body>">';
/** An event id: what an Idempotency-Key usually is, without commas or spaces. */
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

const mac = (secret: string, t: number, id: string, body: string) => createHmac('sha256', secret).update(`${t}.${id}.`).update(body).digest('hex');

/** Signs an event body; `id` should be unique per event (the Idempotency-Key is a good choice); a random one when not given. */
export function sign(secret: string, body: string, t = Math.floor(Date.now() / 1000), id: string = randomUUID()): string {
  if (!EVENT_ID.test(id)) throw new Error(`event id "${id}" must be 1-200 letters, digits, ".", "_", ":" or "-"`);
  return `t=${t},id=${id},v1=${mac(secret, t, id, body)}`;
}

export type SignatureVerdict = { ok: true; t: number; id: string } | { ok: false; reason: string };

/** The verdict on a signature header, with a reason a sender can act on; a good one names its timestamp and event id. */
export function verifySignature(header: string | undefined, body: string, secrets: string[], toleranceSeconds = 300, now = Date.now()): SignatureVerdict {
  if (!header) return { ok: false, reason: 'X-Herald-Signature is missing' };
  let t: number | undefined;
  let id: string | undefined;
  const sigs: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    const k = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'id' && EVENT_ID.test(v)) id = v;
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) sigs.push(v.toLowerCase());
  }
  if (t === undefined || id === undefined || sigs.length === 0) return { ok: false, reason: `X-Herald-Signature must be "${SIGNATURE_FORMAT}"; the event id makes each signature single-use` };
  if (Math.abs(Math.floor(now / 1000) - t) > toleranceSeconds) return { ok: false, reason: `X-Herald-Signature timestamp is more than ${toleranceSeconds} s from now` };
  for (const secret of secrets) {
    const expected = Buffer.from(mac(secret, t, id, body));
    let match = false;
    // every candidate is compared, in constant time, so timing tells nothing about which one was close
    for (const s of sigs) match = timingSafeEqual(expected, Buffer.from(s)) || match;
    if (match) return { ok: true, t, id };
  }
  return { ok: false, reason: 'X-Herald-Signature does not match the body' };
}
