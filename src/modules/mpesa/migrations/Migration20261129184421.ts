import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261129184421 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_conversation_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_originator_conversation_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_medusa_refund_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_transaction_id_unique";`);
    this.addSql(`create table if not exists "mpesa_refund" ("id" text not null, "transaction_id" text not null, "kind" text check ("kind" in ('reversal', 'outside')) not null, "status" text check ("status" in ('sending', 'requested', 'unknown', 'completed', 'failed')) not null default 'sending', "amount" integer not null, "medusa_refund_id" text null, "medusa_payment_id" text null, "requested_by" text null, "note" text null, "originator_conversation_id" text null, "conversation_id" text null, "result_code" text null, "result_desc" text null, "reversal_receipt" text null, "reason" text null, "settled_at" timestamptz null, "check_attempts" integer not null default 0, "next_check_at" timestamptz null, "locked_until" timestamptz null, "attention_reason" text null, "attention_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_refund_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_deleted_at" ON "mpesa_refund" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_transaction_id" ON "mpesa_refund" ("transaction_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_transaction_id_unique" ON "mpesa_refund" ("transaction_id") WHERE kind = 'reversal' and status in ('sending', 'requested', 'unknown', 'completed') and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_medusa_refund_id_unique" ON "mpesa_refund" ("medusa_refund_id") WHERE medusa_refund_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_originator_conversation_id_unique" ON "mpesa_refund" ("originator_conversation_id") WHERE originator_conversation_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_conversation_id_unique" ON "mpesa_refund" ("conversation_id") WHERE conversation_id is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_next_check_at" ON "mpesa_refund" ("next_check_at") WHERE status in ('sending', 'requested', 'unknown') and deleted_at is null;`);

    this.addSql(`alter table if exists "mpesa_callback" add column if not exists "kind" text check ("kind" in ('stk', 'reversal_result', 'reversal_timeout', 'status_result', 'status_timeout')) not null default 'stk', add column if not exists "refund_id" text null;`);

    this.addSql(`alter table if exists "mpesa_transaction" add column if not exists "refunded_amount" integer not null default 0, add column if not exists "attach_collection_id" text null, add column if not exists "attach_requested_by" text null, add column if not exists "attached_at" timestamptz null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_attach_collection_id" ON "mpesa_transaction" ("attach_collection_id") WHERE attach_collection_id is not null and deleted_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mpesa_refund" cascade;`);

    this.addSql(`alter table if exists "mpesa_callback" drop column if exists "kind", drop column if exists "refund_id";`);

    this.addSql(`drop index if exists "IDX_mpesa_transaction_attach_collection_id";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop column if exists "refunded_amount", drop column if exists "attach_collection_id", drop column if exists "attach_requested_by", drop column if exists "attached_at";`);
  }

}
