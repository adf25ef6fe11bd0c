/**
 * Herald's web UI: a list of feature modules behind a hash router. Each feature owns its screen;
 * this file only wires navigation, the session and the login form.
 */
import './style.css';
import { api, ApiProblem, get } from './core/api.js';
import { clear, explain, field, h } from './core/dom.js';
import type { Feature } from './core/feature.js';
import { session, type User } from './core/session.js';
import { instancesFeature } from './features/instances/index.js';
import { modelerFeature } from './features/modeler/index.js';
import { tasklistFeature } from './features/tasklist/index.js';
import { templatesFeature } from './features/templates/index.js';
import { dashboardsFeature } from './features/dashboards/index.js';
import { portalFeature } from './features/portal/index.js';

const features: Feature[] = [tasklistFeature, instancesFeature, modelerFeature, templatesFeature, dashboardsFeature, portalFeature];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;
let teardown: void | (() => void);
let queueBoard: string | undefined;

function visible(f: Feature): boolean {
  const roles = session.current?.user.roles ?? [];
  return !f.roles || f.roles.some((r) => roles.includes(r));
}

function renderChrome(): void {
  const s = session.current;
  const current = location.hash.replace(/^#\/?/, '').split('/')[0];
  clear(
    nav,
    s
      ? h(
          'ul',
          {},
          features.filter(visible).map((f) => h('li', {}, h('a', { href: `#/${f.route}`, 'aria-current': f.route === current ? 'page' : null }, f.title))),
          queueBoard ? h('li', {}, h('a', { href: queueBoard, target: '_blank', rel: 'noopener' }, 'Queues')) : null,
        )
      : null,
  );
  clear(
    who,
    s ? [h('span', {}, `${s.user.name ?? s.user.id}`), h('button', { type: 'button', class: 'link', onclick: () => logout() }, 'Sign out')] : null,
  );
}

async function logout(): Promise<void> {
  await api('DELETE', '/api/sessions/current').catch(() => undefined);
  session.set(undefined);
  location.hash = '#/login';
}

function loginForm(): HTMLElement {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const s = await api<{ token: string; user: User }>('POST', '/api/sessions', { username: user.value, password: password.value });
          session.set({ token: s.token, user: s.user });
        } catch (err) {
          if (err instanceof ApiProblem && err.status === 404) {
            // The identity routes are not deployed on this server: act as the named user (dev mode).
            session.set({ user: { id: user.value, name: `${user.value} (dev)`, roles: ['analyst', 'engineer', 'approver', 'agent', 'customer'], groups: [] } });
          } else {
            error.textContent = explain(err);
            return;
          }
        }
        const u = session.current!.user;
        location.hash = u.roles.includes('customer') && u.roles.length === 1 ? '#/portal' : '#/tasks';
      },
    },
    h('h1', {}, 'Sign in to Herald'),
    field('User name', user),
    field('Password', password),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  queueMicrotask(() => user.focus());
  return form;
}

async function route(): Promise<void> {
  if (typeof teardown === 'function') teardown();
  teardown = undefined;
  const [first = '', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  renderChrome();
  if (!session.current || first === 'login') {
    clear(main, loginForm());
    return;
  }
  const feature = features.find((f) => f.route === first) ?? features.find(visible) ?? features[0];
  if (feature.route !== first) {
    location.hash = `#/${feature.route}`;
    return;
  }
  clear(main);
  document.title = `${feature.title} · Herald`;
  try {
    teardown = await feature.mount(main, params);
  } catch (err) {
    clear(main, h('p', { class: 'error', role: 'alert' }, explain(err)));
  }
}

session.onChange(renderChrome);
window.addEventListener('hashchange', () => void route());
get<{ queues?: { backend?: string; board?: string } }>('/api/system')
  .then((s) => {
    if (s.queues?.backend === 'redis') queueBoard = s.queues.board ?? '/admin/queues';
    renderChrome();
  })
  .catch(() => undefined);
void route();
