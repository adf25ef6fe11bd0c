import { Type } from '@sinclair/typebox';
import { compileTemplate, MissingPlaceholderError, renderMessage, TemplateDataError } from '../domain/templates/index.js';
import { checkContract, dataContract } from '../domain/templates/contract.js';
import { language } from '../domain/templates/facts.js';
import { communicationRepository } from '../storage/communications.js';
import { customerRepository } from '../storage/customers.js';
import { templateRepository } from '../storage/templates.js';
import { buildMessageData } from './message-data.js';
import { complete, defineWorker, fail } from './runtime.js';
import type { WorkerDeps } from './deps.js';

/**
 * Fills the approved template version (compiled once per version) with the data the one data
 * builder derives (workers/message-data.ts); HTML-escaped, plain-text part included. The whole
 * message is in the customer's language: a template without a variant in it is refused, never
 * mixed with another language's text. The version's data contract is checked before filling,
 * so a missing value is named with the template and the placeholder.
 */
export default defineWorker({
  type: 'render-communication',
  variables: Type.Object({
    communicationId: Type.String({ minLength: 1 }),
    templateId: Type.String({ minLength: 1 }),
    // null or "" when the message concerns no invoice (a request without one)
    invoiceId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    locale: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
  async handler({ variables: v }, deps: WorkerDeps) {
    const comms = communicationRepository(deps.db);
    const communication = await comms.get(v.communicationId);
    if (!communication) return fail(`communication ${v.communicationId} was not created (validate-customer-data runs first)`);
    if (communication.subject && communication.status !== 'created') return complete({ templateVersion: communication.templateVersion });
    const customer = await customerRepository(deps.db).get(communication.customerId);
    if (!customer) return { fail: `customer ${communication.customerId} of communication ${v.communicationId} is not in the customer master`, retries: 0 };
    const locale = v.locale ?? customer.locale;
    const built = await buildMessageData(
      deps,
      { customerId: customer.id, channel: communication.channel, templateId: v.templateId, communicationId: v.communicationId, invoiceId: v.invoiceId, data: { ...communication.data, ...(v.data ?? {}) } },
      locale,
    );
    const version = await templateRepository(deps.db).usable(built.templateId, locale);
    if (!version) return { fail: `no approved version of template '${built.templateId}' for locale ${locale}: a template is used only after someone other than its author approved it`, retries: 0 };
    if (language(version.locale) !== language(locale)) {
      return { fail: `template ${built.templateId} v${version.version} has no ${locale} variant (only ${version.locale}); the customer's message is not sent in another language`, retries: 0 };
    }
    try {
      const compiled = await compileTemplate(version);
      const missing = checkContract(dataContract(compiled), built.data);
      if (missing.length) throw new MissingPlaceholderError(`${version.templateId} v${version.version} (${version.locale})`, missing[0]);
      const rendered = renderMessage(compiled, built.data, { locale: version.locale });
      await comms.saveRendered(v.communicationId, { templateVersion: version.version, ...rendered, data: built.data });
      return complete({ templateVersion: version.version, locale: version.locale, renderedTemplateId: built.templateId });
    } catch (err) {
      if (err instanceof MissingPlaceholderError || err instanceof TemplateDataError) {
        // data, not a passing fault: an incident that names the placeholder, retried once fixed
        return { fail: `template ${built.templateId} v${version.version}: ${(err as Error).message}`, retries: 0 };
      }
      throw err;
    }
  },
});
