import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Issue 14 (3, 2.1), hand-written: one row per asynchronous Daraja request
 * (Reversal, Transaction Status) with the conversation ids Daraja gave it,
 * so a result is applied only when it answers that request; the callback
 * inbox notes which request a stored result was posted for.
 */
export class Migration20261203100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists "mpesa_daraja_request" (
      "id" text not null,
      "purpose" text check ("purpose" in ('reversal', 'reversal_status', 'receipt_status')) not null,
      "status" text check ("status" in ('sent', 'accepted', 'answered', 'failed')) not null default 'sent',
      "transaction_id" text not null,
      "refund_id" text null,
      "receipt" text null,
      "originator_conversation_id" text null,
      "conversation_id" text null,
      "result_code" text null,
      "result_desc" text null,
      "outcome" text check ("outcome" in ('verified', 'rejected')) null,
      "reason" text null,
      "requested_by" text null,
      "answered_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      "deleted_at" timestamptz null,
      constraint "mpesa_daraja_request_pkey" primary key ("id"));`)
    this.addSql(
      `CREATE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_transaction_id_purpose" ON "mpesa_daraja_request" ("transaction_id", "purpose") WHERE deleted_at IS NULL;`
    )
    this.addSql(
      `CREATE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_refund_id" ON "mpesa_daraja_request" ("refund_id") WHERE refund_id is not null and deleted_at is null;`
    )
    this.addSql(
      `CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_originator_conversation_id_unique" ON "mpesa_daraja_request" ("originator_conversation_id") WHERE originator_conversation_id is not null and deleted_at is null;`
    )
    this.addSql(
      `CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_conversation_id_unique" ON "mpesa_daraja_request" ("conversation_id") WHERE conversation_id is not null and deleted_at is null;`
    )
    this.addSql(`alter table if exists "mpesa_callback" add column if not exists "request_id" text null;`)
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_callback" drop column if exists "request_id";`)
    this.addSql(`drop table if exists "mpesa_daraja_request" cascade;`)
  }
}
