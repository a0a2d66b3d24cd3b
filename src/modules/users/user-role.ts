export const UserRole = {
  CUSTOMER: 'customer',
  ADMIN: 'admin',
} as const;

export type UserRole = (typeof UserRole)[keyof typeof UserRole];

export const USER_ROLES: readonly UserRole[] = Object.values(UserRole);

/** The one admin check: admins see and change what belongs to anyone. */
export const isAdmin = (user: { readonly role: UserRole }): boolean => user.role === UserRole.ADMIN;

declare module '@app/core' {
  /** Core's role type is this module's (every `@Roles()` and `user.role` is a UserRole). */
  interface RoleType {
    readonly role: UserRole;
  }
}
