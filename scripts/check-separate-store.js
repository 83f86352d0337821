#!/usr/bin/env node
/*
 * The packed plugin, installed into a separate Medusa store, gets its admin extensions into that
 * store's admin build. Run after `npm run build`:
 *   1. `npm pack` this package into a temporary store directory;
 *   2. install it there the way npm would (unpacked into node_modules/), next to this repo's own
 *      dependencies (symlinked: no registry access needed);
 *   3. a medusa-config listing it under `plugins` (as the README says), then `medusa build`;
 *   4. the store's built admin (public/admin/assets/*.js) must contain the settings pages and both
 *      widgets with their ids.
 * Takes about a minute (the store's Vite admin build). Plain Node; exits 1 with the problems.
 */
"use strict"

const { spawnSync } = require("child_process")
const fs = require("fs")
const os = require("os")
const path = require("path")

const root = path.join(__dirname, "..")
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
const keep = process.argv.includes("--keep")
const store = fs.mkdtempSync(path.join(os.tmpdir(), "mpesa-separate-store-"))

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts })
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${(r.stdout || "").slice(-2000)}\n${(r.stderr || "").slice(-2000)}`)
  }
  return `${r.stdout || ""}\n${r.stderr || ""}`
}

const problems = []
const t0 = Date.now()
try {
  const packOut = spawnSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", store], { cwd: root, encoding: "utf8" })
  if (packOut.status !== 0) throw new Error(`npm pack failed: ${packOut.stderr}`)
  const packed = JSON.parse(packOut.stdout)[0]
  const tarball = path.join(store, packed.filename)

  const modules = path.join(store, "node_modules")
  fs.mkdirSync(modules)
  for (const entry of fs.readdirSync(path.join(root, "node_modules"))) {
    if (entry === pkg.name) continue
    fs.symlinkSync(path.join(root, "node_modules", entry), path.join(modules, entry))
  }
  const installed = path.join(modules, pkg.name)
  fs.mkdirSync(installed)
  run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"])

  fs.writeFileSync(
    path.join(store, "package.json"),
    JSON.stringify(
      {
        name: "separate-store",
        private: true,
        dependencies: {
          "@medusajs/medusa": pkg.devDependencies["@medusajs/medusa"],
          "@medusajs/framework": pkg.devDependencies["@medusajs/framework"],
          "@medusajs/admin-sdk": pkg.devDependencies["@medusajs/admin-sdk"],
          "@medusajs/cli": pkg.devDependencies["@medusajs/cli"],
          [pkg.name]: `file:./${packed.filename}`,
        },
      },
      null,
      2
    )
  )
  // The README's install section, as a merchant would write it.
  fs.writeFileSync(
    path.join(store, "medusa-config.ts"),
    `import { defineConfig } from "@medusajs/framework/utils"
import { mpesaOptionsFromEnv } from "${pkg.name}/modules/mpesa"

const mpesaOptions = mpesaOptionsFromEnv()
module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: { storeCors: "http://localhost:8000", adminCors: "http://localhost:9000", authCors: "http://localhost:9000" },
  },
  plugins: [{ resolve: "${pkg.name}", options: mpesaOptions }],
  modules: [
    {
      resolve: "@medusajs/medusa/payment",
      dependencies: ["mpesa"],
      options: { providers: [{ resolve: "${pkg.name}/providers/mpesa", id: "mpesa", options: mpesaOptions }] },
    },
  ],
})
`
  )
  fs.writeFileSync(
    path.join(store, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "Node16", moduleResolution: "Node16", target: "ES2021", esModuleInterop: true, skipLibCheck: true, outDir: ".medusa/server" }, include: ["medusa-config.ts"] })
  )
  const build = run(process.execPath, [path.join(root, "node_modules", "@medusajs", "cli", "cli.js"), "build"], {
    cwd: store,
    env: {
      ...process.env,
      MPESA_CALLBACK_BASE_URL: "https://shop.example.com",
      MPESA_CALLBACK_SECRET: "separate-store-callback-secret-0123",
    },
  })

  // The backend half must compile too (the merchant's medusa-config against our published types).
  if (/completed with errors|error TS\d+/.test(build)) problems.push(`the store's backend build reported errors:\n${build.slice(-1500)}`)
  const assets = path.join(store, ".medusa", "server", "public", "admin", "assets")
  const js = fs.existsSync(assets) ? fs.readdirSync(assets).filter((f) => f.endsWith(".js")) : []
  if (!js.length) problems.push("the store's admin build produced no JavaScript")
  const text = js.map((f) => fs.readFileSync(path.join(assets, f), "utf8")).join("\n")
  for (const needle of ['"/settings/mpesa"', '"/settings/mpesa-transactions"', '"mpesa-order-payment"', '"mpesa-region-status"', "/admin/mpesa/settings"]) {
    if (!text.includes(needle)) problems.push(`the store's admin build lacks ${needle}`)
  }
  console.log(`separate store: ${packed.filename} installed, admin built (${js.length} js assets) in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
} catch (e) {
  problems.push(e.message)
} finally {
  if (keep) console.log(`kept ${store}`)
  else fs.rmSync(store, { recursive: true, force: true })
}

if (problems.length) {
  console.error(`separate-store check FAILED:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
console.log("separate-store check passed: the packed plugin's settings pages and widgets are in the store's admin")
