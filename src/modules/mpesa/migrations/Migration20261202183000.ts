import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * The money desk's two marks on a payment (issue 14):
 * - refund_hold_at: a refund of this payment was opened before it had an
 *   order, so no order may be made from it any more (no order without money);
 * - attach_requested_at: when an admin asked to attach unmatched money to a
 *   cart, so a request whose workflow died does not block the money forever.
 */
export class Migration20261202183000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table if exists "mpesa_transaction" add column if not exists "refund_hold_at" timestamptz null, add column if not exists "attach_requested_at" timestamptz null;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" drop column if exists "refund_hold_at", drop column if exists "attach_requested_at";`)
  }
}
