/**
 * Who people are to Herald: roles, approver levels and teams, and the candidate groups they
 * hold because of them. A task is visible to and workable by its candidate groups.
 */
export const ROLES = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin', 'customer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  name: string;
  email?: string | null;
  roles: Role[];
  /** For approvers: the level they approve at (1, 2, ...). */
  approverLevel?: number | null;
  /** Team groups beyond the roles (finance, credit, triage, ...). */
  teams: string[];
  /** For customers: the customer they belong to. */
  customerId?: string | null;
}

/** Every candidate group the user holds: role names, `approver-l<level>` and teams. */
export function groupsOf(user: Pick<User, 'roles' | 'approverLevel' | 'teams'>): string[] {
  const groups = new Set<string>(user.roles);
  if (user.roles.includes('approver') && user.approverLevel) groups.add(`approver-l${user.approverLevel}`);
  for (const t of user.teams) groups.add(t);
  return [...groups];
}

export function hasRole(user: Pick<User, 'roles'>, ...roles: Role[]): boolean {
  return roles.some((r) => user.roles.includes(r));
}

/** People who may read every task and the whole audit trail (but still may not work them). */
export function isOverseer(user: Pick<User, 'roles'>): boolean {
  return hasRole(user, 'admin', 'compliance');
}
