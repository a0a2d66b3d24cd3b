import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: events written in the same transaction as the change they
 * describe, handed to their subscribers by the relay. The partial index keeps the relay's
 * "oldest undispatched first" read cheap however many dispatched events are kept.
 */
export class OutboxEvents1796219779414 implements MigrationInterface {
  name = 'OutboxEvents1796219779414';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "outbox_events" (
                "id" uuid NOT NULL,
                "type" character varying(100) NOT NULL,
                "data" jsonb NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                "request_id" character varying(128),
                "trace_context" jsonb,
                "dispatched_at" TIMESTAMP(3) WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "available_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "last_error" character varying(500),
                CONSTRAINT "PK_outbox_events" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_outbox_events_undispatched" ON "outbox_events" ("created_at", "id")
            WHERE "dispatched_at" IS NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_outbox_events_undispatched"`);
    await queryRunner.query(`DROP TABLE "outbox_events"`);
  }
}
