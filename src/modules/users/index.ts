/**
 * The users module's public entry: the only file other modules (and the app) import.
 * Its Nest module, its service and the types of its contract, its role table and the
 * errors it throws.
 */
export {
  PASSWORD,
  Password,
  PresentedEmail,
  PresentedPassword,
  normaliseEmail,
} from './dto/user-fields';
export { UserRole, USER_ROLES, isAdmin } from './user-role';
export {
  CurrentPasswordInvalidError,
  EmailNotVerifiedError,
  EmailTakenError,
  LastAdminError,
  UserNotFoundError,
  UsersErrorCode,
} from './users.errors';
export { UsersModule } from './users.module';
export {
  UsersService,
  type AccountContact,
  type PasswordChangeListener,
  type PasswordHash,
  type RegistrationListener,
  type SessionsEndedBy,
  type UserPrincipal,
} from './users.service';
