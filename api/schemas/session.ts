import { Type, type Static } from '@sinclair/typebox';

export const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  approverLevel: Type.Union([Type.Integer(), Type.Null()]),
  groups: Type.Array(Type.String()),
  customerId: Type.Union([Type.String(), Type.Null()]),
});

export const SignIn = Type.Object({ token: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });
export type SignIn = Static<typeof SignIn>;
