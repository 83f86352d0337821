const { loadEnv } = require("@medusajs/framework/utils")
loadEnv("test", process.cwd())

// One config, three test types, as in Medusa's starters:
//   unit                 -> src/**/__tests__/**/*.unit.spec.ts   (no database)
//   integration:modules  -> src/modules/*/__tests__/**/*.spec.ts (real PostgreSQL, one module)
//   integration:http     -> integration-tests/http/*.spec.ts     (real PostgreSQL, whole Medusa app)
//   e2e                  -> integration-tests/e2e/*.spec.ts      (the `npm run dev` stack + Chromium)
//   topology             -> integration-tests/topology/*.spec.ts (server + worker instances on PostgreSQL and Redis)
const testMatch = {
  unit: ["**/src/**/__tests__/**/*.unit.spec.[jt]s"],
  "integration:modules": ["**/src/modules/*/__tests__/**/*.spec.[jt]s"],
  "integration:http": ["**/integration-tests/http/*.spec.[jt]s"],
  e2e: ["**/integration-tests/e2e/*.spec.[jt]s"],
  topology: ["**/integration-tests/topology/*.spec.[jt]s"],
}[process.env.TEST_TYPE ?? "unit"]

module.exports = {
  transform: {
    "^.+\\.[jt]sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", decorators: true, tsx: true }, target: "es2021" } },
    ],
  },
  testEnvironment: "node",
  moduleFileExtensions: ["js", "ts", "tsx", "json"],
  modulePathIgnorePatterns: ["dist/", "<rootDir>/.medusa/", "<rootDir>/.data/"],
  setupFiles: ["./integration-tests/setup.js"],
  testMatch,
  testPathIgnorePatterns:
    process.env.TEST_TYPE === "integration:modules" ? ["\\.unit\\.spec\\.[jt]s$"] : [],
}
