import TemplateChooser from './TemplateChooser.js';

export default {
  __init__: ['heraldTemplateChooser'],
  heraldTemplateChooser: ['type', TemplateChooser],
};
