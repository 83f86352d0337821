/**
 * Importing the storefront entry points must pull in no server code: each is bundled for the browser
 * exactly as `npm run build` ships it (scripts/lib/storefront-bundle.js) and its inputs are checked.
 * Prints each bundle's minified+gzipped size (goals: client <= 6 kB, React component <= 12 kB).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { buildStorefront, sizeTable } = require("../../../scripts/lib/storefront-bundle") as {
  buildStorefront: (o: { write: boolean; entries?: unknown }) => Promise<
    Array<{ name: string; label: string; text: string; inputs: string[]; imports: string[]; gzipBytes: number }>
  >
  sizeTable: (r: unknown[]) => string
}

jest.setTimeout(60_000)

describe("storefront bundles", () => {
  let results: Awaited<ReturnType<typeof buildStorefront>>
  beforeAll(async () => {
    results = await buildStorefront({ write: false })
    process.stdout.write(`\nstorefront bundles (minified, gzip -9):\n${sizeTable(results)}\n`)
  })

  it("contain only storefront code and the pure phone rules", () => {
    for (const r of results) {
      for (const input of r.inputs) {
        expect(input).toMatch(/^src\/(storefront\/|lib\/daraja\/phone-rules\.ts$)/)
      }
    }
  })

  it("import nothing but React (the React entry) and the client sibling", () => {
    expect(results.find((r) => r.name === "index")!.imports).toEqual([])
    for (const i of results.find((r) => r.name === "react")!.imports) {
      expect(["react", "react/jsx-runtime", "./index.mjs"]).toContain(i)
    }
  })

  it("mention no server package or Node built-in", () => {
    for (const r of results) {
      expect(r.text).not.toMatch(/@medusajs\/framework|["'](pg|axios|fs|crypto|http|https|net|path|node:[a-z]+)["']/)
    }
  })

  it("stay within the size goals", () => {
    expect(results.find((r) => r.name === "index")!.gzipBytes).toBeLessThanOrEqual(6 * 1024)
    expect(results.find((r) => r.name === "react")!.gzipBytes).toBeLessThanOrEqual(12 * 1024)
  })

  it("the guard fails a bundle that reaches server code, naming the package and the importer", async () => {
    // src/lib/daraja/index.ts is the server's Daraja client: axios and Node's crypto.
    const err = await buildStorefront({
      write: false,
      entries: [{ name: "server", entry: require.resolve("../../lib/daraja/index.ts"), label: "server" }],
    } as never).catch((e: { errors?: Array<{ text: string }> }) => e)
    const texts = ((err as { errors?: Array<{ text: string }> }).errors ?? []).map((e) => e.text).join("\n")
    expect(texts).toMatch(/server package "axios" imported by src\/lib\/daraja\//)
    expect(texts).toMatch(/Node built-in "(node:)?crypto" imported by src\/lib\/daraja\//)
  })
})
