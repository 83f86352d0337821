/**
 * Environment for the HTTP integration tests, applied before Medusa loads
 * medusa-config.ts. The Daraja base URL and the callback base URL are only
 * known once the simulator and the test server listen, so the specs hand the
 * real values to the module with `mpesa.setConfig(...)` in beforeAll.
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

export function applyTestEnv(): void {
  for (const [k, v] of Object.entries(MPESA_TEST_ENV)) {
    process.env[k] = v
  }
}
