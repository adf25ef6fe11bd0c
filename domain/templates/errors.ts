/** Errors name the template, the rule and the placeholder, so an author can fix the template or the data. */
export type TemplateRule =
  | 'MJ_INCLUDE'
  | 'MJ_RAW'
  | 'RAW_PLACEHOLDER'
  | 'PLACEHOLDER_SYNTAX'
  | 'UNKNOWN_FORMATTER'
  | 'ATTRIBUTE_PLACEHOLDER'
  | 'UNSAFE_LINK'
  | 'UNSAFE_MARKUP'
  | 'MJML_INVALID';

export class TemplateCompileError extends Error {
  override readonly name = 'TemplateCompileError';
  constructor(
    readonly templateRef: string,
    readonly rule: TemplateRule,
    detail: string,
  ) {
    super(`template ${templateRef}: ${detail}`);
  }
}

export class MissingPlaceholderError extends Error {
  override readonly name = 'MissingPlaceholderError';
  constructor(
    readonly templateRef: string,
    /** The dotted data path that had no value, e.g. "invoice.amount". */
    readonly placeholder: string,
  ) {
    super(`template ${templateRef}: no value for placeholder {{${placeholder}}}`);
  }
}

/** A value is present but cannot stand where the placeholder is (an object, a javascript: link, a CR/LF in the subject). */
export class TemplateDataError extends Error {
  override readonly name = 'TemplateDataError';
  constructor(
    readonly templateRef: string,
    readonly placeholder: string,
    reason: string,
  ) {
    super(`template ${templateRef}: placeholder {{${placeholder}}} ${reason}`);
  }
}
