/**
 * dmn-js, loaded only when the Decisions screen opens (it is as large as the rest of the UI).
 * One modeler holds the whole .dmn file; each decision table is a view of it, the decision
 * requirements diagram another.
 */
export interface DmnView {
  id: string;
  name?: string;
  type: 'drd' | 'decisionTable' | 'literalExpression' | 'boxedExpression';
}

interface EventBus {
  on(event: string, fn: () => void): void;
}

export interface DmnModeler {
  importXML(xml: string): Promise<{ warnings: unknown[] }>;
  saveXML(options: { format: boolean }): Promise<{ xml: string }>;
  getViews(): DmnView[];
  getActiveView(): DmnView | undefined;
  open(view: DmnView): Promise<unknown>;
  getDefinitions(): { id: string; name?: string } | undefined;
  on(event: 'views.changed', fn: (e: { views: DmnView[]; activeView?: DmnView }) => void): void;
  on(event: 'viewer.created', fn: (e: { viewer: { get(name: 'eventBus'): EventBus } }) => void): void;
  destroy(): void;
}

export async function createDmnModeler(container: HTMLElement): Promise<DmnModeler> {
  const { default: Modeler } = await import('dmn-js/lib/Modeler');
  return new Modeler({ container }) as DmnModeler;
}
