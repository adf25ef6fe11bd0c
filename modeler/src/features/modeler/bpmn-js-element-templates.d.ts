// bpmn-js-element-templates ships no types; the modeler uses its module and its service by name
declare module 'bpmn-js-element-templates';
