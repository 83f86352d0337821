#!/usr/bin/env node
/*
 * Starts the local Daraja simulator. In a repo checkout it compiles the TypeScript source on the fly
 * with ts-node + swc (both devDependencies), so a stale .medusa build never shadows source edits
 * (new flags such as --strict included). In an installed package, which ships no src/, it runs the
 * compiled CLI from .medusa/server.
 */
"use strict"

const fs = require("fs")
const path = require("path")

const root = path.join(__dirname, "..")
const built = path.join(root, ".medusa", "server", "src", "simulator", "cli.js")
const source = path.join(root, "src", "simulator", "cli.ts")

function resolvable(name) {
  try {
    require.resolve(name, { paths: [root] })
    return true
  } catch {
    return false
  }
}

let cli
if (fs.existsSync(source) && resolvable("ts-node") && resolvable("@swc/core")) {
  require(require.resolve("ts-node", { paths: [root] })).register({ transpileOnly: true, swc: true, project: path.join(root, "tsconfig.json") })
  cli = require(source)
} else if (fs.existsSync(built)) {
  cli = require(built)
} else {
  console.error("daraja-simulator: neither the compiled CLI (.medusa/server) nor ts-node for the TypeScript source was found; run `npm run build` or `npm install`")
  process.exit(1)
}

cli.main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error)
  process.exit(1)
})
