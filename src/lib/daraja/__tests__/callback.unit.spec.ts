import { parseStkCallback, stkCallbackSchema } from "../callback"
import { DarajaValidationError } from "../errors"

const successSample = {
  Body: {
    stkCallback: {
      MerchantRequestID: "29115-34620561-1",
      CheckoutRequestID: "ws_CO_191220191020363925",
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
      CallbackMetadata: {
        Item: [
          { Name: "Amount", Value: 1.0 },
          { Name: "MpesaReceiptNumber", Value: "NLJ7RT61SV" },
          { Name: "TransactionDate", Value: 20191219102115 },
          { Name: "PhoneNumber", Value: 254708374149 },
        ],
      },
    },
  },
}

const failureSample = {
  Body: {
    stkCallback: {
      MerchantRequestID: "f1e2-4b95-a71d-b30d3cdbb7a7942864",
      CheckoutRequestID: "ws_CO_21072024125243250722943992",
      ResultCode: 1032,
      ResultDesc: "Request cancelled by user",
    },
  },
}

/** What parseStkCallback makes of the reference success sample, whatever shape its items come in. */
const PARSED_SUCCESS_SAMPLE = {
  merchantRequestId: "29115-34620561-1",
  checkoutRequestId: "ws_CO_191220191020363925",
  resultCode: "0",
  resultDesc: "The service request is processed successfully.",
  metadata: { amount: 1, mpesaReceiptNumber: "NLJ7RT61SV", transactionDate: "20191219102115", phoneNumber: "254708374149" },
  result: expect.objectContaining({ code: "0", state: "paid", known: true }),
}

describe("parseStkCallback", () => {
  it("parses the reference success sample", () => {
    expect(parseStkCallback(successSample)).toEqual(PARSED_SUCCESS_SAMPLE)
  })

  it("parses the reference failure sample (no CallbackMetadata)", () => {
    const cb = parseStkCallback(failureSample)
    expect(cb.resultCode).toBe("1032")
    expect(cb.metadata).toBeNull()
    expect(cb.result).toMatchObject({ state: "canceled", customerMessage: "You cancelled the M-Pesa prompt" })
  })

  it("parses a raw JSON body with Amount 1.00, a Balance item without Value, and string values", () => {
    const raw = `{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_1","ResultCode":"0","ResultDesc":"ok",
      "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"SG722NMVXQ"},
      {"Name":"Balance"},{"Name":"TransactionDate","Value":"20170827163400"},{"Name":"PhoneNumber","Value":"254722000000"}]}}}}`
    const cb = parseStkCallback(JSON.parse(raw))
    expect(cb.resultCode).toBe("0")
    expect(cb.metadata).toEqual({
      amount: 1,
      mpesaReceiptNumber: "SG722NMVXQ",
      transactionDate: "20170827163400",
      phoneNumber: "254722000000",
    })
  })

  it("reads Balance and decimal amounts", () => {
    const body = structuredClone(successSample)
    body.Body.stkCallback.CallbackMetadata.Item = [
      { Name: "Amount", Value: 10500.5 },
      { Name: "Balance", Value: 32009.9 },
    ]
    expect(parseStkCallback(body).metadata).toEqual({ amount: 10500.5, balance: 32009.9 })
  })

  it("accepts CallbackMetadata.Item as a single object (Daraja collapses one-element collections)", () => {
    const body = {
      Body: {
        stkCallback: {
          ...successSample.Body.stkCallback,
          CallbackMetadata: { Item: { Name: "Amount", Value: 1250 } },
        },
      },
    }
    const cb = parseStkCallback(body)
    expect(cb.metadata).toEqual({ amount: 1250 })
    expect(cb.result).toMatchObject({ state: "paid" })
    // The same single item as a raw JSON body, string value and all.
    const raw = `{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultDesc":"ok",
      "CallbackMetadata":{"Item":{"Name":"MpesaReceiptNumber","Value":"SG722NMVXQ"}}}}}`
    expect(parseStkCallback(JSON.parse(raw)).metadata).toEqual({ mpesaReceiptNumber: "SG722NMVXQ" })
  })

  it("accepts a single-object Item without a Value", () => {
    const body = { Body: { stkCallback: { ...successSample.Body.stkCallback, CallbackMetadata: { Item: { Name: "Balance" } } } } }
    expect(parseStkCallback(body).metadata).toEqual({})
  })

  it("parses a full success callback whose Item list has {Name: Balance} without a Value", () => {
    // Daraja's documented order: Amount, MpesaReceiptNumber, Balance, TransactionDate, PhoneNumber.
    const body = {
      Body: {
        stkCallback: {
          MerchantRequestID: "29115-34620561-1",
          CheckoutRequestID: "ws_CO_191220191020363925",
          ResultCode: 0,
          ResultDesc: "The service request is processed successfully.",
          CallbackMetadata: {
            Item: [
              { Name: "Amount", Value: 1.0 },
              { Name: "MpesaReceiptNumber", Value: "NLJ7RT61SV" },
              { Name: "Balance" },
              { Name: "TransactionDate", Value: 20191219102115 },
              { Name: "PhoneNumber", Value: 254708374149 },
            ],
          },
        },
      },
    }
    expect(parseStkCallback(body)).toEqual(PARSED_SUCCESS_SAMPLE)
  })

  it("treats a null Value like a missing one", () => {
    const body = structuredClone(successSample)
    ;(body.Body.stkCallback.CallbackMetadata.Item as Array<{ Name: string; Value: unknown }>).push({ Name: "Balance", Value: null })
    expect(parseStkCallback(body).metadata).not.toHaveProperty("balance")
  })

  it("maps an unknown result code to failed", () => {
    const body = structuredClone(failureSample)
    body.Body.stkCallback.ResultCode = 4242
    expect(parseStkCallback(body).result).toMatchObject({ code: "4242", state: "failed", known: false })
  })

  it.each([
    [{}, "Body"],
    [{ Body: {} }, "Body.stkCallback"],
    [{ Body: { stkCallback: { ...failureSample.Body.stkCallback, CheckoutRequestID: undefined } } }, "Body.stkCallback.CheckoutRequestID"],
    [{ Body: { stkCallback: { ...failureSample.Body.stkCallback, ResultCode: null } } }, "Body.stkCallback.ResultCode"],
    [{ Body: { stkCallback: { ...failureSample.Body.stkCallback, ResultCode: "" } } }, "Body.stkCallback.ResultCode"],
    [
      { Body: { stkCallback: { ...failureSample.Body.stkCallback, CallbackMetadata: { Item: "nope" } } } },
      "Body.stkCallback.CallbackMetadata.Item",
    ],
    [
      { Body: { stkCallback: { ...failureSample.Body.stkCallback, CallbackMetadata: { Item: null } } } },
      "Body.stkCallback.CallbackMetadata.Item",
    ],
    [
      { Body: { stkCallback: { ...failureSample.Body.stkCallback, CallbackMetadata: { Item: [{ Name: 5, Value: 1 }] } } } },
      "Body.stkCallback.CallbackMetadata.Item.0.Name",
    ],
    [
      // A single object is read as a one-element list, so its problem is reported as the list's first item.
      { Body: { stkCallback: { ...failureSample.Body.stkCallback, CallbackMetadata: { Item: { Name: "Amount", Value: true } } } } },
      "Body.stkCallback.CallbackMetadata.Item.0.Value",
    ],
    [null, "body"],
    ["not json", "body"],
  ])("rejects a bad body %# naming the path", (body, field) => {
    let caught: unknown
    try {
      parseStkCallback(body)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(DarajaValidationError)
    expect((caught as DarajaValidationError).field).toBe(field)
    expect((caught as Error).message.startsWith(`${field}: `)).toBe(true)
  })

  it("exposes the schema for use in route validation", () => {
    const parsed = stkCallbackSchema.safeParse(failureSample)
    expect(parsed.success).toBe(true)
    expect(parsed.success && parsed.data.checkoutRequestId).toBe("ws_CO_21072024125243250722943992")
  })
})
