// The browser builds of the storefront entry points, shared by `npm run build`
// (scripts/build-storefront.js) and the bundle test (src/storefront/__tests__/bundle.unit.spec.ts),
// so the test checks exactly what ships.
//
//   src/storefront/index.ts        -> .medusa/server/storefront/index.{mjs,cjs}   (the client, no deps)
//   src/storefront/react/index.ts  -> .medusa/server/storefront/react.{mjs,cjs}   (imports ./index + react)
//   src/storefront/styles.css      -> .medusa/server/storefront/styles.css
"use strict"
const fs = require("fs")
const path = require("path")
const zlib = require("zlib")
const { builtinModules } = require("module")

const ROOT = path.join(__dirname, "..", "..")
const SRC = path.join(ROOT, "src", "storefront")
const OUT = path.join(ROOT, ".medusa", "server", "storefront")

const ENTRIES = [
  { name: "index", entry: path.join(SRC, "index.ts"), label: "client (./storefront)" },
  { name: "react", entry: path.join(SRC, "react", "index.ts"), label: "React component (./storefront/react, excl. React)" },
]

// Never in a storefront bundle: server code, the Daraja HTTP client, the database driver.
const FORBIDDEN_PACKAGES = ["@medusajs/framework", "@medusajs/medusa", "pg", "axios"]
const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])

/**
 * The React entry keeps the client as an import of ./index.{mjs,cjs} (one copy of the client in an
 * app that uses both entry points); React stays external (a peer).
 */
function clientAsSibling(ext) {
  return {
    name: "client-as-sibling",
    setup(build) {
      build.onResolve({ filter: /^\.\.\/[a-z-]+$/ }, (args) =>
        path.resolve(args.resolveDir) === path.join(SRC, "react") ? { path: `./index.${ext}`, external: true } : undefined
      )
    },
  }
}

/** Fails the build on any import of a Node built-in or a forbidden package, naming the importer. */
const guard = {
  name: "storefront-guard",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const spec = args.path
      const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]
      if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(pkg)) {
        return { errors: [{ text: `Node built-in "${spec}" imported by ${path.relative(ROOT, args.importer)}` }] }
      }
      if (FORBIDDEN_PACKAGES.includes(pkg)) {
        return { errors: [{ text: `server package "${spec}" imported by ${path.relative(ROOT, args.importer)}` }] }
      }
      return undefined
    })
  },
}

/**
 * Builds both entry points in both formats. `write: false` keeps them in memory (the test).
 * Returns, per entry, the ESM text, its inputs and its minified+gzipped size.
 */
async function buildStorefront({ write = true, outdir = OUT, entries = ENTRIES } = {}) {
  const esbuild = require("esbuild")
  const results = []
  for (const e of entries) {
    for (const format of ["esm", "cjs"]) {
      const ext = format === "esm" ? "mjs" : "cjs"
      const r = await esbuild.build({
        entryPoints: [e.entry],
        outfile: path.join(outdir, `${e.name}.${ext}`),
        bundle: true,
        platform: "browser",
        format,
        target: ["es2020"],
        jsx: "automatic",
        minify: true,
        metafile: true,
        write,
        legalComments: "none",
        // React's JSX runtime and hooks come from the app (peer dependency).
        external: ["react", "react/*", "react-dom"],
        // Next.js App Router: the component module is a client module.
        banner: e.name === "react" ? { js: '"use client";' } : undefined,
        plugins: [guard, ...(e.name === "react" ? [clientAsSibling(ext)] : [])],
        logLevel: "silent",
      })
      if (format !== "esm") continue
      const text = write ? fs.readFileSync(path.join(outdir, `${e.name}.${ext}`), "utf8") : r.outputFiles[0].text
      results.push({
        ...e,
        text,
        inputs: Object.keys(r.metafile.inputs),
        imports: Object.values(r.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path)),
        minBytes: Buffer.byteLength(text),
        gzipBytes: zlib.gzipSync(text, { level: 9 }).length,
      })
    }
  }
  if (write && entries === ENTRIES) fs.copyFileSync(path.join(SRC, "styles.css"), path.join(outdir, "styles.css"))
  return results
}

const kB = (n) => `${(n / 1024).toFixed(2)} kB`

function sizeTable(results) {
  return results.map((r) => `${r.label.padEnd(52)} ${kB(r.minBytes).padStart(9)} min  ${kB(r.gzipBytes).padStart(8)} min+gzip`).join("\n")
}

module.exports = { buildStorefront, sizeTable, ENTRIES, FORBIDDEN_PACKAGES, NODE_BUILTINS, OUT }
