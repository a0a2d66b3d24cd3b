import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Accounts: mailed link tokens (hashes only), the TOTP second factor (secrets encrypted,
 * recovery codes hashed), session details on refresh tokens, and `users.email_verified_at`.
 * Existing refresh tokens get their login's start from the family's first token; every new
 * column is nullable or has a default, so the previous release keeps running beside this one.
 */
export class Accounts1796236094547 implements MigrationInterface {
  name = 'Accounts1796236094547';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "account_tokens" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "token_hash" character(64) NOT NULL,
                "user_id" uuid NOT NULL,
                "purpose" character varying(32) NOT NULL,
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "used_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "CHK_account_tokens_purpose" CHECK (
                    "purpose" IN ('email_verification', 'password_reset')
                ),
                CONSTRAINT "PK_5e3640c493cc6206a44b885e6a9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_account_tokens_hash" ON "account_tokens" ("token_hash")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_account_tokens_expires_at" ON "account_tokens" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_account_tokens_user_purpose" ON "account_tokens" ("user_id", "purpose")
        `);
    await queryRunner.query(`
            CREATE TABLE "user_mfa" (
                "user_id" uuid NOT NULL,
                "secret_ciphertext" text NOT NULL,
                "enabled_at" TIMESTAMP(3) WITH TIME ZONE,
                "last_used_step" bigint,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_user_mfa" PRIMARY KEY ("user_id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "mfa_recovery_codes" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "user_id" uuid NOT NULL,
                "code_hash" character(64) NOT NULL,
                "used_at" TIMESTAMP(3) WITH TIME ZONE,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_mfa_recovery_codes" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_mfa_recovery_codes_user_code" ON "mfa_recovery_codes" ("user_id", "code_hash")
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD "session_started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now()
        `);
    await queryRunner.query(`
            UPDATE "refresh_tokens" AS "token"
               SET "session_started_at" = "family"."started_at"
              FROM (
                    SELECT "family_id", min("created_at") AS "started_at"
                      FROM "refresh_tokens"
                     GROUP BY "family_id"
                   ) AS "family"
             WHERE "token"."family_id" = "family"."family_id"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD "second_factor" boolean NOT NULL DEFAULT false
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD "user_agent" character varying(512)
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD "ip_address" character varying(64)
        `);
    await queryRunner.query(`
            ALTER TABLE "users"
            ADD "email_verified_at" TIMESTAMP(3) WITH TIME ZONE
        `);
    await queryRunner.query(`
            ALTER TABLE "user_mfa"
            ADD CONSTRAINT "FK_user_mfa_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "mfa_recovery_codes"
            ADD CONSTRAINT "FK_mfa_recovery_codes_user_mfa" FOREIGN KEY ("user_id") REFERENCES "user_mfa"("user_id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "mfa_recovery_codes" DROP CONSTRAINT "FK_mfa_recovery_codes_user_mfa"
        `);
    await queryRunner.query(`
            ALTER TABLE "user_mfa" DROP CONSTRAINT "FK_user_mfa_user"
        `);
    await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "email_verified_at"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP COLUMN "ip_address"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP COLUMN "user_agent"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP COLUMN "second_factor"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP COLUMN "session_started_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_mfa_recovery_codes_user_code"
        `);
    await queryRunner.query(`
            DROP TABLE "mfa_recovery_codes"
        `);
    await queryRunner.query(`
            DROP TABLE "user_mfa"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_account_tokens_user_purpose"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_account_tokens_expires_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_account_tokens_hash"
        `);
    await queryRunner.query(`
            DROP TABLE "account_tokens"
        `);
  }
}
