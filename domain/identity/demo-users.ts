/** The demo's people (DESIGN.md's users), seeded by `npm start`. */
import type { User } from './roles.js';

export const DEMO_USERS: User[] = [
  { id: 'ada', name: 'Ada (analyst)', roles: ['analyst'], teams: [] },
  { id: 'eric', name: 'Eric (engineer)', roles: ['engineer'], teams: [] },
  { id: 'alice', name: 'Alice (approver, level 1)', roles: ['approver'], approverLevel: 1, teams: ['finance-lead', 'customer-service-lead', 'credit'] },
  { id: 'bob', name: 'Bob (approver, level 2)', roles: ['approver'], approverLevel: 2, teams: ['finance-controller', 'credit-committee'] },
  { id: 'sam', name: 'Sam (collections agent)', roles: ['agent'], teams: ['collections', 'customer-service', 'finance', 'cash-application', 'triage'] },
  { id: 'dora', name: 'Dora (data steward)', roles: ['data-steward'], teams: [] },
  { id: 'carl', name: 'Carl (compliance)', roles: ['compliance'], teams: [] },
  { id: 'root', name: 'Root (admin)', roles: ['admin'], teams: [] },
  { id: 'acme', name: 'Acme Industrial Supplies (customer)', roles: ['customer'], teams: [], customerId: 'C-ACME' },
  { id: 'northwind', name: 'Northwind Traders (customer)', roles: ['customer'], teams: [], customerId: 'C-NORTHWIND' },
].map((u) => ({ email: `${u.id}@herald.example`, ...u }) as User);
