/**
 * Who is using the UI. Identity lives on the server (POST /api/sessions returns a token and the
 * user's roles and groups); the token is kept for the tab's session only.
 */
export interface User {
  id: string;
  name?: string;
  roles: string[];
  groups: string[];
  customerId?: string;
}

export interface Session {
  token?: string;
  user: User;
}

const KEY = 'herald.session';
const listeners = new Set<() => void>();

export const session = {
  get current(): Session | undefined {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  },
  set(s: Session | undefined): void {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
    for (const l of listeners) l();
  },
  has(role: string): boolean {
    return this.current?.user.roles.includes(role) ?? false;
  },
  onChange(fn: () => void): void {
    listeners.add(fn);
  },
};
