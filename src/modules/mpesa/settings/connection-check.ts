import { DarajaApiError, DarajaTransportError, type DarajaClient } from "../../../lib/daraja"
import type { ConnectionCheck } from "../types"


/**
 * "Test connection": asks Daraja for an OAuth token with the effective
 * credentials (through the shared token store, so it never knocks out the
 * token the other processes use) — never an STK Push.
 */
export async function checkConnection(
  daraja: DarajaClient,
  where: { baseUrl: string; environment: "sandbox" | "production" }
): Promise<ConnectionCheck> {
  const base = { base_url: where.baseUrl, environment: where.environment }
  try {
    await daraja.getAccessToken()
    return {
      ...base,
      ok: true,
      code: null,
      message: `Connected: Daraja (${where.environment}, ${where.baseUrl}) issued an access token for these credentials. The shortcode and passkey are checked by the first STK Push.`,
    }
  } catch (e) {
    return { ...base, ok: false, ...explain(e, where) }
  }
}

function explain(e: unknown, where: { baseUrl: string; environment: string }): { message: string; code: string | null } {
  if (e instanceof DarajaApiError) {
    if (e.errorCode.startsWith("400.008")) {
      return {
        code: e.errorCode,
        message: `Daraja refused the consumer key or secret (${e.errorCode}). Check both were copied from the same Daraja app, and that the app belongs to the ${where.environment} environment.`,
      }
    }
    if (e.errorCode.startsWith("404.001")) {
      return {
        code: e.errorCode,
        message: `Daraja answered "${e.errorMessage}" (${e.errorCode}): wrong host or environment. Check the environment setting (and MPESA_BASE_URL, which should be unset in production), and that the app has the M-Pesa Express API product.`,
      }
    }
    return { code: e.errorCode, message: `Daraja refused the token request: ${e.errorCode} ${e.errorMessage}.` }
  }
  if (e instanceof DarajaTransportError) {
    if (e.reason === "http_status" && (e.httpStatus === 400 || e.httpStatus === 401 || e.httpStatus === 403)) {
      return {
        code: `HTTP ${e.httpStatus}`,
        message: `Daraja refused the consumer key or secret (HTTP ${e.httpStatus}). Check both were copied from the same Daraja app, for the ${where.environment} environment.`,
      }
    }
    if (e.reason === "http_status" && e.httpStatus === 404) {
      return { code: "HTTP 404", message: `Wrong host: ${where.baseUrl} has no Daraja OAuth endpoint. Check the environment and MPESA_BASE_URL.` }
    }
    return {
      code: e.code ?? e.reason,
      message: `Could not reach Daraja at ${where.baseUrl} (${e.reason}${e.code ? ` ${e.code}` : ""}). Check the server's outbound HTTPS access and the environment.`,
    }
  }
  return { code: null, message: `The token request failed: ${(e as Error)?.message ?? "unknown error"}` }
}
