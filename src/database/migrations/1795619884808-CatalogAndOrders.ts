import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CatalogAndOrders1795619884808 implements MigrationInterface {
  name = 'CatalogAndOrders1795619884808';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "products" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "sku" character varying(64) NOT NULL,
                "name" character varying(200) NOT NULL,
                "price_cents" integer NOT NULL,
                "currency" character(3) NOT NULL DEFAULT 'EUR',
                "stock" integer NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "CHK_products_currency" CHECK ("currency" ~ '^[A-Z]{3}$'),
                CONSTRAINT "CHK_products_sku_format" CHECK ("sku" ~ '^[A-Z0-9-]{1,64}$'),
                CONSTRAINT "CHK_products_price_range" CHECK (
                    "price_cents" BETWEEN 0 AND 100000000
                ),
                CONSTRAINT "CHK_products_stock_non_negative" CHECK ("stock" >= 0),
                CONSTRAINT "PK_0806c755e0aca124e67c0cf6d7d" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_products_sku" ON "products" ("sku")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_products_created_at_id" ON "products" ("created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "idempotency_keys" (
                "user_id" uuid NOT NULL,
                "key" character varying(255) NOT NULL,
                "request_hash" character(64) NOT NULL,
                "response_status" smallint NOT NULL,
                "response_body" jsonb NOT NULL,
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_392b1af86f210d98d3f0c764728" PRIMARY KEY ("user_id", "key")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_idempotency_keys_expires_at" ON "idempotency_keys" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "orders" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "user_id" uuid NOT NULL,
                "status" character varying(16) NOT NULL,
                "currency" character(3) NOT NULL,
                "total_cents" bigint NOT NULL,
                "version" integer NOT NULL DEFAULT '1',
                "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "CHK_orders_total_non_negative" CHECK ("total_cents" >= 0),
                CONSTRAINT "CHK_orders_status" CHECK (
                    "status" IN (
                        'pending',
                        'paid',
                        'shipped',
                        'delivered',
                        'cancelled'
                    )
                ),
                CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_orders_user_created_at_id" ON "orders" ("user_id", "created_at", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_orders_created_at_id" ON "orders" ("created_at", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "order_items" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "order_id" uuid NOT NULL,
                "position" smallint NOT NULL,
                "product_id" uuid NOT NULL,
                "sku" character varying(64) NOT NULL,
                "name" character varying(200) NOT NULL,
                "unit_price_cents" integer NOT NULL,
                "quantity" integer NOT NULL,
                "line_total_cents" bigint NOT NULL,
                CONSTRAINT "CHK_order_items_unit_price" CHECK ("unit_price_cents" >= 0),
                CONSTRAINT "CHK_order_items_quantity" CHECK (
                    "quantity" BETWEEN 1 AND 1000
                ),
                CONSTRAINT "PK_005269d8574e6fac0493715c308" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_order_items_order_product" ON "order_items" ("order_id", "product_id")
        `);
    await queryRunner.query(`
            ALTER TABLE "order_items"
            ADD CONSTRAINT "FK_145532db85752b29c57d2b7b1f1" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "order_items" DROP CONSTRAINT "FK_145532db85752b29c57d2b7b1f1"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_order_items_order_product"
        `);
    await queryRunner.query(`
            DROP TABLE "order_items"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_orders_created_at_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_orders_user_created_at_id"
        `);
    await queryRunner.query(`
            DROP TABLE "orders"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_idempotency_keys_expires_at"
        `);
    await queryRunner.query(`
            DROP TABLE "idempotency_keys"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_products_created_at_id"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_products_sku"
        `);
    await queryRunner.query(`
            DROP TABLE "products"
        `);
  }
}
