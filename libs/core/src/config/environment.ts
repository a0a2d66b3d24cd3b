import { Transform, plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';

import { ConfigValidationError } from './config-validation.error';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') {
    return true;
  }
  if (v === 'false' || v === '0') {
    return false;
  }
  return value;
};

/**
 * The environment variables the service reads, as class-validator rules.
 * Names are part of the contract (README and .env.example list them).
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'test', 'production'])
  readonly NODE_ENV?: 'development' | 'test' | 'production';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  readonly PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  readonly HOST?: string;

  @IsOptional()
  @Matches(/^(postgres|postgresql):\/\/.+|^pglite:\/\/.+/, {
    message:
      'DATABASE_URL must be a postgres:// or postgresql:// URL, pglite://memory or pglite://<dir>',
  })
  readonly DATABASE_URL?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  readonly DB_POOL_MAX?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  readonly DB_IDLE_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly DB_CONNECTION_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  readonly DB_STATEMENT_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  readonly DB_QUERY_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  readonly DB_MIGRATE_ON_START?: boolean;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  readonly DB_CONNECT_RETRIES?: number;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  readonly REDIS_URL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9:_.-]{0,64}$/, {
    message: 'REDIS_KEY_PREFIX must be at most 64 characters of [A-Za-z0-9:_.-]',
  })
  readonly REDIS_KEY_PREFIX?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  readonly REDIS_COMMAND_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  readonly REDIS_BREAKER_RESET_MS?: number;

  @IsOptional()
  @IsString()
  @Matches(/^\s*(https?:\/\/[^\s,/]+\s*)?(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
    message:
      'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (no paths, no *)',
  })
  readonly CORS_ORIGINS?: string;

  @IsOptional()
  @IsString()
  @Matches(/^(true|false|\d+|[0-9a-fA-F.:/,\s]+|loopback|linklocal|uniquelocal)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses',
  })
  readonly TRUST_PROXY?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly RATE_LIMIT_TTL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly RATE_LIMIT_MAX?: number;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  readonly LOG_LEVEL?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

  @IsOptional()
  @IsIn(['json', 'pretty'])
  readonly LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  readonly SHUTDOWN_READY_DELAY_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  readonly SHUTDOWN_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  readonly DOCS_ENABLED?: boolean;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  readonly JSON_MAX_DEPTH?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  readonly HTTP_HEADERS_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  readonly HTTP_REQUEST_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  readonly HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;

  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  readonly FAULT_INJECTION?: boolean;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  readonly JWT_SECRET?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'CURSOR_SECRET must be at least 32 characters' })
  readonly CURSOR_SECRET?: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  readonly JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  readonly JWT_AUDIENCE?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(86_400)
  readonly JWT_ACCESS_TTL?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  readonly REFRESH_TOKEN_TTL?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(19_456, { message: 'ARGON2_MEMORY_KIB must be at least 19456 (19 MiB, OWASP minimum)' })
  @Max(4_194_304)
  readonly ARGON2_MEMORY_KIB?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(20)
  readonly ARGON2_TIME_COST?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16)
  readonly ARGON2_PARALLELISM?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  readonly PASSWORD_HASH_CONCURRENCY?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly LOGIN_RATE_LIMIT_MAX?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  readonly LOGIN_RATE_LIMIT_TTL_MS?: number;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  )
  @IsEmail({}, { message: 'BOOTSTRAP_ADMIN_EMAIL must be an email address' })
  readonly BOOTSTRAP_ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @Length(8, 128, { message: 'BOOTSTRAP_ADMIN_PASSWORD must be 8 to 128 characters' })
  readonly BOOTSTRAP_ADMIN_PASSWORD?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(86_400_000, { message: 'IDEMPOTENCY_TTL_MS must be at least 86400000 (24 hours)' })
  readonly IDEMPOTENCY_TTL_MS?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  readonly MEMORY_LOG_INTERVAL_MS?: number;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL' })
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, {
    message: 'OTEL_SERVICE_NAME must be 1-100 characters of [A-Za-z0-9._-]',
  })
  readonly OTEL_SERVICE_NAME?: string;

  @IsOptional()
  @Matches(/^(max|[1-9]\d{0,2})$/, {
    message: 'CLUSTER_WORKERS must be a number of workers (1-999) or max',
  })
  readonly CLUSTER_WORKERS?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(64)
  readonly NODE_MAX_OLD_SPACE_MB?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  readonly CACHE_MAX?: number;

  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  readonly CACHE_TTL_MS?: number;

  @IsOptional()
  @Matches(/^https?:\/\/\S+[^/]$/, {
    message: 'PROBLEM_TYPE_BASE_URI must be an http(s) URI without a trailing slash',
  })
  @MaxLength(200)
  readonly PROBLEM_TYPE_BASE_URI?: string;
}

function describe(errors: readonly ValidationError[]): string[] {
  return errors.map((e) => {
    const shown = typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value);
    const reasons = Object.values(e.constraints ?? {}).join('; ');
    return `${e.property}=${shown}: ${reasons}`;
  });
}

/** Validates the raw environment; throws one ConfigValidationError naming every bad variable. */
export function validateEnvironment(raw: Readonly<Record<string, unknown>>): EnvironmentVariables {
  // An empty variable (`FOO=`) means "not set", as in most deployment tools.
  const candidate: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    candidate[key] = typeof value === 'string' && value.trim() === '' ? undefined : value;
  }
  const env = plainToInstance(EnvironmentVariables, candidate, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigValidationError(describe(errors));
  }
  return env;
}
