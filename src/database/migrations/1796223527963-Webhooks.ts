import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks and their deliveries. A delivery is one event for one webhook (unique per pair, so
 * an event handed over twice is delivered once) and goes with its webhook. The two listing
 * indexes serve `GET /webhooks/:id/deliveries` newest first, with and without `?status=`.
 */
export class Webhooks1796223527963 implements MigrationInterface {
  name = 'Webhooks1796223527963';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "webhooks" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "url" character varying(2048) NOT NULL,
                "events" character varying(100) array NOT NULL,
                "enabled" boolean NOT NULL DEFAULT true,
                "description" character varying(500),
                "secret" character varying(100) NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_webhooks" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhooks_created_at_id" ON "webhooks" ("created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_deliveries" (
                "id" uuid NOT NULL,
                "webhook_id" uuid NOT NULL,
                "event_id" uuid NOT NULL,
                "event_type" character varying(100) NOT NULL,
                "status" character varying(16) NOT NULL DEFAULT 'pending',
                "attempts" integer NOT NULL DEFAULT '0',
                "last_status_code" integer,
                "last_error" character varying(500),
                "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE,
                "delivered_at" TIMESTAMP(3) WITH TIME ZONE,
                "job_id" uuid,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "CHK_webhook_deliveries_status" CHECK (
                    "status" IN ('pending', 'succeeded', 'failed', 'dead')
                ),
                CONSTRAINT "PK_webhook_deliveries" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_webhook_deliveries_webhook_event" ON "webhook_deliveries" ("webhook_id", "event_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_deliveries_webhook_created_at_id" ON "webhook_deliveries" ("webhook_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_deliveries_webhook_status_created_at_id" ON "webhook_deliveries" ("webhook_id", "status", "created_at", "id")
        `);
    await queryRunner.query(`
            ALTER TABLE "webhook_deliveries"
            ADD CONSTRAINT "FK_webhook_deliveries_webhook" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_webhook_deliveries_webhook"`,
    );
    await queryRunner.query(
      `DROP INDEX "public"."IDX_webhook_deliveries_webhook_status_created_at_id"`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_webhook_deliveries_webhook_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_webhook_deliveries_webhook_event"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_webhooks_created_at_id"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
  }
}
