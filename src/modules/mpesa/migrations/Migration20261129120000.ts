import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261129120000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table if not exists "mpesa_prompt_limit" ("id" text not null, "window_started_at" timestamptz not null, "hits" integer not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_prompt_limit_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_prompt_limit_deleted_at" ON "mpesa_prompt_limit" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_prompt_limit_window_started_at" ON "mpesa_prompt_limit" ("window_started_at") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mpesa_prompt_limit" cascade;`);
  }

}
