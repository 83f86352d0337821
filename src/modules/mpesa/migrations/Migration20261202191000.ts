import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Issue 14 (1.4), hand-written: when our provider answered Medusa's session
 * create for which session (completion waits until Medusa has written that
 * answer), and an index for the "this collection's money is already paid"
 * lookup every new payment session makes.
 */
export class Migration20261202191000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table if exists "mpesa_transaction" add column if not exists "answered_session_id" text null, add column if not exists "session_answered_at" timestamptz null;`
    )
    this.addSql(
      `CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_paid_open_collection" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status = 'paid' and unmatched = false and completed_at is null and deleted_at is null;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "IDX_mpesa_transaction_paid_open_collection";`)
    this.addSql(
      `alter table if exists "mpesa_transaction" drop column if exists "answered_session_id", drop column if exists "session_answered_at";`
    )
  }
}
