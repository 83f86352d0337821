import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261124113130 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" add column if not exists "completion_locked_until" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_transaction" drop column if exists "completion_locked_until";`);
  }

}
