import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261204000000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_mpesa_receipt_number_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_merchant_request_id_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_checkout_request_id_unique";`);
    this.addSql(`alter table if exists "mpesa_transaction" drop constraint if exists "mpesa_transaction_payment_session_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_conversation_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_originator_conversation_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_medusa_refund_id_unique";`);
    this.addSql(`alter table if exists "mpesa_refund" drop constraint if exists "mpesa_refund_transaction_id_unique";`);
    this.addSql(`alter table if exists "mpesa_daraja_request" drop constraint if exists "mpesa_daraja_request_conversation_id_unique";`);
    this.addSql(`alter table if exists "mpesa_daraja_request" drop constraint if exists "mpesa_daraja_request_originator_conversation_id_unique";`);
    this.addSql(`create table if not exists "mpesa_access_token" ("id" text not null, "access_token" text not null, "expires_at" timestamptz not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_access_token_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_access_token_deleted_at" ON "mpesa_access_token" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "mpesa_callback" ("id" text not null, "kind" text check ("kind" in ('stk', 'reversal_result', 'reversal_timeout', 'status_result', 'status_timeout')) not null default 'stk', "refund_id" text null, "request_id" text null, "checkout_request_id" text null, "merchant_request_id" text null, "result_code" text null, "payload" jsonb not null, "source_ip" text null, "status" text check ("status" in ('received', 'applied', 'duplicate', 'waiting', 'suspicious', 'invalid', 'unconfirmed')) not null default 'received', "note" text null, "transaction_id" text null, "processed_at" timestamptz null, "attempts" integer not null default 0, "next_check_at" timestamptz null, "locked_until" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_callback_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_deleted_at" ON "mpesa_callback" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_transaction_id" ON "mpesa_callback" ("transaction_id") WHERE transaction_id is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_next_check_at" ON "mpesa_callback" ("next_check_at") WHERE processed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_callback_status_created_at" ON "mpesa_callback" ("status", "created_at") WHERE deleted_at is null;`);

    this.addSql(`create table if not exists "mpesa_daraja_request" ("id" text not null, "purpose" text check ("purpose" in ('reversal', 'reversal_status', 'receipt_status')) not null, "status" text check ("status" in ('sent', 'accepted', 'answered', 'failed')) not null default 'sent', "transaction_id" text not null, "refund_id" text null, "receipt" text null, "originator_conversation_id" text null, "conversation_id" text null, "result_code" text null, "result_desc" text null, "outcome" text check ("outcome" in ('verified', 'rejected')) null, "reason" text null, "requested_by" text null, "answered_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_daraja_request_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_deleted_at" ON "mpesa_daraja_request" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_transaction_id_purpose" ON "mpesa_daraja_request" ("transaction_id", "purpose") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_refund_id" ON "mpesa_daraja_request" ("refund_id") WHERE refund_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_originator_conversation_id_unique" ON "mpesa_daraja_request" ("originator_conversation_id") WHERE originator_conversation_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_daraja_request_conversation_id_unique" ON "mpesa_daraja_request" ("conversation_id") WHERE conversation_id is not null and deleted_at is null;`);

    this.addSql(`create table if not exists "mpesa_prompt_limit" ("id" text not null, "window_started_at" timestamptz not null, "hits" integer not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_prompt_limit_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_prompt_limit_deleted_at" ON "mpesa_prompt_limit" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_prompt_limit_window_started_at" ON "mpesa_prompt_limit" ("window_started_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "mpesa_refund" ("id" text not null, "transaction_id" text not null, "kind" text check ("kind" in ('reversal', 'outside')) not null, "status" text check ("status" in ('sending', 'requested', 'unknown', 'completed', 'failed')) not null default 'sending', "amount" integer not null, "medusa_refund_id" text null, "medusa_payment_id" text null, "requested_by" text null, "note" text null, "originator_conversation_id" text null, "conversation_id" text null, "result_code" text null, "result_desc" text null, "reversal_receipt" text null, "reason" text null, "settled_at" timestamptz null, "check_attempts" integer not null default 0, "next_check_at" timestamptz null, "locked_until" timestamptz null, "attention_reason" text null, "attention_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_refund_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_deleted_at" ON "mpesa_refund" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_transaction_id" ON "mpesa_refund" ("transaction_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_transaction_id_unique" ON "mpesa_refund" ("transaction_id") WHERE kind = 'reversal' and status in ('sending', 'requested', 'unknown', 'completed') and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_medusa_refund_id_unique" ON "mpesa_refund" ("medusa_refund_id") WHERE medusa_refund_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_originator_conversation_id_unique" ON "mpesa_refund" ("originator_conversation_id") WHERE originator_conversation_id is not null and deleted_at is null;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_refund_conversation_id_unique" ON "mpesa_refund" ("conversation_id") WHERE conversation_id is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_refund_next_check_at" ON "mpesa_refund" ("next_check_at") WHERE status in ('sending', 'requested', 'unknown') and deleted_at is null;`);

    this.addSql(`create table if not exists "mpesa_setting" ("id" text not null, "version" integer not null default 0, "environment" text null, "transaction_type" text null, "shortcode" text null, "till_number" text null, "consumer_key" text null, "account_reference" text null, "transaction_desc" text null, "callback_base_url" text null, "initiator_name" text null, "consumer_secret_enc" text null, "consumer_secret_last4" text null, "passkey_enc" text null, "passkey_last4" text null, "initiator_password_enc" text null, "initiator_password_last4" text null, "updated_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_setting_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_setting_deleted_at" ON "mpesa_setting" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "mpesa_transaction" ("id" text not null, "payment_session_id" text null, "initiated_session_id" text not null, "payment_collection_id" text null, "checkout_request_id" text null, "merchant_request_id" text null, "phone" text not null, "amount" integer not null, "medusa_amount" text not null, "currency_code" text not null, "account_reference" text not null, "status" text check ("status" in ('initiating', 'pending', 'indeterminate', 'paid', 'failed', 'canceled', 'expired')) not null default 'initiating', "result_code" text null, "result_desc" text null, "customer_message" text null, "mpesa_receipt_number" text null, "paid_amount" integer null, "paid_phone" text null, "transaction_date" text null, "confirmed_by" text null, "callback_received_at" timestamptz null, "settled_at" timestamptz null, "query_attempts" integer not null default 0, "next_query_at" timestamptz null, "last_queried_at" timestamptz null, "expires_at" timestamptz not null, "session_closed_at" timestamptz null, "unmatched" boolean not null default false, "completed_at" timestamptz null, "completion_attempts" integer not null default 0, "completion_error" text null, "next_completion_at" timestamptz null, "completion_locked_until" timestamptz null, "attention_reason" text null, "attention_at" timestamptz null, "refunded_amount" integer not null default 0, "attach_collection_id" text null, "attach_requested_by" text null, "attached_at" timestamptz null, "attach_requested_at" timestamptz null, "refund_hold_at" timestamptz null, "answered_session_id" text null, "session_answered_at" timestamptz null, "replays_dropped" integer not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "mpesa_transaction_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_deleted_at" ON "mpesa_transaction" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_session_id_unique" ON "mpesa_transaction" ("payment_session_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_checkout_request_id_unique" ON "mpesa_transaction" ("checkout_request_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_merchant_request_id_unique" ON "mpesa_transaction" ("merchant_request_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_mpesa_transaction_mpesa_receipt_number_unique" ON "mpesa_transaction" ("mpesa_receipt_number") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_next_query_at" ON "mpesa_transaction" ("next_query_at") WHERE status = 'pending' and next_query_at is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_expires_at" ON "mpesa_transaction" ("expires_at") WHERE status in ('initiating', 'pending', 'indeterminate') and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_next_completion_at" ON "mpesa_transaction" ("next_completion_at") WHERE status = 'paid' and unmatched = false and completed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id_phone_amount" ON "mpesa_transaction" ("payment_collection_id", "phone", "amount") WHERE status in ('pending', 'indeterminate') and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id_amount" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status <> 'paid' and payment_session_id is not null and session_closed_at is null and completed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_paid_open_collection" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status = 'paid' and unmatched = false and completed_at is null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_attach_collection_id" ON "mpesa_transaction" ("attach_collection_id") WHERE attach_collection_id is not null and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_settled_at" ON "mpesa_transaction" ("settled_at") WHERE (unmatched = true or attention_at is not null) and deleted_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mpesa_access_token" cascade;`);

    this.addSql(`drop table if exists "mpesa_callback" cascade;`);

    this.addSql(`drop table if exists "mpesa_daraja_request" cascade;`);

    this.addSql(`drop table if exists "mpesa_prompt_limit" cascade;`);

    this.addSql(`drop table if exists "mpesa_refund" cascade;`);

    this.addSql(`drop table if exists "mpesa_setting" cascade;`);

    this.addSql(`drop table if exists "mpesa_transaction" cascade;`);
  }

}
