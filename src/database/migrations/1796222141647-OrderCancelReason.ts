import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who cancelled an order (`cancelReason`): only on cancelled orders, and null on those
 * cancelled before this release (nobody recorded it). The partial index serves the expiry
 * job's "oldest pending orders first" scan without reading the settled ones.
 */
export class OrderCancelReason1796222141647 implements MigrationInterface {
  name = 'OrderCancelReason1796222141647';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "orders" ADD "cancel_reason" character varying(16)
        `);
    await queryRunner.query(`
            ALTER TABLE "orders" ADD CONSTRAINT "CHK_orders_cancel_reason" CHECK (
                "cancel_reason" IS NULL OR ("status" = 'cancelled' AND "cancel_reason" IN ('customer', 'admin', 'expired'))
            ) NOT VALID
        `);
    // Checked apart from adding it: the scan then blocks no writes to orders.
    await queryRunner.query(`ALTER TABLE "orders" VALIDATE CONSTRAINT "CHK_orders_cancel_reason"`);
    await queryRunner.query(`
            CREATE INDEX "IDX_orders_pending_created_at" ON "orders" ("created_at")
            WHERE "status" = 'pending'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_orders_pending_created_at"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP CONSTRAINT "CHK_orders_cancel_reason"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "cancel_reason"`);
  }
}
