/**
 * A restructuring agreement's facts, checked before Herald records them: the instalments add up
 * to the restructured balance to the cent, fall due in order after the agreement is dated, and
 * the customer has until `acceptBy` (before the first instalment) to accept. What the notice says
 * — the balance, the number of instalments, the regular and the final instalment, the first and
 * last due dates — is derived here from the schedule, never taken from a process variable.
 */
import { addAmounts, amountsEqual, MoneyError, validateAmount, type Amount } from '../money.js';

export interface AgreementInput {
  agreementId: string;
  customerId: string;
  reference: string;
  agreementDate: string;
  totalAmount: Amount;
  currency: string;
  installments: { dueDate: string; amount: Amount }[];
  acceptBy: string;
  graceDays: number;
  invoiceIds: string[];
}

/** A fact that does not hold, with the event field that carries it. */
export class AgreementError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Throws an AgreementError naming the field (relative to the event's data) when the facts do not hold. */
export function checkAgreement(a: AgreementInput): void {
  const money = (amount: Amount, field: string) => {
    try {
      return validateAmount(amount, a.currency, field);
    } catch (err) {
      if (err instanceof MoneyError) throw new AgreementError(err.message, field);
      throw err;
    }
  };
  money(a.totalAmount, 'totalAmount');
  if (Number(a.totalAmount) <= 0) throw new AgreementError(`totalAmount ${a.totalAmount} must be more than zero`, 'totalAmount');
  let previous = a.agreementDate;
  a.installments.forEach((i, n) => {
    money(i.amount, `installments.${n}.amount`);
    if (Number(i.amount) <= 0) throw new AgreementError(`installments.${n}.amount ${i.amount} must be more than zero`, `installments.${n}.amount`);
    if (i.dueDate <= previous) throw new AgreementError(`installments.${n}.dueDate ${i.dueDate} must fall after ${n === 0 ? `the agreement date ${a.agreementDate}` : `instalment ${n}'s due date ${previous}`}`, `installments.${n}.dueDate`);
    previous = i.dueDate;
  });
  const sum = addAmounts(...a.installments.map((i) => i.amount));
  if (!amountsEqual(sum, a.totalAmount)) throw new AgreementError(`the instalments add up to ${sum} ${a.currency}, not the restructured balance of ${a.totalAmount} ${a.currency}`, 'installments');
  if (a.acceptBy < a.agreementDate) throw new AgreementError(`acceptBy ${a.acceptBy} is before the agreement date ${a.agreementDate}`, 'acceptBy');
  if (a.acceptBy >= a.installments[0].dueDate) throw new AgreementError(`acceptBy ${a.acceptBy} must come before the first instalment is due (${a.installments[0].dueDate})`, 'acceptBy');
}

/** What the restructuring notice states, derived from the recorded agreement. */
export interface AgreementFacts {
  reference: string;
  agreementDate: string;
  totalAmount: Amount;
  currency: string;
  installments: number;
  /** The regular instalment (every one but a final one that takes up the rounding). */
  installmentAmount: Amount;
  finalInstallmentAmount: Amount;
  firstDueDate: string;
  finalDueDate: string;
  acceptBy: string;
  graceDays: number;
}

export function agreementFacts(a: Pick<AgreementInput, 'reference' | 'agreementDate' | 'totalAmount' | 'currency' | 'installments' | 'acceptBy' | 'graceDays'>): AgreementFacts {
  const first = a.installments[0];
  const last = a.installments[a.installments.length - 1];
  return {
    reference: a.reference,
    agreementDate: a.agreementDate,
    totalAmount: a.totalAmount,
    currency: a.currency,
    installments: a.installments.length,
    installmentAmount: first.amount,
    finalInstallmentAmount: last.amount,
    firstDueDate: first.dueDate,
    finalDueDate: last.dueDate,
    acceptBy: a.acceptBy,
    graceDays: a.graceDays,
  };
}
