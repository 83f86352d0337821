import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261129141448 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index if exists "IDX_mpesa_transaction_payment_collection_id";`);

    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id_phone_amount" ON "mpesa_transaction" ("payment_collection_id", "phone", "amount") WHERE status in ('pending', 'indeterminate') and deleted_at is null;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id_amount" ON "mpesa_transaction" ("payment_collection_id", "amount") WHERE status <> 'paid' and payment_session_id is not null and session_closed_at is null and completed_at is null and deleted_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "IDX_mpesa_transaction_payment_collection_id_phone_amount";`);
    this.addSql(`drop index if exists "IDX_mpesa_transaction_payment_collection_id_amount";`);

    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_mpesa_transaction_payment_collection_id" ON "mpesa_transaction" ("payment_collection_id") WHERE payment_collection_id is not null and completed_at is null and deleted_at is null;`);
  }

}
