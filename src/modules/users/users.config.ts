import { availableParallelism } from 'node:os';

import { defineConfigSection, int, text } from '@app/core';
import { isEmail } from 'class-validator';

import { PASSWORD, normaliseEmail } from './dto/user-fields';

/** The users module's settings: password hashing and the first admin. */
export class UsersConfig extends defineConfigSection({
  title: 'Users',
  variables: {
    ARGON2_MEMORY_KIB: int({
      default: 19_456,
      min: 19_456,
      max: 4_194_304,
      minMessage: 'ARGON2_MEMORY_KIB must be at least 19456 (19 MiB, OWASP minimum)',
      doc: "argon2id memory cost in KiB (never below OWASP's m=19 MiB)",
    }),
    ARGON2_TIME_COST: int({
      default: 2,
      min: 2,
      max: 20,
      doc: 'argon2id iterations (never below 2)',
    }),
    ARGON2_PARALLELISM: int({ default: 1, min: 1, max: 16, doc: 'argon2id lanes' }),
    PASSWORD_HASH_CONCURRENCY: int({
      min: 1,
      max: 64,
      defaultDoc: 'cores − 1 (at least 1)',
      doc: 'password hashes computed at once; the rest queue, so a login flood cannot starve other requests',
    }),
    BOOTSTRAP_ADMIN_EMAIL: text({
      normalise: normaliseEmail,
      test: (value) => isEmail(value),
      message: 'BOOTSTRAP_ADMIN_EMAIL must be an email address',
      doc: 'first admin, created once at start (with `BOOTSTRAP_ADMIN_PASSWORD`)',
    }),
    BOOTSTRAP_ADMIN_PASSWORD: text({
      minLength: PASSWORD.min,
      maxLength: PASSWORD.max,
      lengthMessage: `BOOTSTRAP_ADMIN_PASSWORD must be ${PASSWORD.min} to ${PASSWORD.max} characters`,
      secret: true,
      doc: `the first admin's password, ${PASSWORD.min} to ${PASSWORD.max} characters`,
    }),
  },
  build: (v) => ({
    argon2: {
      memoryKib: v.ARGON2_MEMORY_KIB,
      timeCost: v.ARGON2_TIME_COST,
      parallelism: v.ARGON2_PARALLELISM,
      /** Hashes computed at once; the rest wait, so a login flood cannot starve the loop. */
      concurrency: v.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
    },
    bootstrapAdmin:
      v.BOOTSTRAP_ADMIN_EMAIL !== undefined && v.BOOTSTRAP_ADMIN_PASSWORD !== undefined
        ? { email: v.BOOTSTRAP_ADMIN_EMAIL, password: v.BOOTSTRAP_ADMIN_PASSWORD }
        : null,
  }),
  check: (_config, v) =>
    (v.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (v.BOOTSTRAP_ADMIN_PASSWORD === undefined)
      ? ['BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither']
      : [],
}) {}
