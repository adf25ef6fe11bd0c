/**
 * Every worker, by job type. `startWorkers` opens one job worker per definition on the engine.
 */
import type { Engine, JobWorker } from '../engine/types.js';
import type { Logger } from '../config/log.js';
import { runWorker, type WorkerDefinition } from './runtime.js';
import type { WorkerDeps } from './deps.js';
import applyCreditChange from './apply-credit-change.js';
import checkTaskPolicy from './check-task-policy.js';
import archiveCommunication from './archive-communication.js';
import assessPaymentRisk from './assess-payment-risk.js';
import checkInvoiceStatus from './check-invoice-status.js';
import deliverCommunication from './deliver-communication.js';
import renderCommunication from './render-communication.js';
import closeInvoice from './close-invoice.js';
import openCustomerRequest from './open-customer-request.js';
import recordCommunicationRejection from './record-communication-rejection.js';
import validateCustomerData from './validate-customer-data.js';
import verifyKyc from './verify-kyc.js';
// customer requests
import applyRequestAdjustment from './apply-request-adjustment.js';
import assignRequest from './assign-request.js';
import closeRequest from './close-request.js';
import enrichRequest from './enrich-request.js';
import escalateRequest from './escalate-request.js';
import gatherFinancialData from './gather-financial-data.js';
import lookupPaymentStatus from './lookup-payment-status.js';
import pauseInvoiceDunning from './pause-invoice-dunning.js';
import pauseSlaClock from './pause-sla-clock.js';
import proposeRequestAdjustment from './propose-request-adjustment.js';
import recordCreditDecision from './record-credit-decision.js';
import registerRequest from './register-request.js';
import remindRequestAssignee from './remind-request-assignee.js';
import resumeRequest from './resume-request.js';
import startSlaClock from './start-sla-clock.js';
// delivery timing for diagrams (quiet hours)
import nextAllowedInstant from './next-allowed-instant.js';

export const workers: WorkerDefinition<any, WorkerDeps>[] = [
  applyCreditChange,
  archiveCommunication,
  assessPaymentRisk,
  checkInvoiceStatus,
  deliverCommunication,
  renderCommunication,
  closeInvoice,
  openCustomerRequest,
  recordCommunicationRejection,
  validateCustomerData,
  verifyKyc,
  // customer requests
  applyRequestAdjustment,
  assignRequest,
  closeRequest,
  enrichRequest,
  escalateRequest,
  gatherFinancialData,
  lookupPaymentStatus,
  pauseInvoiceDunning,
  pauseSlaClock,
  proposeRequestAdjustment,
  recordCreditDecision,
  registerRequest,
  remindRequestAssignee,
  resumeRequest,
  startSlaClock,
  nextAllowedInstant,
  // controls: Herald's policy as a user task listener (assigning, completing)
  checkTaskPolicy,
];

export function startWorkers(engine: Engine, deps: WorkerDeps, logger: Logger, definitions = workers): JobWorker[] {
  return definitions.map((definition) => runWorker(engine, definition, deps, logger));
}
