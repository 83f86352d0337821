import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261129135732 extends Migration {

  override async up(): Promise<void> {

    this.addSql(`alter table if exists "mpesa_callback" drop constraint if exists "mpesa_callback_status_check";`);

    this.addSql(`drop index if exists "IDX_mpesa_callback_checkout_request_id";`);

    this.addSql(`alter table if exists "mpesa_callback" add column if not exists "next_check_at" timestamptz null;`);
    this.addSql(`alter table if exists "mpesa_callback" add constraint "mpesa_callback_status_check" check("status" in ('received', 'applied', 'duplicate', 'waiting', 'suspicious', 'invalid', 'unconfirmed'));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_transaction_id" ON "mpesa_callback" ("transaction_id") WHERE transaction_id is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_next_check_at" ON "mpesa_callback" ("next_check_at") WHERE processed_at is null and deleted_at is null;`);

    this.addSql(`drop index if exists "IDX_mpesa_transaction_status_next_query_at";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_phone_amount_status";`);

    this.addSql(`alter table if exists "mpesa_transaction" add column if not exists "initiated_session_id" text null, add column if not exists "payment_collection_id" text null, add column if not exists "next_completion_at" timestamptz null, add column if not exists "attention_reason" text null, add column if not exists "attention_at" timestamptz null;`);
    // Existing rows: the session that sent the push is the one that owns it.
    this.addSql(`update "mpesa_transaction" set "initiated_session_id" = "payment_session_id" where "initiated_session_id" is null;`);
    this.addSql(`alter table if exists "mpesa_transaction" alter column "initiated_session_id" set not null;`);
    // Paid, matched rows from before completion back-off: let the job look at them once more.
    this.addSql(`update "mpesa_transaction" set "next_completion_at" = now() where "status" = 'paid' and "unmatched" = false and "completed_at" is null;`);
    this.addSql(`alter table if exists "mpesa_transaction" alter column "payment_session_id" type text using ("payment_session_id"::text);`);
    this.addSql(`alter table if exists "mpesa_transaction" alter column "payment_session_id" drop not null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_next_query_at" ON "mpesa_transaction" ("next_query_at") WHERE status = 'pending' and next_query_at is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_expires_at" ON "mpesa_transaction" ("expires_at") WHERE status in ('initiating', 'pending', 'indeterminate') and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_next_completion_at" ON "mpesa_transaction" ("next_completion_at") WHERE status = 'paid' and unmatched = false and completed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id" ON "mpesa_transaction" ("payment_collection_id") WHERE payment_collection_id is not null and completed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_settled_at" ON "mpesa_transaction" ("settled_at") WHERE (unmatched = true or attention_at is not null) and deleted_at is null;`);
  }

  override async down(): Promise<void> {

    this.addSql(`alter table if exists "mpesa_callback" drop constraint if exists "mpesa_callback_status_check";`);

    this.addSql(`drop index if exists "IDX_mpesa_callback_transaction_id";`);
    this.addSql(`drop index if exists "IDX_mpesa_callback_next_check_at";`);
    this.addSql(`alter table if exists "mpesa_callback" drop column if exists "next_check_at";`);

    this.addSql(`alter table if exists "mpesa_callback" add constraint "mpesa_callback_status_check" check("status" in ('received', 'applied', 'duplicate', 'waiting', 'suspicious', 'invalid'));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_checkout_request_id" ON "mpesa_callback" ("checkout_request_id") WHERE deleted_at IS NULL;`);

    this.addSql(`drop index if exists "IDX_mpesa_transaction_next_query_at";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_expires_at";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_next_completion_at";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_payment_collection_id";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_settled_at";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop column if exists "initiated_session_id", drop column if exists "payment_collection_id", drop column if exists "next_completion_at", drop column if exists "attention_reason", drop column if exists "attention_at";`);

    this.addSql(`alter table if exists "mpesa_transaction" alter column "payment_session_id" type text using ("payment_session_id"::text);`);
    this.addSql(`alter table if exists "mpesa_transaction" alter column "payment_session_id" set not null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_status_next_query_at" ON "mpesa_transaction" ("status", "next_query_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_phone_amount_status" ON "mpesa_transaction" ("phone", "amount", "status") WHERE deleted_at IS NULL;`);
  }

}
