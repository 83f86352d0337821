import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Issue 14 (4.5), hand-written: a per-push count of callbacks acknowledged but
 * not stored because their signed URL already holds maxCallbacksPerUrl of them
 * (replays of a leaked URL). The snapshot (.snapshot-medusa-mpesa.json) is
 * not updated here: it is shared and regenerated in one place. Until it is, a
 * generated migration would add this column again; `if not exists` keeps that
 * harmless.
 */
export class Migration20261203120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table if exists "mpesa_transaction" add column if not exists "replays_dropped" integer not null default 0;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" drop column if exists "replays_dropped";`)
  }
}
