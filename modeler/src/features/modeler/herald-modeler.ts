/**
 * The Herald modeler is a list of modules, like camunda-bpmn-js' Camunda 8 modeler: bpmn-js, the
 * properties panel with the Zeebe provider, Camunda 8's modeling behaviours, and bpmnlint on the
 * canvas with the configuration compiled into the bundle (Camunda 8.8 compatibility included).
 */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule } from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import lintModule from 'bpmn-js-bpmnlint';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import lintConfig from 'virtual:bpmnlint-config';
import lintSummaryModule from './lint-summary/index.js';

export const heraldModelerModules = [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule, ZeebeBehaviorsModule, lintModule, lintSummaryModule];

export function createHeraldModeler(container: HTMLElement, panel: HTMLElement): BpmnModeler {
  return new BpmnModeler({
    container,
    keyboard: { bindTo: document },
    propertiesPanel: { parent: panel },
    additionalModules: heraldModelerModules,
    moddleExtensions: { zeebe: zeebeModdle },
    linting: { bpmnlint: lintConfig, active: true },
  });
}
