/**
 * Contract tests: the real Daraja client (src/lib/daraja) against the simulator, over real HTTP.
 * If either side drifts from Daraja's wire format, these fail.
 */
import { generateKeyPairSync } from "node:crypto"
import {
  classifyDarajaError,
  DarajaApiError,
  DarajaClient,
  DarajaTransportError,
  describeResultCode,
  encryptSecurityCredential,
  parseResultCallback,
  parseStkCallback,
  type DarajaClientOptions,
  type DarajaResult,
} from "../../lib/daraja"
import { OUTCOME_TABLE, REJECTIONS, SANDBOX_PASSKEY, startDarajaSimulator, type DarajaSimulator, type RejectionKind } from "../index"
import type { ResultCallbackBody } from "../result-callback"
import { PAYBILL, startReceiver, STORE, TILL, type Receiver } from "./helpers"

const MANUAL_PHONE = "0711000000"

describe("contract: DarajaClient against the simulator", () => {
  let sim: DarajaSimulator
  let receiver: Receiver

  beforeAll(async () => {
    sim = await startDarajaSimulator({ timeScale: 0.01 })
    receiver = await startReceiver()
  })
  afterAll(async () => {
    await sim.close()
    await receiver.close()
  })
  beforeEach(() => {
    sim.reset()
    receiver.reset()
  })

  function client(overrides: Partial<DarajaClientOptions> = {}): DarajaClient {
    return new DarajaClient({
      baseUrl: sim.url,
      consumerKey: "simulator-consumer-key",
      consumerSecret: "simulator-consumer-secret",
      timeoutMs: 2000,
      // Keep the retry loop, without its waiting.
      retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
      ...overrides,
    })
  }

  const paybill = (phone: string, extra: Record<string, unknown> = {}) => ({
    shortcode: PAYBILL,
    passkey: SANDBOX_PASSKEY,
    transactionType: "paybill" as const,
    amount: 1250,
    phone,
    callbackUrl: receiver.url + "/mpesa-express/callback",
    accountReference: "Order #123",
    transactionDesc: "Payment",
    ...extra,
  })

  // The client accepts local formats and normalises them; "0708374149" becomes 254708374149.
  const localFormat = (msisdn: string) => "0" + msisdn.slice(3)

  it.each(Object.entries(OUTCOME_TABLE))("%s: push -> callback -> query agree (%j)", async (msisdn, rule) => {
    const daraja = client()
    const accepted = await daraja.stkPush(paybill(localFormat(msisdn)))
    expect(accepted).toMatchObject({ responseCode: "0", phone: msisdn, amount: 1250, checkoutRequestId: expect.stringMatching(/^ws_CO_/) })

    const [received] = await receiver.waitFor(1)
    const callback = parseStkCallback(received.body)
    expect(callback).toMatchObject({
      checkoutRequestId: accepted.checkoutRequestId,
      merchantRequestId: accepted.merchantRequestId,
      resultCode: String(rule.resultCode),
      result: describeResultCode(rule.resultCode),
    })
    if (rule.resultCode === 0) {
      expect(callback.metadata).toEqual({
        amount: 1250,
        mpesaReceiptNumber: expect.stringMatching(/^[A-Z0-9]{10}$/),
        transactionDate: expect.stringMatching(/^\d{14}$/),
        phoneNumber: msisdn,
      })
    } else {
      expect(callback.metadata).toBeNull()
    }

    const outcome = await daraja.stkQuery({ shortcode: PAYBILL, passkey: SANDBOX_PASSKEY, checkoutRequestId: accepted.checkoutRequestId })
    expect(outcome).toEqual({
      status: "completed",
      resultCode: String(rule.resultCode),
      resultDesc: expect.any(String),
      merchantRequestId: accepted.merchantRequestId,
      checkoutRequestId: accepted.checkoutRequestId,
      result: describeResultCode(rule.resultCode),
    })
    expect(sim.prompts()[0].accountReference).toBe("Order 123") // the client's sanitising, accepted by Daraja's rules
  })

  it("reads 'being processed' as pending, then completed once the customer answers", async () => {
    const daraja = client()
    const accepted = await daraja.stkPush(paybill(MANUAL_PHONE))
    const query = { shortcode: PAYBILL, passkey: SANDBOX_PASSKEY, checkoutRequestId: accepted.checkoutRequestId }
    expect(await daraja.stkQuery(query)).toEqual({ status: "pending", description: "The transaction is being processed" })
    // Pending is an answer, not a fault: no retries.
    expect(sim.stats().calls.stkQuery).toBe(1)
    sim.decline(accepted.checkoutRequestId, 1032)
    await receiver.waitFor(1)
    expect(await daraja.stkQuery(query)).toMatchObject({ status: "completed", resultCode: "1032", result: { state: "canceled" } })
  })

  it("pays a till (store number + till number)", async () => {
    const daraja = client()
    const accepted = await daraja.stkPush({ ...paybill("254708374149"), shortcode: STORE, transactionType: "till", tillNumber: TILL })
    const [received] = await receiver.waitFor(1)
    expect(parseStkCallback(received.body).result.state).toBe("paid")
    expect(sim.prompts()[0]).toMatchObject({ shortcode: STORE, partyB: TILL, transactionType: "CustomerBuyGoodsOnline" })
    const outcome = await daraja.stkQuery({ shortcode: STORE, passkey: SANDBOX_PASSKEY, checkoutRequestId: accepted.checkoutRequestId })
    expect(outcome).toMatchObject({ status: "completed", resultCode: "0" })
  })

  it("surfaces a till misconfiguration as a 2028 failure", async () => {
    const daraja = client()
    // A till push under the paybill's shortcode, which owns no tills: Daraja's SFC_IC0003 / 2028 territory.
    await daraja.stkPush({ ...paybill("254708374149"), transactionType: "till", tillNumber: "7654321" })
    const callback = parseStkCallback((await receiver.waitFor(1))[0].body)
    expect(callback).toMatchObject({ resultCode: "2028", result: { state: "failed", retryable: false } })
  })

  const meanings: Record<RejectionKind, string> = {
    subscriber_locked: "subscriber_locked",
    spike_arrest: "rate_limited",
    system_busy: "system_busy",
    quota: "rate_limited",
    internal_error: "internal_error",
  }

  it.each(Object.keys(REJECTIONS) as RejectionKind[])("rejectPush %s surfaces as a typed DarajaApiError, sent once", async (kind) => {
    sim.setFaults({ rejectPush: kind })
    const error = await client().stkPush(paybill("254708374149")).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaApiError)
    expect(error).toMatchObject({ httpStatus: 500, errorCode: REJECTIONS[kind].errorCode, errorMessage: REJECTIONS[kind].errorMessage })
    expect((error as DarajaApiError).info.meaning).toBe(meanings[kind])
    expect(classifyDarajaError(error, { idempotent: false })).toBe("fail")
    // Never a second prompt.
    expect(sim.stats().calls.stkPush).toBe(1)
    expect(sim.prompts()).toHaveLength(0)
  })

  it.each(Object.keys(REJECTIONS) as RejectionKind[])("rejectQuery %s surfaces as a typed DarajaApiError after the client's retries", async (kind) => {
    const daraja = client()
    const accepted = await daraja.stkPush(paybill("254708374149"))
    await receiver.waitFor(1)
    sim.setFaults({ rejectQuery: kind })
    const error = await daraja
      .stkQuery({ shortcode: PAYBILL, passkey: SANDBOX_PASSKEY, checkoutRequestId: accepted.checkoutRequestId })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaApiError)
    expect((error as DarajaApiError).info.meaning).toBe(meanings[kind])
    expect(sim.stats().calls.stkQuery).toBe(3) // all five kinds are retryable for an idempotent query
  })

  it("heals expireTokens with the client's refresh-once", async () => {
    const daraja = client()
    const accepted = await daraja.stkPush(paybill("254708374149"))
    await receiver.waitFor(1)
    sim.setFaults({ expireTokens: true })
    const query = { shortcode: PAYBILL, passkey: SANDBOX_PASSKEY, checkoutRequestId: accepted.checkoutRequestId }
    for (let i = 0; i < 3; i++) expect(await daraja.stkQuery(query)).toMatchObject({ status: "completed", resultCode: "0" })
    // One token at first, then one refresh per call: each refreshed token served one call.
    expect(sim.stats().tokensIssued).toBe(4)
    // And a push, which is sent once, still goes through after a refresh (the gateway rejected the first try).
    // Another amount: the same one again within 2 minutes would be rule-limited (17), not paid.
    await expect(daraja.stkPush(paybill("254708374149", { amount: 1300 }))).resolves.toMatchObject({ responseCode: "0" })
    expect(sim.prompts()).toHaveLength(2)
  })

  it("heals when another process's token invalidated ours (strict singleActiveToken)", async () => {
    const strict = await startDarajaSimulator({ timeScale: 0.01, strict: { singleActiveToken: true } })
    try {
      const strictClient = () => client({ baseUrl: strict.url })
      const server = strictClient()
      const worker = strictClient()
      // One phone per push: a phone whose prompt is still open is locked.
      await server.stkPush(paybill("0711000001"))
      await worker.stkPush(paybill("0711000002")) // fetches its own token: the server's is now invalid
      await expect(server.stkPush(paybill("0711000003"))).resolves.toMatchObject({ responseCode: "0" })
      expect(strict.stats().tokensIssued).toBe(3)
      expect(strict.stats().calls.stkPush).toBe(4) // the server's refused try, then its retry after a refresh
      expect(strict.prompts()).toHaveLength(3)
    } finally {
      await strict.close()
    }
  })

  it("lets two processes with their own tokens work side by side when lenient (the default)", async () => {
    const server = client()
    const worker = client()
    await server.stkPush(paybill("0711000001"))
    await worker.stkPush(paybill("0711000002"))
    await expect(server.stkPush(paybill("0711000003"))).resolves.toMatchObject({ responseCode: "0" })
    expect(sim.stats().tokensIssued).toBe(2)
    expect(sim.stats().calls.stkPush).toBe(3)
  })

  it("surfaces a push to a phone with an open prompt as subscriber_locked, sent once, with no second prompt", async () => {
    const daraja = client()
    const first = await daraja.stkPush(paybill(MANUAL_PHONE))
    const error = await daraja.stkPush(paybill(MANUAL_PHONE, { amount: 99 })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaApiError)
    expect(error).toMatchObject({
      httpStatus: 500,
      errorCode: "500.001.1001",
      errorMessage: "Unable to lock subscriber, a transaction is already in process for the current subscriber",
    })
    expect((error as DarajaApiError).info.meaning).toBe("subscriber_locked")
    expect(classifyDarajaError(error, { idempotent: false })).toBe("fail")
    expect(sim.stats().calls.stkPush).toBe(2)
    expect(sim.prompts().map((p) => p.checkoutRequestId)).toEqual([first.checkoutRequestId])
  })

  it("ends a repeat of the same phone and amount within 2 minutes with ResultCode 17, query and callback agreeing", async () => {
    const daraja = client()
    await daraja.stkPush(paybill("0708374149"))
    await receiver.waitFor(1)
    const repeat = await daraja.stkPush(paybill("0708374149"))
    expect(repeat).toMatchObject({ responseCode: "0" })
    const [, received] = await receiver.waitFor(2)
    const callback = parseStkCallback(received.body)
    expect(callback).toMatchObject({ checkoutRequestId: repeat.checkoutRequestId, resultCode: "17", metadata: null, result: describeResultCode(17) })
    const outcome = await daraja.stkQuery({ shortcode: PAYBILL, passkey: SANDBOX_PASSKEY, checkoutRequestId: repeat.checkoutRequestId })
    expect(outcome).toMatchObject({ status: "completed", resultCode: "17", result: describeResultCode(17) })
  })

  it("surfaces pushResponse 'hang' as a DarajaTransportError timeout, and the prompt as indeterminate", async () => {
    sim.setFaults({ pushResponse: "hang" })
    const error = await client({ timeoutMs: 300 }).stkPush(paybill("254708374149")).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaTransportError)
    expect(error).toMatchObject({ reason: "timeout" })
    expect(classifyDarajaError(error, { idempotent: false })).toBe("indeterminate")
    // Indeed the prompt went out and the shopper paid.
    expect(sim.prompts()).toHaveLength(1)
    expect(parseStkCallback((await receiver.waitFor(1))[0].body).result.state).toBe("paid")
  })

  it("surfaces pushResponse 'reset' as a DarajaTransportError network failure", async () => {
    sim.setFaults({ pushResponse: "reset" })
    const error = await client().stkPush(paybill("254708374149")).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaTransportError)
    expect(error).toMatchObject({ reason: "network" })
    expect(classifyDarajaError(error, { idempotent: false })).toBe("indeterminate")
    expect(sim.prompts()).toHaveLength(1)
  })

  it("surfaces pushResponse 'html502' as a DarajaTransportError http_status 502", async () => {
    sim.setFaults({ pushResponse: "html502" })
    const error = await client().stkPush(paybill("254708374149")).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaTransportError)
    expect(error).toMatchObject({ reason: "http_status", httpStatus: 502 })
    expect(classifyDarajaError(error, { idempotent: false })).toBe("indeterminate")
  })

  it("surfaces a wrong passkey and an unknown shortcode as typed errors", async () => {
    const daraja = client()
    const wrong = await daraja.stkPush(paybill("254708374149", { passkey: "not-the-passkey" })).catch((e: unknown) => e)
    expect(wrong).toMatchObject({ errorCode: "500.001.1001", info: { meaning: "bad_credentials" } })
    const unknown = await daraja.stkPush(paybill("254708374149", { shortcode: "600000" })).catch((e: unknown) => e)
    expect(unknown).toMatchObject({ errorCode: "500.001.1001", info: { meaning: "merchant_not_found" } })
  })

  it("fails fast on wrong consumer credentials", async () => {
    const error = await client({ consumerSecret: "wrong" }).stkPush(paybill("254708374149")).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DarajaApiError)
    expect(error).toMatchObject({ errorCode: "400.008.01", info: { meaning: "bad_credentials" } })
    expect(sim.stats().calls.stkPush).toBe(0)
  })

  describe("reversal and transaction status", () => {
    const initiator = { initiator: "testapi", initiatorPassword: "Safaricom999!*!" }

    async function paidReceipt(daraja: DarajaClient): Promise<string> {
      await daraja.stkPush(paybill("254708374149"))
      const callback = parseStkCallback((await receiver.waitFor(1))[0].body)
      return callback.metadata!.mpesaReceiptNumber!
    }

    async function resultAt(path: string): Promise<ResultCallbackBody["Result"]> {
      for (;;) {
        const hit = receiver.received.find((r) => r.path === path)
        if (hit) return (hit.body as ResultCallbackBody).Result
        await receiver.waitFor(receiver.received.length + 1)
      }
    }

    const reversalParams = (transactionId: string, resultPath: string, certificatePem = sim.publicKeyPem) => ({
      ...initiator,
      certificatePem,
      transactionId,
      amount: 1250,
      receiverParty: PAYBILL,
      resultUrl: receiver.url + resultPath,
      queueTimeOutUrl: receiver.url + "/timeout",
      remarks: "Refund order 123",
    })

    it("reverses a paid receipt once, with the SecurityCredential encrypted to the simulator's key", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      const first = await daraja.reversal(reversalParams(receipt, "/r1"))
      expect(first).toMatchObject({ responseCode: "0", conversationId: expect.stringMatching(/^AG_/) })
      expect(await resultAt("/r1")).toMatchObject({ ResultCode: 0, ConversationID: first.conversationId })
      await daraja.reversal(reversalParams(receipt, "/r2"))
      expect(await resultAt("/r2")).toMatchObject({ ResultCode: "R000001" })
      expect(sim.stats().calls.reversal).toBe(2)
    })

    it("reports R000002 for an unknown receipt and 2001 for a credential made with another certificate", async () => {
      const daraja = client()
      await daraja.reversal(reversalParams("SKC82PACB8", "/unknown"))
      expect(await resultAt("/unknown")).toMatchObject({ ResultCode: "R000002", ResultDesc: "The OriginalTransactionID is invalid." })
      const otherPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString()
      await daraja.reversal(reversalParams("SKC82PACB8", "/wrong-cert", otherPem))
      expect(await resultAt("/wrong-cert")).toMatchObject({ ResultCode: 2001 })
    })

    it("looks a paid receipt up with Transaction Status", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      const accepted = await daraja.transactionStatus({
        ...initiator,
        certificatePem: sim.publicKeyPem,
        transactionId: receipt,
        partyA: PAYBILL,
        resultUrl: receiver.url + "/status",
        queueTimeOutUrl: receiver.url + "/timeout",
        remarks: "Reconcile",
      })
      expect(accepted.responseCode).toBe("0")
      const result = await resultAt("/status")
      expect(result).toMatchObject({ ResultCode: 0, TransactionID: receipt, ConversationID: accepted.conversationId })
      expect(result.ResultParameters!.ResultParameter).toContainEqual({ Key: "ReceiptNo", Value: receipt })
    })

    /** What arrived at `path`, read by the client's own Result parser. */
    async function parsedAt(path: string): Promise<DarajaResult> {
      for (;;) {
        const hit = receiver.received.find((r) => r.path === path)
        if (hit) return parseResultCallback(hit.body)
        await receiver.waitFor(receiver.received.length + 1)
      }
    }

    const statusParams = (lookup: { transactionId: string } | { originalConversationId: string }, resultPath: string) => ({
      initiator: "testapi",
      securityCredential: encryptSecurityCredential("Safaricom999!*!", sim.publicKeyPem),
      ...lookup,
      partyA: PAYBILL,
      resultUrl: receiver.url + resultPath,
      queueTimeOutUrl: receiver.url + "/status-timeout",
      remarks: "Reconcile refund",
    })

    it("accepts a ready-made securityCredential (as the Daraja portal generates it)", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      const { initiatorPassword: _p, certificatePem: _c, ...rest } = reversalParams(receipt, "/ready")
      const credential = encryptSecurityCredential("Safaricom999!*!", sim.publicKeyPem)
      const accepted = await daraja.reversal({ ...rest, securityCredential: credential })
      const result = await parsedAt("/ready")
      expect(result).toMatchObject({
        resultType: 0,
        resultCode: "0",
        originatorConversationId: accepted.originatorConversationId,
        conversationId: accepted.conversationId,
        transactionId: expect.stringMatching(/^[A-Z0-9]{10}$/),
        parameters: { Amount: 1250, OriginalTransactionID: receipt, Charge: 0 },
        referenceData: { QueueTimeoutURL: receiver.url + "/timeout" },
      })
    })

    it("parses what a failed reversal (reversalOutcome fail) POSTs to ResultURL", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      sim.setFaults({ reversalOutcome: "fail" })
      const accepted = await daraja.reversal(reversalParams(receipt, "/failed"))
      expect(await parsedAt("/failed")).toMatchObject({
        resultCode: "1",
        resultDesc: "The balance is insufficient for the transaction.",
        conversationId: accepted.conversationId,
        transactionId: expect.stringMatching(/^[A-Z0-9]{3}0000000$/),
        parameters: {},
        result: { state: "failed" },
      })
    })

    it("parses the queue-timeout body (reversalOutcome queue_timeout) POSTed to QueueTimeOutURL", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      sim.setFaults({ reversalOutcome: "queue_timeout" })
      const accepted = await daraja.reversal(reversalParams(receipt, "/never"))
      expect(await parsedAt("/timeout")).toEqual({
        resultType: 1,
        resultCode: "1",
        resultDesc: "The service request timed out.",
        originatorConversationId: accepted.originatorConversationId,
        conversationId: accepted.conversationId,
        transactionId: null,
        parameters: {},
        referenceData: {},
        result: expect.objectContaining({ code: "1" }),
      })
      await sim.waitForCallbacks(2)
      expect(receiver.received.map((r) => r.path)).not.toContain("/never")
    })

    it("learns the outcome of a reversal whose Result was lost, by Transaction Status on its OriginatorConversationID", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      sim.setFaults({ reversalOutcome: "lost_result" })
      const accepted = await daraja.reversal(reversalParams(receipt, "/lost"))
      await sim.waitForCallbacks(2) // the STK callback, then the dropped Result
      await daraja.transactionStatus(statusParams({ originalConversationId: accepted.originatorConversationId }, "/status"))
      const status = await parsedAt("/status")
      expect(status).toMatchObject({
        resultCode: "0",
        transactionId: sim.reversals()[0].reversed!.transactionId,
        parameters: {
          ReceiptNo: sim.reversals()[0].reversed!.transactionId,
          OriginatorConversationID: accepted.originatorConversationId,
          TransactionStatus: "Completed",
          ReasonType: "Reversal",
          Amount: 1250,
          OriginalTransactionID: receipt,
        },
      })
      expect(status.parameters).not.toHaveProperty("TransactionReason")
      expect(receiver.received.map((r) => r.path)).not.toContain("/lost")
    })

    it("is told 2032 for a reversal that was never processed", async () => {
      const daraja = client()
      const receipt = await paidReceipt(daraja)
      sim.setFaults({ reversalOutcome: "queue_timeout" })
      const accepted = await daraja.reversal(reversalParams(receipt, "/never"))
      await daraja.transactionStatus(statusParams({ originalConversationId: accepted.originatorConversationId }, "/status"))
      expect(await parsedAt("/status")).toMatchObject({ resultCode: "2032", resultDesc: "The transaction receipt number does not exist." })
    })
  })
})
