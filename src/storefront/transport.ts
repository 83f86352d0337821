/**
 * The client's one boundary: a JSON request to the Medusa store API. Two ways in: plain `fetch` with a
 * base URL and the publishable key, or an `@medusajs/js-sdk` instance (it adds the key and auth itself).
 */
export type StoreResponse = { status: number; body: unknown; retryAfter: string | null }

export type StoreRequest = (
  path: string,
  init: { method: "GET" | "POST"; body?: unknown; signal?: AbortSignal }
) => Promise<StoreResponse>

/** The part of `@medusajs/js-sdk`'s `Medusa` instance the client uses. */
export type MedusaSdkLike = {
  client: { fetch: <T>(path: string, init?: { method?: string; body?: unknown; signal?: AbortSignal }) => Promise<T> }
}

export type FetchTransportOptions = {
  /** the Medusa server, e.g. https://shop-api.example.co.ke (no trailing slash needed) */
  baseUrl: string
  /** `pk_…`, sent as x-publishable-api-key */
  publishableKey: string
  /** defaults to the global fetch */
  fetch?: typeof fetch
  /** "include" when the shopper's customer session cookie should go along (Medusa session auth) */
  credentials?: RequestCredentials
}

export function fetchTransport(options: FetchTransportOptions): StoreRequest {
  const base = options.baseUrl.replace(/\/+$/, "")
  return async (path, init) => {
    const doFetch = options.fetch ?? globalThis.fetch
    const res = await doFetch(`${base}${path}`, {
      method: init.method,
      headers: {
        accept: "application/json",
        "x-publishable-api-key": options.publishableKey,
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
      credentials: options.credentials,
    })
    const text = await res.text()
    let body: unknown = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      body = { message: text }
    }
    return { status: res.status, body, retryAfter: res.headers.get("retry-after") }
  }
}

/**
 * Through the JS SDK. Its `client.fetch` throws a FetchError (`status`, `message`) on non-2xx and drops
 * the body and headers, so a 429's wait is read back from its message ("Please wait 7 minutes").
 */
export function sdkTransport(sdk: MedusaSdkLike): StoreRequest {
  return async (path, init) => {
    try {
      const body = await sdk.client.fetch<unknown>(path, { method: init.method, body: init.body, signal: init.signal })
      return { status: 200, body, retryAfter: null }
    } catch (e) {
      const status = typeof (e as { status?: unknown })?.status === "number" ? (e as { status: number }).status : 0
      if (!status) throw e
      return { status, body: { message: (e as Error).message }, retryAfter: null }
    }
  }
}
