/**
 * A screen is a small module: a route, who sees it in the navigation, and a mount function that
 * fills the main element and returns its teardown. main.ts is just the list of them.
 */
export interface Feature {
  id: string;
  title: string;
  /** Hash route prefix, e.g. `instances` for `#/instances/...`. */
  route: string;
  /** Shown in the navigation to users holding one of these roles; everyone when absent. */
  roles?: string[];
  mount(el: HTMLElement, params: string[]): void | (() => void) | Promise<void | (() => void)>;
}
