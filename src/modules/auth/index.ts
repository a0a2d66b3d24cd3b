/** The auth module's public entry: the only file other modules (and the app) import. */
export { AuthErrorCode } from './auth.errors';
export { AuthModule } from './auth.module';
export { AuthService } from './auth.service';
export type { MfaChallengeResponse } from './dto/mfa-challenge.response';
export type { TokenPairResponse } from './dto/token-pair.response';
