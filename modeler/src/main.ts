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
import { decisionsFeature } from './features/decisions/index.js';
import { tasklistFeature } from './features/tasklist/index.js';
import { templatesFeature } from './features/templates/index.js';
import { dashboardsFeature } from './features/dashboards/index.js';
import { portalFeature } from './features/portal/index.js';
import { queueFeature } from './features/queue/index.js';
import { requestsFeature } from './features/requests/index.js';

const features: Feature[] = [tasklistFeature, requestsFeature, instancesFeature, modelerFeature, decisionsFeature, templatesFeature, dashboardsFeature, queueFeature, portalFeature];

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
  const current = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  clear(
    nav,
    s
      ? h(
          'ul',
          {},
          features.filter(visible).map((f) => h('li', {}, h('a', { href: `#/${f.route}`, 'aria-current': f.route === current ? 'page' : null }, f.title))),
          // bull-board, when the delivery queues run on Redis (the server names it for engineers only)
          queueBoard ? h('li', {}, h('a', { href: queueBoard, target: '_blank', rel: 'noopener', id: 'queue-board', title: 'Delivery queues (bull-board), in a new tab' }, 'Queues ↗')) : null,
        )
      : null,
  );
  clear(
    who,
    s ? [h('span', {}, `${s.user.name ?? s.user.id}`), h('button', { type: 'button', class: 'link', onclick: () => logout() }, 'Sign out')] : null,
  );
}

async function logout(): Promise<void> {
  await api('DELETE', '/api/session').catch(() => undefined);
  queueBoard = undefined;
  session.set(undefined);
  location.hash = '#/login';
}

function loginForm(): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const user = await api<User>('POST', '/api/session', { username: username.value.trim(), password: password.value });
          session.set({ user });
        } catch (err) {
          password.value = '';
          error.textContent = err instanceof ApiProblem && err.status === 401 ? 'Unknown user name or wrong password.' : explain(err);
          password.focus();
          return;
        }
        void loadSystem();
        const u = session.current!.user;
        location.hash = u.roles.includes('customer') && u.roles.length === 1 ? '#/portal' : '#/tasks';
      },
    },
    h('h1', {}, 'Sign in to Herald'),
    field('User name', username),
    field('Password', password),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  queueMicrotask(() => username.focus());
  return form;
}

async function route(): Promise<void> {
  if (typeof teardown === 'function') teardown();
  teardown = undefined;
  // a screen's filters ride after `?` (#/instances?state=ACTIVE): they are the screen's, not a route segment
  const [first = '', ...params] = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent);
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

function loadSystem(): Promise<void> {
  return get<{ queues?: { backend?: string; board?: string } }>('/api/system')
    .then((s) => {
      queueBoard = s.queues?.backend === 'redis' ? s.queues.board : undefined;
      renderChrome();
    })
    .catch(() => undefined);
}

session.onChange(renderChrome);
window.addEventListener('hashchange', () => void route());
// the session cookie is HttpOnly: ask the server who it belongs to
get<User>('/api/me')
  .then((user) => {
    session.set({ user });
    void loadSystem();
  })
  .catch(() => session.set(undefined))
  .finally(() => void route());
