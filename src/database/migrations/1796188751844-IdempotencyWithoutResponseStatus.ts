import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A replayed placement is always the 201 that placed it (only successful placements are
 * remembered), so the stored status said nothing. During a rolling update, a keyed
 * placement still served by the previous release fails (500, nothing written) until its
 * replica is replaced; the client's retry with the same key succeeds on this one.
 */
export class IdempotencyWithoutResponseStatus1796188751844 implements MigrationInterface {
  name = 'IdempotencyWithoutResponseStatus1796188751844';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "idempotency_keys" DROP COLUMN "response_status"
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "idempotency_keys" ADD "response_status" smallint NOT NULL DEFAULT '201'
        `);
  }
}
