/**
 * Keeps a plain-words summary of the linter's findings (errors and warnings per element) for the
 * toolbar, so the result is readable without hovering the canvas markers.
 */
interface EventBus {
  on(event: string, fn: (e: { issues: Record<string, { message: string; category: string; id?: string }[]> }) => void): void;
}

export interface LintIssue {
  elementId: string;
  message: string;
  category: string;
}

export default class LintSummary {
  static $inject = ['eventBus'];
  issues: LintIssue[] = [];
  private listeners = new Set<(issues: LintIssue[]) => void>();

  constructor(eventBus: EventBus) {
    eventBus.on('linting.completed', ({ issues }) => {
      this.issues = Object.entries(issues).flatMap(([elementId, list]) => list.map((i) => ({ elementId, message: i.message, category: i.category })));
      for (const l of this.listeners) l(this.issues);
    });
  }

  subscribe(fn: (issues: LintIssue[]) => void): void {
    this.listeners.add(fn);
  }
}
