import nock from "nock"
import { DarajaApiError, DarajaResponseError, DarajaTransportError } from "../errors"
import { InMemoryTokenCache, type CachedToken, type TokenCache } from "../token-cache"
import {
  ACCESS_TOKEN,
  BASE_URL,
  BASIC_AUTH,
  FIXED_NOW,
  makeClient,
  mockToken,
  recordingLogger,
  rejectionOf,
  scriptedServer,
  setupNock,
} from "./helpers"

setupNock()

const QUERY_OK = {
  ResponseCode: "0",
  ResponseDescription: "The service request has been accepted successsfully",
  MerchantRequestID: "m-1",
  CheckoutRequestID: "ws_CO_1",
  ResultCode: "0",
  ResultDesc: "The service request is processed successfully.",
}
const queryParams = { shortcode: "174379", passkey: "pk-test-passkey", checkoutRequestId: "ws_CO_1" }

describe("access token", () => {
  it("sends Basic base64(key:secret) with grant_type=client_credentials and returns the token", async () => {
    const scope = mockToken()
    await expect(makeClient().getAccessToken()).resolves.toBe(ACCESS_TOKEN)
    expect(scope.isDone()).toBe(true)
  })

  it.each([[3599], ["3599"], [" 3599 "]])("accepts expires_in %j and caches until expiry minus the margin", async (expiresIn) => {
    let nowMs = FIXED_NOW.getTime()
    const client = makeClient({ now: () => new Date(nowMs), tokenRefreshMarginMs: 60_000 })
    mockToken("first", 1, expiresIn)
    await expect(client.getAccessToken()).resolves.toBe("first")

    // 3599 s - 60 s margin = 3539 s: still cached one millisecond before that.
    nowMs += 3_539_000 - 1
    await expect(client.getAccessToken()).resolves.toBe("first")
    expect(nock.pendingMocks()).toEqual([])

    nowMs += 1
    const second = mockToken("second")
    await expect(client.getAccessToken()).resolves.toBe("second")
    expect(second.isDone()).toBe(true)
  })

  it("stores the token in the pluggable cache with its real expiry", async () => {
    const cache = new InMemoryTokenCache()
    const set = jest.spyOn(cache, "set")
    mockToken(ACCESS_TOKEN, 1, 3599)
    await makeClient({ tokenCache: cache }).getAccessToken()
    expect(set).toHaveBeenCalledTimes(1)
    const [key, token] = set.mock.calls[0]!
    expect(key).toMatch(/^daraja:access-token:[0-9a-f]{32}$/)
    expect(key).not.toContain("test-consumer-key")
    expect(token).toEqual({ accessToken: ACCESS_TOKEN, expiresAt: FIXED_NOW.getTime() + 3_599_000 })
  })

  it("uses a token another process put in the shared cache", async () => {
    const cache = new InMemoryTokenCache()
    const first = makeClient({ tokenCache: cache })
    const second = makeClient({ tokenCache: cache })
    mockToken("shared", 1)
    await expect(first.getAccessToken()).resolves.toBe("shared")
    await expect(second.getAccessToken()).resolves.toBe("shared")
    expect(nock.pendingMocks()).toEqual([])
  })

  it("single-flights: 100 concurrent getAccessToken() calls make exactly one token request", async () => {
    const client = makeClient()
    let tokenRequests = 0
    nock(BASE_URL)
      .get("/oauth/v1/generate")
      .query(true)
      .times(100)
      .delay(20)
      .reply(() => {
        tokenRequests++
        return [200, { access_token: ACCESS_TOKEN, expires_in: "3599" }]
      })
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getAccessToken()))
    expect(tokenRequests).toBe(1)
    expect(new Set(tokens)).toEqual(new Set([ACCESS_TOKEN]))
  })

  it("single-flights across 100 concurrent API calls too", async () => {
    const client = makeClient()
    let tokenRequests = 0
    nock(BASE_URL)
      .get("/oauth/v1/generate")
      .query(true)
      .times(100)
      .delay(20)
      .reply(() => {
        tokenRequests++
        return [200, { access_token: ACCESS_TOKEN, expires_in: 3599 }]
      })
    const queries = nock(BASE_URL, { reqheaders: { authorization: `Bearer ${ACCESS_TOKEN}` } })
      .post("/mpesa/stkpushquery/v1/query")
      .times(100)
      .reply(200, QUERY_OK)
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => client.stkQuery(queryParams)))
    expect(tokenRequests).toBe(1)
    expect(queries.isDone()).toBe(true)
    expect(outcomes.every((o) => o.status === "completed")).toBe(true)
  })

  it("wraps the refresh in the cache's cross-process lock and re-reads the cache inside it", async () => {
    const inner = new InMemoryTokenCache()
    const lockCalls: string[] = []
    const cache: TokenCache = {
      get: (k) => inner.get(k),
      set: (k, t) => inner.set(k, t),
      invalidate: (k, t) => inner.invalidate(k, t),
      async withRefreshLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
        lockCalls.push(key)
        // Simulate another process refreshing while we waited for the lock.
        await inner.set(key, { accessToken: "from-other-process", expiresAt: FIXED_NOW.getTime() + 3_600_000 })
        return fn()
      },
    }
    // No nock scope: any token request would fail the test with a network error.
    await expect(makeClient({ tokenCache: cache }).getAccessToken()).resolves.toBe("from-other-process")
    expect(lockCalls).toHaveLength(1)
  })

  it("keeps working when the shared cache fails, and logs no cache error text", async () => {
    const redisError = Object.assign(new Error("connect ECONNREFUSED redis://:hunter2@cache:6379"), { code: "ECONNREFUSED" })
    const broken: TokenCache = {
      get: async () => {
        throw redisError
      },
      set: async () => {
        throw redisError
      },
      invalidate: async () => {
        throw redisError
      },
      withRefreshLock: async () => {
        throw redisError
      },
    }
    const logger = recordingLogger()
    mockToken()
    await expect(makeClient({ tokenCache: broken, logger }).getAccessToken()).resolves.toBe(ACCESS_TOKEN)
    const warnings = logger.entries.filter((e) => e.level === "warn")
    expect(warnings.map((w) => w.msg)).toEqual([
      "daraja token cache read failed; fetching a token directly",
      "daraja token refresh lock failed; refreshing without it",
      "daraja token cache read failed; fetching a token directly",
      "daraja token cache write failed; token used for this call only",
    ])
    expect(warnings[0]!.meta).toEqual({ error: "Error", code: "ECONNREFUSED" })
    expect(JSON.stringify(logger.entries)).not.toContain("hunter2")
  })

  it("propagates the refresh's own error through a working lock", async () => {
    const inner = new InMemoryTokenCache()
    const cache: TokenCache = {
      get: (k) => inner.get(k),
      set: (k, t) => inner.set(k, t),
      invalidate: (k, t) => inner.invalidate(k, t),
      withRefreshLock: async <T>(_k: string, fn: () => Promise<T>) => fn(),
    }
    nock(BASE_URL).get("/oauth/v1/generate").query(true).reply(400, { requestId: "r", errorCode: "400.008.02", errorMessage: "Invalid grant type passed" })
    await expect(makeClient({ tokenCache: cache }).getAccessToken()).rejects.toMatchObject({ kind: "api", errorCode: "400.008.02" })
  })

  it("on 404.001.03 invalidates the token, fetches a new one and retries the call once", async () => {
    const cache = new InMemoryTokenCache()
    const invalidate = jest.spyOn(cache, "invalidate")
    const client = makeClient({ tokenCache: cache })
    mockToken("old-token-1111")
    mockToken("new-token-2222")
    const rejected = nock(BASE_URL, { reqheaders: { authorization: "Bearer old-token-1111" } })
      .post("/mpesa/stkpushquery/v1/query")
      .reply(404, { requestId: "r-1", errorCode: "404.001.03", errorMessage: "Invalid Access Token" })
    const accepted = nock(BASE_URL, { reqheaders: { authorization: "Bearer new-token-2222" } })
      .post("/mpesa/stkpushquery/v1/query")
      .reply(200, QUERY_OK)

    await expect(client.stkQuery(queryParams)).resolves.toMatchObject({ status: "completed", resultCode: "0" })
    expect(rejected.isDone()).toBe(true)
    expect(accepted.isDone()).toBe(true)
    expect(invalidate).toHaveBeenCalledWith(expect.any(String), "old-token-1111")
    await expect(client.getAccessToken()).resolves.toBe("new-token-2222")
  })

  it("retries an invalid-token rejection only once, then throws", async () => {
    const client = makeClient()
    let tokenRequests = 0
    let apiCalls = 0
    nock(BASE_URL)
      .get("/oauth/v1/generate")
      .query(true)
      .times(5)
      .reply(() => {
        tokenRequests++
        return [200, { access_token: `tok-${tokenRequests}-xxxx`, expires_in: 3599 }]
      })
    nock(BASE_URL)
      .post("/mpesa/stkpushquery/v1/query")
      .times(5)
      .reply(() => {
        apiCalls++
        return [404, { requestId: "r", errorCode: "404.001.03", errorMessage: "Invalid Access Token" }]
      })
    const err = await rejectionOf(client.stkQuery(queryParams))
    expect(err).toBeInstanceOf(DarajaApiError)
    expect((err as DarajaApiError).info.meaning).toBe("invalid_token")
    expect(tokenRequests).toBe(2)
    expect(apiCalls).toBe(2)
  })

  it("does not remove a token another process already replaced", async () => {
    const cache = new InMemoryTokenCache()
    const entry: CachedToken = { accessToken: "newer", expiresAt: FIXED_NOW.getTime() + 3_600_000 }
    await cache.set("k", entry)
    await cache.invalidate("k", "older")
    await expect(cache.get("k")).resolves.toEqual(entry)
    await cache.invalidate("k", "newer")
    await expect(cache.get("k")).resolves.toBeNull()
  })

  it("retries transient token failures (idempotent) and then succeeds", async () => {
    const server = await scriptedServer([
      "reset",
      { status: 503, body: "<html>Service Unavailable</html>" },
      { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: "3599" } },
    ])
    try {
      const logger = recordingLogger()
      await expect(makeClient({ baseUrl: server.baseUrl, logger }).getAccessToken()).resolves.toBe(ACCESS_TOKEN)
      expect(server.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
        ["GET", "/oauth/v1/generate?grant_type=client_credentials", `Basic ${BASIC_AUTH}`],
        ["GET", "/oauth/v1/generate?grant_type=client_credentials", `Basic ${BASIC_AUTH}`],
        ["GET", "/oauth/v1/generate?grant_type=client_credentials", `Basic ${BASIC_AUTH}`],
      ])
      expect(logger.entries.filter((e) => e.msg === "daraja call failed; retrying").map((e) => e.meta?.error)).toEqual([
        "/oauth/v1/generate: network error (ECONNRESET)",
        "/oauth/v1/generate: HTTP 503 without a Daraja error body",
      ])
    } finally {
      await server.close()
    }
  })

  it("gives up after the configured attempts", async () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).times(3).reply(502, "<html>Bad Gateway</html>")
    const err = await rejectionOf(makeClient().getAccessToken())
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(err).toMatchObject({ reason: "http_status", httpStatus: 502, endpoint: "/oauth/v1/generate", retryable: true })
    expect(nock.pendingMocks()).toEqual([])
  })

  it("does not retry a 400 without a Daraja body (bad credentials)", async () => {
    const scope = nock(BASE_URL).get("/oauth/v1/generate").query(true).once().reply(400, "")
    const err = await rejectionOf(makeClient().getAccessToken())
    expect(err).toMatchObject({ kind: "transport", reason: "http_status", httpStatus: 400, retryable: false })
    expect(scope.isDone()).toBe(true)
  })

  it("maps Daraja's OAuth error body", async () => {
    nock(BASE_URL)
      .get("/oauth/v1/generate")
      .query(true)
      .reply(400, { requestId: "r-9", errorCode: "400.008.02", errorMessage: "Invalid grant type passed" })
    const err = await rejectionOf(makeClient().getAccessToken())
    expect(err).toBeInstanceOf(DarajaApiError)
    expect(err).toMatchObject({ errorCode: "400.008.02", requestId: "r-9", httpStatus: 400, info: { meaning: "invalid_grant" } })
  })

  it.each([
    [{ expires_in: 3599 }, "access_token"],
    [{ access_token: "t", expires_in: "soon" }, "expires_in"],
    [{ access_token: "t", expires_in: 0 }, "expires_in"],
    ["<html>ok</html>", ""],
  ])("rejects a malformed token response %# as DarajaResponseError", async (body, path) => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).reply(200, body as nock.Body)
    const err = await rejectionOf(makeClient().getAccessToken())
    expect(err).toBeInstanceOf(DarajaResponseError)
    expect((err as DarajaResponseError).path).toBe(path)
  })

  it("times out a hanging token request", async () => {
    nock(BASE_URL).get("/oauth/v1/generate").query(true).times(3).delay(300).reply(200, { access_token: "t", expires_in: 1 })
    const err = await rejectionOf(makeClient({ timeoutMs: 50 }).getAccessToken())
    expect(err).toBeInstanceOf(DarajaTransportError)
    expect(err).toMatchObject({ reason: "timeout", endpoint: "/oauth/v1/generate" })
    expect((err as Error).message).toBe("/oauth/v1/generate: no response within 50 ms")
  })

  it("checks the Basic header it sends", () => {
    expect(BASIC_AUTH).toBe(Buffer.from("test-consumer-key:S3cr3t-consumer-secret-value").toString("base64"))
  })
})
