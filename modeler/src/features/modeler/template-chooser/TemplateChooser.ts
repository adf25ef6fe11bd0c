/**
 * Chooses an element template for the selected element: the properties panel's "Select" and
 * "Change" fire `elementTemplates.select`, and bpmn-js-element-templates leaves the choosing to
 * the host (Camunda Modeler uses @bpmn-io/element-template-chooser). This is a native <dialog>
 * listing the templates that apply to the element, searchable, keyboard-operable, Escape closes.
 */
interface Template {
  id: string;
  name: string;
  description?: string;
  version?: number;
}
interface EventBus {
  on(event: string, fn: (e: { element: unknown }) => void): void;
}
interface ElementTemplates {
  getLatest(element: unknown): Template[];
  applyTemplate(element: unknown, template: Template): unknown;
}

export default class TemplateChooser {
  static $inject = ['eventBus', 'elementTemplates'];

  constructor(eventBus: EventBus, private readonly elementTemplates: ElementTemplates) {
    eventBus.on('elementTemplates.select', ({ element }) => this.open(element));
  }

  open(element: unknown): void {
    const templates = this.elementTemplates.getLatest(element).sort((a, b) => a.name.localeCompare(b.name));
    const dialog = document.createElement('dialog');
    dialog.className = 'template-chooser';
    dialog.setAttribute('aria-labelledby', 'template-chooser-title');
    const title = document.createElement('h2');
    title.id = 'template-chooser-title';
    title.textContent = 'Choose a template';
    const search = document.createElement('input');
    search.type = 'search';
    search.placeholder = 'Search templates';
    search.setAttribute('aria-label', 'Search templates');
    const list = document.createElement('ul');
    const render = () => {
      const q = search.value.trim().toLowerCase();
      list.replaceChildren(
        ...templates
          .filter((t) => !q || `${t.name} ${t.description ?? ''}`.toLowerCase().includes(q))
          .map((t) => {
            const item = document.createElement('li');
            const choose = document.createElement('button');
            choose.type = 'button';
            choose.dataset.templateId = t.id;
            const name = document.createElement('strong');
            name.textContent = t.name;
            const about = document.createElement('span');
            about.textContent = t.description ?? '';
            choose.append(name, about);
            choose.addEventListener('click', () => {
              this.elementTemplates.applyTemplate(element, t);
              dialog.close();
            });
            item.append(choose);
            return item;
          }),
      );
      if (!list.children.length) {
        const none = document.createElement('li');
        none.textContent = templates.length ? 'No template matches.' : 'No template applies to this element.';
        list.append(none);
      }
    };
    search.addEventListener('input', render);
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', () => dialog.close());
    dialog.append(title, search, list, cancel);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    render();
    dialog.showModal();
    search.focus();
  }
}
