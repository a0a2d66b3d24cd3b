/**
 * The users module's public entry: the only file other modules (and the app) import.
 * Its Nest module, its service and the types of its contract, its role table and the
 * errors it throws.
 */
export { PASSWORD, PresentedEmail, PresentedPassword, normaliseEmail } from './dto/user-fields';
export { UserRole, USER_ROLES, isAdmin } from './user-role';
export {
  CurrentPasswordInvalidError,
  EmailTakenError,
  LastAdminError,
  UserNotFoundError,
  UsersErrorCode,
} from './users.errors';
export { UsersModule } from './users.module';
export { UsersService, type PasswordChangeListener, type UserPrincipal } from './users.service';
