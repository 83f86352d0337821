import net from "net"

/**
 * Environment for the HTTP integration tests. Medusa reads medusa-config.ts
 * (which reads MPESA_*) in the test runner's own beforeAll; a spec's
 * top-level beforeAll runs first, starts the simulator, picks the port the
 * app will listen on (the runner honours process.env.PORT) and calls
 * `applyTestEnv` with the real URLs. No setter in production code.
 */
export const TEST_CALLBACK_SECRET = "test-callback-secret-0123456789abcdef"

export const MPESA_TEST_ENV: Record<string, string> = {
  MPESA_ENVIRONMENT: "sandbox",
  MPESA_BASE_URL: "http://127.0.0.1:9",
  MPESA_CONSUMER_KEY: "simulator-consumer-key",
  MPESA_CONSUMER_SECRET: "simulator-consumer-secret",
  MPESA_SHORTCODE: "174379",
  MPESA_PASSKEY: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
  MPESA_TRANSACTION_TYPE: "paybill",
  MPESA_CALLBACK_BASE_URL: "http://localhost:9000",
  MPESA_CALLBACK_SECRET: TEST_CALLBACK_SECRET,
  MPESA_POLL_INTERVAL_MS: "2000",
  MEDUSA_ADMIN_DISABLED: "true",
}

export function applyTestEnv(overrides: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries({ ...MPESA_TEST_ENV, ...overrides })) {
    process.env[k] = v
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * The environment of an app that talks to a simulator on `simUrl` and listens on `port`: fast status
 * queries, prompt limits out of the way, and (with `initiatorPassword`) an initiator whose password is
 * encrypted with the simulator's own key, so refunds really reach its Reversal API. `overrides` win.
 */
export function simulatorAppEnv(
  sim: { url: string; publicKeyPem: string },
  port: number,
  options: { initiatorPassword?: string; overrides?: Record<string, string> } = {}
): Record<string, string> {
  return {
    PORT: String(port),
    MPESA_BASE_URL: sim.url,
    MPESA_CALLBACK_BASE_URL: `http://localhost:${port}`,
    MPESA_FIRST_QUERY_DELAY_MS: "1500",
    MPESA_QUERY_BACKOFF_MS: "1000",
    MPESA_LIMIT_PHONE_MAX: "1000",
    MPESA_LIMIT_COLLECTION_MAX: "1000",
    MPESA_LIMIT_CLIENT_MAX: "1000",
    ...(options.initiatorPassword
      ? { MPESA_INITIATOR_NAME: "testapi", MPESA_INITIATOR_PASSWORD: options.initiatorPassword, MPESA_CERTIFICATE_PEM: sim.publicKeyPem }
      : {}),
    ...options.overrides,
  }
}
