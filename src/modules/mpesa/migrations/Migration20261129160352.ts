import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261129160352 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table if not exists "mpesa_setting" ("id" text not null, "version" integer not null default 0, "environment" text null, "transaction_type" text null, "shortcode" text null, "till_number" text null, "consumer_key" text null, "account_reference" text null, "transaction_desc" text null, "callback_base_url" text null, "initiator_name" text null, "consumer_secret_enc" text null, "consumer_secret_last4" text null, "passkey_enc" text null, "passkey_last4" text null, "initiator_password_enc" text null, "initiator_password_last4" text null, "updated_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_setting_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_setting_deleted_at" ON "mpesa_setting" ("deleted_at") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mpesa_setting" cascade;`);
  }

}
