import {
  MailConfig,
  allConfigSections,
  loadConfig,
  readEnvironment,
  type LoadConfigOptions,
  type LoadedConfig,
  type RawEnvironment,
} from '@app/core';

import { AuthConfig } from './modules/auth/auth.config';
import { MfaConfig } from './modules/auth/mfa/mfa.config';
import { OrdersConfig } from './modules/orders/orders.config';
import { UsersConfig } from './modules/users/users.config';
import { WebhooksConfig } from './modules/webhooks/webhooks.config';

/**
 * The app's configuration: the platform's sections (libs/core/src/config/platform.config.ts)
 * and each module's own (`src/modules/<name>/<name>.config.ts`), listed here once. A new
 * setting is one declaration in its section; `npm run config:docs` then updates README's
 * table and `.env.example`.
 */
const OPTIONS: LoadConfigOptions = {
  sections: [MailConfig, AuthConfig, MfaConfig, UsersConfig, OrdersConfig, WebhooksConfig],
  // CURSOR_SECRET unset: the cursor key is derived from the JWT key, so every instance
  // sharing JWT_SECRET accepts the others' cursors.
  cursorSecretSeed: (sections) => sections.get(AuthConfig).jwtSecret,
};

/** Every section, in the order README's table and `.env.example` list them. */
export const CONFIG_SECTIONS = allConfigSections(OPTIONS);

/**
 * Validates the environment (by default the process's, over `.env`) into every section;
 * throws one ConfigValidationError naming every bad variable.
 */
export function loadAppConfig(raw: RawEnvironment = readEnvironment()): LoadedConfig {
  return loadConfig(raw, OPTIONS);
}
