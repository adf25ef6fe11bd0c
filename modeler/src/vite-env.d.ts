/// <reference types="vite/client" />
declare module 'virtual:bpmnlint-config' {
  const bundle: { config: unknown; resolver: unknown };
  export default bundle;
}
declare module 'bpmn-js/lib/*';
declare module 'bpmn-js-properties-panel';
declare module 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
declare module 'bpmn-js-bpmnlint';
declare module 'zeebe-bpmn-moddle/resources/zeebe.json';
declare module 'dmn-js/lib/*';
