import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first half of removing `idempotency_keys.response_status`, which always held 201 (only
 * successful placements are remembered, and a replay is the 201 that placed the order). This
 * release no longer reads or writes it; the default lets its inserts leave it out while
 * replicas of the previous release, during a rolling update, still write and read it. The
 * release after this one drops the column.
 */
export class IdempotencyResponseStatusDefault1796188751844 implements MigrationInterface {
  name = 'IdempotencyResponseStatusDefault1796188751844';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "idempotency_keys" ALTER COLUMN "response_status" SET DEFAULT '201'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "idempotency_keys" ALTER COLUMN "response_status" DROP DEFAULT
        `);
  }
}
