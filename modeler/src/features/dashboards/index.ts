import type { Feature } from '../../core/feature.js';
export const dashboardsFeature: Feature = { id: 'dashboards', title: 'dashboards', route: 'dashboards', mount: (el) => void (el.textContent = 'todo') };
