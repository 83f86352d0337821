import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261124110205 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_mpesa_receipt_number_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_merchant_request_id_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_checkout_request_id_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_payment_session_id_unique";`);
    this.addSql(`create table if not exists "mpesa_access_token" ("id" text not null, "access_token" text not null, "expires_at" timestamptz not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_access_token_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_access_token_deleted_at" ON "mpesa_access_token" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "mpesa_callback" ("id" text not null, "checkout_request_id" text null, "merchant_request_id" text null, "result_code" text null, "payload" jsonb not null, "source_ip" text null, "status" text check ("status" in ('received', 'applied', 'duplicate', 'waiting', 'suspicious', 'invalid')) not null default 'received', "note" text null, "transaction_id" text null, "processed_at" timestamptz null, "attempts" integer not null default 0, "locked_until" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_callback_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_checkout_request_id" ON "mpesa_callback" ("checkout_request_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_deleted_at" ON "mpesa_callback" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_status_created_at" ON "mpesa_callback" ("status", "created_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "mpesa_transaction" ("id" text not null, "payment_session_id" text not null, "checkout_request_id" text null, "merchant_request_id" text null, "phone" text not null, "amount" integer not null, "medusa_amount" text not null, "currency_code" text not null, "account_reference" text not null, "status" text check ("status" in ('initiating', 'pending', 'indeterminate', 'paid', 'failed', 'canceled', 'expired')) not null default 'initiating', "result_code" text null, "result_desc" text null, "customer_message" text null, "mpesa_receipt_number" text null, "paid_amount" integer null, "paid_phone" text null, "transaction_date" text null, "confirmed_by" text null, "callback_received_at" timestamptz null, "settled_at" timestamptz null, "query_attempts" integer not null default 0, "next_query_at" timestamptz null, "last_queried_at" timestamptz null, "expires_at" timestamptz not null, "session_closed_at" timestamptz null, "unmatched" boolean not null default false, "completed_at" timestamptz null, "completion_attempts" integer not null default 0, "completion_error" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_transaction_pkey" primary key ("id"));`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_session_id_unique" ON "mpesa_transaction" ("payment_session_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_checkout_request_id_unique" ON "mpesa_transaction" ("checkout_request_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_merchant_request_id_unique" ON "mpesa_transaction" ("merchant_request_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_mpesa_receipt_number_unique" ON "mpesa_transaction" ("mpesa_receipt_number") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_deleted_at" ON "mpesa_transaction" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_status_next_query_at" ON "mpesa_transaction" ("status", "next_query_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_phone_amount_status" ON "mpesa_transaction" ("phone", "amount", "status") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mpesa_access_token" cascade;`);

    this.addSql(`drop table if exists "mpesa_callback" cascade;`);

    this.addSql(`drop table if exists "mpesa_transaction" cascade;`);
  }

}
