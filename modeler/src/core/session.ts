/**
 * Who is using the UI. Identity lives on the server: signing in sets an HttpOnly session cookie
 * (POST /api/session), `GET /api/me` says who the cookie belongs to on every load, and
 * DELETE /api/session signs out. Nothing about the session is kept in the browser's storage.
 */
export interface User {
  id: string;
  name?: string;
  roles: string[];
  groups: string[];
  approverLevel?: number | null;
  customerId?: string | null;
}

export interface Session {
  user: User;
}

let current: Session | undefined;
const listeners = new Set<() => void>();

export const session = {
  get current(): Session | undefined {
    return current;
  },
  set(s: Session | undefined): void {
    current = s;
    for (const l of listeners) l();
  },
  has(role: string): boolean {
    return current?.user.roles.includes(role) ?? false;
  },
  onChange(fn: () => void): void {
    listeners.add(fn);
  },
};
