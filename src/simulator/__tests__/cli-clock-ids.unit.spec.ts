import { banner, CLI_DEFAULT_PORT, parseCliArgs } from "../cli"
import { isFreshTimestamp, nairobiTimestamp, parseNairobiTimestamp, Scheduler } from "../clock"
import { IdFactory } from "../ids"
import { startDarajaSimulator } from "../index"
import { stkPassword } from "../merchant-auth"
import { SecurityCredentialKeys } from "../security-credential"

describe("CLI arguments", () => {
  it("defaults to port 4010", () => {
    expect(parseCliArgs([], {})).toEqual({ kind: "run", options: { port: CLI_DEFAULT_PORT }, quiet: false })
  })

  it("reads flags in both --flag value and --flag=value forms", () => {
    const parsed = parseCliArgs(
      ["--port", "5000", "--host=0.0.0.0", "--time-scale", "0.5", "--callback-delay-ms=100", "--default-outcome", "success", "--quiet"],
      {},
    )
    expect(parsed).toEqual({
      kind: "run",
      quiet: true,
      options: { port: 5000, host: "0.0.0.0", timeScale: 0.5, callbackDelayMs: 100, defaultOutcome: "success" },
    })
  })

  it("reads environment variables, with flags taking precedence", () => {
    const env = {
      DARAJA_SIMULATOR_PORT: "4020",
      DARAJA_SIMULATOR_TIME_SCALE: "0.1",
      DARAJA_SIMULATOR_CONSUMER_KEY: "key",
      DARAJA_SIMULATOR_CONSUMER_SECRET: "secret",
    }
    expect(parseCliArgs(["--port", "4030"], env)).toEqual({
      kind: "run",
      quiet: false,
      options: { port: 4030, timeScale: 0.1, consumerKey: "key", consumerSecret: "secret" },
    })
  })

  it("rejects bad input with a message", () => {
    expect(parseCliArgs(["--port", "abc"], {})).toEqual({ kind: "error", message: expect.stringContaining("--port") })
    expect(parseCliArgs(["--default-outcome", "fail"], {})).toEqual({ kind: "error", message: expect.stringContaining("manual") })
    expect(parseCliArgs(["--nope"], {})).toEqual({ kind: "error", message: "Unknown option --nope" })
    expect(parseCliArgs(["--port"], {})).toEqual({ kind: "error", message: "Option --port needs a value" })
    expect(parseCliArgs(["--help"], {})).toEqual({ kind: "help" })
  })

  it("reads --strict as every rule, --strict=<list> as some, and --no-duplicate-rules", () => {
    expect(parseCliArgs(["--strict", "--quiet"], {})).toEqual({ kind: "run", quiet: true, options: { port: CLI_DEFAULT_PORT, strict: true } })
    expect(parseCliArgs(["--strict=timestampWindow,singleActiveToken"], {})).toEqual({
      kind: "run",
      quiet: false,
      options: { port: CLI_DEFAULT_PORT, strict: { timestampWindow: true, singleActiveToken: true } },
    })
    expect(parseCliArgs(["--strict=false"], {})).toMatchObject({ options: { strict: false } })
    expect(parseCliArgs(["--no-duplicate-rules"], {})).toEqual({
      kind: "run",
      quiet: false,
      options: { port: CLI_DEFAULT_PORT, duplicateRules: false },
    })
  })

  it("reads DARAJA_SIMULATOR_STRICT and DARAJA_SIMULATOR_DUPLICATE_RULES, with flags taking precedence", () => {
    expect(parseCliArgs([], { DARAJA_SIMULATOR_STRICT: "true" })).toMatchObject({ options: { strict: true } })
    expect(parseCliArgs([], { DARAJA_SIMULATOR_STRICT: "transactionDescLength" })).toMatchObject({
      options: { strict: { transactionDescLength: true } },
    })
    expect(parseCliArgs(["--strict"], { DARAJA_SIMULATOR_STRICT: "0" })).toMatchObject({ options: { strict: true } })
    expect(parseCliArgs([], { DARAJA_SIMULATOR_DUPLICATE_RULES: "false" })).toMatchObject({ options: { duplicateRules: false } })
    expect(parseCliArgs([], { DARAJA_SIMULATOR_DUPLICATE_RULES: "true" })).toMatchObject({ options: { duplicateRules: true } })
  })

  it("rejects unknown strict rules and unreadable switches", () => {
    expect(parseCliArgs(["--strict=timestamp"], {})).toEqual({ kind: "error", message: expect.stringContaining('unknown strict rule "timestamp"') })
    expect(parseCliArgs([], { DARAJA_SIMULATOR_STRICT: "nope" })).toEqual({ kind: "error", message: expect.stringContaining("DARAJA_SIMULATOR_STRICT") })
    expect(parseCliArgs([], { DARAJA_SIMULATOR_DUPLICATE_RULES: "maybe" })).toEqual({
      kind: "error",
      message: expect.stringContaining("DARAJA_SIMULATOR_DUPLICATE_RULES"),
    })
    expect(parseCliArgs(["--duplicate-rules"], {})).toEqual({ kind: "error", message: "Unknown option --duplicate-rules" })
  })

  it("prints the profile and the duplicate rules in the banner", async () => {
    const lenient = await startDarajaSimulator()
    const strict = await startDarajaSimulator({ strict: true, duplicateRules: false })
    const some = await startDarajaSimulator({ strict: { singleActiveToken: true } })
    try {
      expect(banner(lenient)).toContain("Profile: lenient (strict rules off: timestampWindow, transactionDescLength, singleActiveToken")
      expect(banner(lenient)).toContain("Duplicate rules: on (open prompt -> 500.001.1001 subscriber locked; same phone+amount within 2 min -> ResultCode 17)")
      expect(banner(strict)).toContain("Profile: strict (timestampWindow, transactionDescLength, singleActiveToken)")
      expect(banner(strict)).toContain("Duplicate rules: off")
      expect(banner(some)).toContain("Profile: strict rules on: singleActiveToken")
    } finally {
      await Promise.all([lenient.close(), strict.close(), some.close()])
    }
  })

  it("prints the URL, credentials, merchants and outcome table", async () => {
    const sim = await startDarajaSimulator()
    try {
      const text = banner(sim)
      expect(text).toContain(`listening on ${sim.url}`)
      expect(text).toContain("simulator-consumer-key")
      expect(text).toContain("174380 Sandbox Till Store, tills 5123456")
      expect(text).toMatch(/254700000001\s+1032/)
      expect(text).toContain("waits for the virtual phone")
    } finally {
      await sim.close()
    }
  })
})

describe("clock", () => {
  it("formats Nairobi time (UTC+3)", () => {
    expect(nairobiTimestamp(new Date("2024-12-31T22:30:05Z"))).toBe("20250101013005")
  })

  it("parses only real calendar instants", () => {
    expect(parseNairobiTimestamp("20250101013005")?.toISOString()).toBe("2024-12-31T22:30:05.000Z")
    expect(parseNairobiTimestamp("20240229000000")).not.toBeNull()
    expect(parseNairobiTimestamp("20230229000000")).toBeNull()
    expect(parseNairobiTimestamp("20240101246000")).toBeNull()
    expect(parseNairobiTimestamp("2024010100000")).toBeNull()
  })

  it("accepts timestamps within a few minutes of now", () => {
    const now = new Date("2025-06-01T09:00:00Z")
    expect(isFreshTimestamp(nairobiTimestamp(now), now)).toBe(true)
    expect(isFreshTimestamp(nairobiTimestamp(new Date(now.getTime() - 4 * 60_000)), now)).toBe(true)
    expect(isFreshTimestamp(nairobiTimestamp(new Date(now.getTime() + 6 * 60_000)), now)).toBe(false)
    expect(isFreshTimestamp("20250601090000", now)).toBe(false) // UTC wall time, 3 h off
  })

  it("scales delays and cancels them all", async () => {
    const scheduler = new Scheduler(0.01)
    expect(scheduler.scale(60_000)).toBe(600)
    let fired = 0
    scheduler.after(1000, () => fired++)
    const cancel = scheduler.after(1000, () => fired++)
    cancel()
    await new Promise((r) => setTimeout(r, 30))
    expect(fired).toBe(1)
    scheduler.after(1000, () => fired++)
    scheduler.cancelAll()
    await new Promise((r) => setTimeout(r, 30))
    expect(fired).toBe(1)
  })
})

describe("ids and credentials", () => {
  const ids = new IdFactory()

  it("makes receipts like M-Pesa's: 10 characters, date-coded, unique", () => {
    const at = new Date("2019-12-19T07:21:15Z") // Safaricom's sample receipt NLJ7RT61SV is from 19 Dec 2019
    const receipts = new Set(Array.from({ length: 500 }, () => ids.receiptNumber(at)))
    expect(receipts.size).toBe(500)
    for (const r of receipts) expect(r).toMatch(/^NLJ[A-Z0-9]{7}$/)
  })

  it("makes unique CheckoutRequestIDs", () => {
    const all = new Set(Array.from({ length: 500 }, () => ids.checkoutRequestId()))
    expect(all.size).toBe(500)
    for (const id of all) expect(id).toMatch(/^ws_CO_\d{20,}$/)
  })

  it("builds the STK password as base64(shortcode + passkey + timestamp)", () => {
    expect(stkPassword("174379", "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919", "20210628092408")).toBe(
      "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjEwNjI4MDkyNDA4",
    )
  })

  it("recovers the initiator password from a PKCS#1 v1.5 credential despite Node refusing that padding", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto")
    const keys = new SecurityCredentialKeys()
    const credential = crypto
      .publicEncrypt({ key: keys.publicKeyPem, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.from("Safaricom999!*!"))
      .toString("base64")
    expect(SecurityCredentialKeys.hasValidShape(credential)).toBe(true)
    expect(keys.check(credential)).toEqual({ kind: "valid", initiatorPassword: "Safaricom999!*!" })
    const oaep = crypto.publicEncrypt({ key: keys.publicKeyPem }, Buffer.from("Safaricom999!*!")).toString("base64")
    expect(keys.check(oaep)).toEqual({ kind: "wrong_key" })
  })
})
