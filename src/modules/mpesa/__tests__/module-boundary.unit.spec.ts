import fs from "fs"
import path from "path"

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findViolations } = require("../../../../scripts/check-module-boundary.js") as { findViolations: () => string[] }

/** One public face (issue 15): nothing outside the module imports a file inside it. */
describe("the mpesa module's boundary", () => {
  it("nothing outside src/modules/mpesa imports its internals", () => {
    expect(findViolations()).toEqual([])
  })

  it("an import of an internal path is caught (the check can fail)", () => {
    const probe = path.join(__dirname, "../../../api/__boundary_probe__.ts")
    fs.writeFileSync(probe, 'import { LedgerStore } from "../modules/mpesa/stores/ledger-store"\nexport const x = LedgerStore\n')
    try {
      expect(findViolations()).toEqual([`src/api/__boundary_probe__.ts:1 imports ../modules/mpesa/stores/ledger-store`])
    } finally {
      fs.unlinkSync(probe)
    }
  })
})
