import fs from "fs"
import path from "path"

/**
 * One writer per table (issue 14): each of the module's money tables is
 * named by exactly one store, so no other code can write it, and a decision
 * that needs both goes through the money desk (refunds/money-desk.ts), which
 * locks the ledger row first and its refunds second.
 */
const SRC = path.join(__dirname, "../../..")
const OWNERS: Record<string, string> = {
  mpesa_transaction: "modules/mpesa/stores/ledger-store.ts",
  mpesa_refund: "modules/mpesa/stores/refund-store.ts",
  mpesa_daraja_request: "modules/mpesa/stores/request-store.ts",
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return ["__tests__", "migrations", "models", "admin", "storefront", "simulator"].includes(e.name) ? [] : files(p)
    return /\.tsx?$/.test(e.name) ? [p] : []
  })
}

describe("one writer per table", () => {
  it.each(Object.entries(OWNERS))("%s is named only by %s", (table, owner) => {
    const naming = files(SRC)
      .filter((f) => new RegExp(`["'\`]${table}["'\`]`).test(fs.readFileSync(f, "utf8")))
      .map((f) => path.relative(SRC, f))
    expect(naming).toEqual([owner])
  })

  it("the ledger store never reads or writes refunds, and the refund store never the ledger", () => {
    expect(fs.readFileSync(path.join(SRC, OWNERS.mpesa_transaction), "utf8")).not.toMatch(/mpesa_refund/)
    expect(fs.readFileSync(path.join(SRC, OWNERS.mpesa_refund), "utf8")).not.toMatch(/mpesa_transaction/)
  })
})
