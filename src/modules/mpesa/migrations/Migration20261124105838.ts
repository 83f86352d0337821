import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261124105838 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_callback" add column if not exists "locked_until" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "mpesa_callback" drop column if exists "locked_until";`);
  }

}
