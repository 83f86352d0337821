import fs from "fs"
import path from "path"

/**
 * One writer per table (issue 14): each of the module's money tables is
 * reached by one store family only, so no other code can write it, and a
 * decision that needs both goes through the money desk (refunds/money-desk.ts),
 * which locks the ledger row first and its refunds second.
 *
 * Since issue 15 the table names live once, in stores/tables.ts, beside the
 * typed builders (ledgerTable, refundTable, requestTable) that carry the row
 * types from the models; the ledger is split into reads, settlement, leases
 * and desk bookkeeping, so "one writer" is the ledger-* family of files.
 */
const SRC = path.join(__dirname, "../../..")
const TABLES_FILE = "modules/mpesa/stores/tables.ts"
const OWNERS: Record<string, { builder: string; owners: string[] }> = {
  mpesa_transaction: {
    builder: "ledgerTable",
    owners: [
      "modules/mpesa/stores/ledger-desk-store.ts",
      "modules/mpesa/stores/ledger-leases.ts",
      // Query's reads (module links, query.graph): reads only.
      "modules/mpesa/stores/ledger-query-store.ts",
      "modules/mpesa/stores/ledger-settlement.ts",
      "modules/mpesa/stores/ledger-store.ts",
    ],
  },
  mpesa_refund: { builder: "refundTable", owners: ["modules/mpesa/stores/refund-store.ts"] },
  mpesa_daraja_request: { builder: "requestTable", owners: ["modules/mpesa/stores/request-store.ts"] },
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return ["__tests__", "migrations", "models", "admin", "storefront", "simulator"].includes(e.name) ? [] : files(p)
    return /\.tsx?$/.test(e.name) ? [p] : []
  })
}

const naming = (re: RegExp) =>
  files(SRC)
    .filter((f) => re.test(fs.readFileSync(f, "utf8")))
    .map((f) => path.relative(SRC, f))
    .sort()

describe("one writer per table", () => {
  it.each(Object.keys(OWNERS))("%s is named only in stores/tables.ts", (table) => {
    expect(naming(new RegExp(`["'\`]${table}["'\`]`))).toEqual([TABLES_FILE])
  })

  it.each(Object.entries(OWNERS))("%s is reached only by its own store", (_table, { builder, owners }) => {
    expect(naming(new RegExp(`\\b${builder}\\(`))).toEqual(owners)
  })

  it("the ledger stores never read or write refunds, and the refund store never the ledger", () => {
    for (const f of OWNERS.mpesa_transaction.owners) {
      expect(fs.readFileSync(path.join(SRC, f), "utf8")).not.toMatch(/mpesa_refund|refundTable|REFUND_TABLE/)
    }
    expect(fs.readFileSync(path.join(SRC, OWNERS.mpesa_refund.owners[0]), "utf8")).not.toMatch(/mpesa_transaction|ledgerTable|LEDGER_TABLE/)
  })
})
