#!/usr/bin/env node
/*
 * Starts the local Daraja simulator. In an installed package it runs the compiled CLI from
 * .medusa/server; in a repo checkout (nothing built yet) it compiles the TypeScript on the fly
 * with ts-node + swc, both devDependencies.
 */
"use strict"

const fs = require("fs")
const path = require("path")

const root = path.join(__dirname, "..")
const built = path.join(root, ".medusa", "server", "src", "simulator", "cli.js")

let cli
if (fs.existsSync(built)) {
  cli = require(built)
} else {
  require("ts-node").register({ transpileOnly: true, swc: true, project: path.join(root, "tsconfig.json") })
  cli = require(path.join(root, "src", "simulator", "cli.ts"))
}

cli.main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error)
  process.exit(1)
})
