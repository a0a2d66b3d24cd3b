import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation by a per-user counter instead of a timestamp: JWT `iat` has one-second
 * resolution, so a token issued in the second of a password change outlived it.
 * Tokens carry the version they were issued under (access: `ver` claim; refresh: this column).
 */
export class TokenVersions1796170333577 implements MigrationInterface {
  name = 'TokenVersions1796170333577';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "users" ADD "token_version" integer NOT NULL DEFAULT '0'
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" ADD "token_version" integer NOT NULL DEFAULT '0'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP COLUMN "token_version"
        `);
    await queryRunner.query(`
            ALTER TABLE "users" DROP COLUMN "token_version"
        `);
  }
}
