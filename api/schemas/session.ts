import { Type, type Static } from '@sinclair/typebox';

export const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  approverLevel: Type.Union([Type.Integer(), Type.Null()]),
  groups: Type.Array(Type.String()),
  customerId: Type.Union([Type.String(), Type.Null()]),
});

/** Sign in as a person (user name and password) or with an API token. */
export const SignIn = Type.Union([
  Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false }),
]);
export type SignIn = Static<typeof SignIn>;
