/**
 * Paints an instance's history on a bpmn-js viewer: completed elements, taken flows, active
 * elements with a token badge (the count of tokens waiting there) and incident elements.
 */
export interface ElementHistory {
  elementId: string;
  state: 'ACTIVATED' | 'COMPLETED' | 'TERMINATED';
  incidentKey?: string;
}

export interface ExecutionState {
  elements: ElementHistory[];
  takenFlows: string[];
  incidents: { elementId: string }[];
}

interface Canvas {
  addMarker(id: string, marker: string): void;
  removeMarker(id: string, marker: string): void;
}
interface Overlays {
  add(id: string, type: string, overlay: { position: Record<string, number>; html: HTMLElement }): string;
  remove(filter: { type: string }): void;
}
interface ElementRegistry {
  get(id: string): unknown;
}

const MARKERS = ['exec-completed', 'exec-active', 'exec-incident', 'exec-taken', 'exec-terminated'];

export default class ExecutionOverlays {
  static $inject = ['canvas', 'overlays', 'elementRegistry'];
  private painted: string[] = [];

  constructor(
    private canvas: Canvas,
    private overlays: Overlays,
    private registry: ElementRegistry,
  ) {}

  show(state: ExecutionState): void {
    this.clear();
    const active = new Map<string, number>();
    const mark = (id: string, marker: string) => {
      if (!this.registry.get(id)) return;
      this.canvas.addMarker(id, marker);
      this.painted.push(id);
    };
    const activeIds = new Set<string>();
    for (const e of state.elements) {
      if (e.state === 'ACTIVATED') {
        active.set(e.elementId, (active.get(e.elementId) ?? 0) + 1);
        activeIds.add(e.elementId);
      }
    }
    for (const e of state.elements) {
      if (e.state === 'COMPLETED' && !activeIds.has(e.elementId)) mark(e.elementId, 'exec-completed');
      if (e.state === 'TERMINATED' && !activeIds.has(e.elementId)) mark(e.elementId, 'exec-terminated');
    }
    for (const f of new Set(state.takenFlows)) mark(f, 'exec-taken');
    for (const [id, count] of active) {
      mark(id, 'exec-active');
      if (!this.registry.get(id)) continue;
      const badge = document.createElement('span');
      badge.className = 'token';
      badge.title = `${count} active token${count === 1 ? '' : 's'}`;
      badge.textContent = String(count);
      badge.dataset.element = id;
      this.overlays.add(id, 'exec-token', { position: { bottom: 10, left: -10 }, html: badge });
    }
    for (const i of state.incidents) {
      mark(i.elementId, 'exec-incident');
      if (!this.registry.get(i.elementId)) continue;
      const badge = document.createElement('span');
      badge.className = 'incident-badge';
      badge.title = 'incident';
      badge.textContent = '!';
      this.overlays.add(i.elementId, 'exec-token', { position: { top: -10, right: 10 }, html: badge });
    }
  }

  clear(): void {
    for (const id of this.painted) for (const m of MARKERS) this.canvas.removeMarker(id, m);
    this.painted = [];
    this.overlays.remove({ type: 'exec-token' });
  }
}
