// bpmn-js-differ ships no types: a semantic diff of two bpmn-moddle definitions, keyed by element id
declare module 'bpmn-js-differ' {
  interface Model {
    id?: string;
    name?: string;
    $type: string;
    $parent?: Model;
  }
  export interface BpmnDiff {
    _added: Record<string, Model>;
    _removed: Record<string, Model>;
    _changed: Record<string, { model: Model; attrs: Record<string, { oldValue: unknown; newValue: unknown }> }>;
    _layoutChanged: Record<string, Model>;
  }
  export function diff(a: unknown, b: unknown): BpmnDiff;
}
