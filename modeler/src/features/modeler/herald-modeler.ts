/**
 * The Herald modeler is a list of modules, like camunda-bpmn-js' Camunda 8 modeler: bpmn-js, the
 * properties panel with the Zeebe provider, Camunda 8's modeling behaviours, and bpmnlint on the
 * canvas with the configuration compiled into the bundle (Camunda 8.8 compatibility included),
 * and the element templates of Herald's job types (modeler/element-templates/herald.json, the
 * same file Camunda Modeler loads) with a chooser for the panel's "Select" button.
 */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule } from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import lintModule from 'bpmn-js-bpmnlint';
import { CloudElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import 'bpmn-js-element-templates/dist/assets/element-templates.css';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import lintConfig from 'virtual:bpmnlint-config';
import lintSummaryModule from './lint-summary/index.js';
import templateChooserModule from './template-chooser/index.js';
import './template-chooser/template-chooser.css';
import heraldTemplates from '../../../element-templates/herald.json';

export const heraldModelerModules = [
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  ZeebePropertiesProviderModule,
  CloudElementTemplatesPropertiesProviderModule,
  templateChooserModule,
  ZeebeBehaviorsModule,
  lintModule,
  lintSummaryModule,
];

export function createHeraldModeler(container: HTMLElement, panel: HTMLElement): BpmnModeler {
  const modeler = new BpmnModeler({
    container,
    // bpmn-js 17+ binds its keyboard to the canvas it creates (focus the canvas to use shortcuts); a `keyboard.bindTo` logs 'unsupported configuration'
    propertiesPanel: { parent: panel },
    additionalModules: heraldModelerModules,
    moddleExtensions: { zeebe: zeebeModdle },
    linting: { bpmnlint: lintConfig, active: true },
    elementTemplates: heraldTemplates,
  });
  // templates declare the Camunda version they need (engines.camunda); Herald's diagrams are 8.8
  (modeler.get('elementTemplates') as { setEngines(engines: Record<string, string>): void }).setEngines({ camunda: '8.8.0' });
  return modeler;
}
