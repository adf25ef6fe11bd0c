import type { Feature } from '../../core/feature.js';
export const templatesFeature: Feature = { id: 'templates', title: 'templates', route: 'templates', mount: (el) => void (el.textContent = 'todo') };
