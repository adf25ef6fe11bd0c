export type { TemplateKind, TemplateStatus, TemplateVersion, CompiledTemplate, RenderedMessage, Segmented, Slot, SlotContext, Placeholder } from './types.js';
export { TemplateCompileError, MissingPlaceholderError, TemplateDataError, type TemplateRule } from './errors.js';
export { compileTemplate, createTemplateCompiler, compileUncached, contentHash, templateRef, MJML_OPTIONS, type TemplateCompiler, type MjmlRender } from './compile.js';
export { renderMessage, type RenderOptions } from './render.js';
export { canUse, localeChain, selectVersion, type Usability, type Selection } from './approval.js';
export { escapeHtml } from './html.js';
