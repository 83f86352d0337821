import { spawnSync } from "child_process"
import path from "path"
import { Client } from "pg"
import { MPESA_TEST_ENV } from "../../../../integration-tests/helpers/env"

/**
 * The module ships one initial migration (squashed before the first
 * publication): a fresh database migrates with Medusa's own `db:migrate`,
 * and running it again changes nothing. Real PostgreSQL, the real CLI, this
 * repository's medusa-config.
 */
jest.setTimeout(240_000)

const ROOT = path.join(__dirname, "..", "..", "..", "..")
const DB = `mpesa_migrate_${process.pid}`
const server = {
  host: process.env.DB_HOST ?? "127.0.0.1",
  port: Number(process.env.DB_PORT ?? 5432),
  user: process.env.DB_USERNAME ?? "postgres",
  password: process.env.DB_PASSWORD ?? "",
}
const url = (db: string) =>
  `postgres://${encodeURIComponent(server.user)}${server.password ? `:${encodeURIComponent(server.password)}` : ""}@${server.host}:${server.port}/${db}`

async function sql<T>(db: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url(db) })
  await client.connect()
  try {
    return (await client.query(text, values)).rows as T[]
  } finally {
    await client.end()
  }
}

function migrate(): string {
  const cli = path.join(path.dirname(require.resolve("@medusajs/cli/package.json", { paths: [ROOT] })), "cli.js")
  const run = spawnSync(process.execPath, [cli, "db:migrate"], {
    cwd: ROOT,
    env: { ...process.env, ...MPESA_TEST_ENV, DATABASE_URL: url(DB), NODE_ENV: "development", LOG_LEVEL: "info" },
    encoding: "utf8",
    timeout: 180_000,
  })
  const output = `${run.stdout}\n${run.stderr}`
  if (run.status !== 0) throw new Error(`db:migrate exited ${run.status}:\n${output.slice(-3000)}`)
  return output
}

/** Medusa records every module's migrations in one table, by class name: ours is the one file in migrations/. */
const mpesaMigrations = () =>
  sql<{ name: string }>(DB, "select name from mikro_orm_migrations where name = any($1) order by name", [
    ["Migration20261204000000", ...SQUASHED],
  ])
/** The eleven migrations squashed into the initial one (never run in production: the package was 0.1.0, unpublished). */
const SQUASHED = [
  "Migration20261124110205", "Migration20261124113130", "Migration20261129120000", "Migration20261129135732",
  "Migration20261129141448", "Migration20261129160352", "Migration20261129184421", "Migration20261202183000",
  "Migration20261202191000", "Migration20261203100000", "Migration20261203120000",
]

beforeAll(async () => {
  await sql("postgres", `drop database if exists ${DB}`)
  await sql("postgres", `create database ${DB}`)
})

afterAll(async () => {
  await sql("postgres", `drop database if exists ${DB} with (force)`)
})

describe("the module's migrations", () => {
  it("migrate a fresh database in one initial migration, and a second db:migrate is a no-op", async () => {
    const first = migrate()
    expect(first).toMatch(/Migrating Migration20261204000000/)
    expect(await mpesaMigrations()).toEqual([{ name: "Migration20261204000000" }])
    const tables = await sql<{ table_name: string }>(
      DB,
      "select table_name from information_schema.tables where table_name like 'mpesa\\_%' order by table_name"
    )
    expect(tables.map((t) => t.table_name)).toEqual([
      "mpesa_access_token",
      "mpesa_callback",
      "mpesa_daraja_request",
      "mpesa_prompt_limit",
      "mpesa_refund",
      "mpesa_setting",
      "mpesa_transaction",
    ])
    // The guards the ledger's exactly-once rests on are there: one owner per session, one row per receipt.
    const indexes = (await sql<{ indexdef: string }>(DB, "select indexdef from pg_indexes where tablename = 'mpesa_transaction'")).map((i) => i.indexdef)
    expect(indexes.some((d) => /UNIQUE INDEX .* \(payment_session_id\) WHERE \(deleted_at IS NULL\)/.test(d))).toBe(true)
    expect(indexes.some((d) => /UNIQUE INDEX .* \(mpesa_receipt_number\) WHERE \(deleted_at IS NULL\)/.test(d))).toBe(true)

    const before = await sql<{ n: string }>(DB, "select count(*) as n from mikro_orm_migrations")
    const second = migrate()
    expect(second).not.toMatch(/Migrating Migration/)
    expect(await sql<{ n: string }>(DB, "select count(*) as n from mikro_orm_migrations")).toEqual(before)
    expect(await mpesaMigrations()).toEqual([{ name: "Migration20261204000000" }])
  })
})
