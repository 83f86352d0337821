import { DarajaValidationError } from "../errors"
import * as daraja from "../index"
import { parseResultCallback, resultCallbackSchema } from "../result-callback"

/** A successful reversal Result, in the shape of Daraja's documentation (ReferenceItem as a bare object). */
const reversalSuccess = {
  Result: {
    ResultType: 0,
    ResultCode: 0,
    ResultDesc: "The service request is processed successfully.",
    OriginatorConversationID: "8521-4298025-1",
    ConversationID: "AG_20181005_00004d7ee675c0c7ee0b",
    TransactionID: "MJ561H6X5O",
    ResultParameters: {
      ResultParameter: [
        { Key: "DebitAccountBalance", Value: "Utility Account|KES|51661.00|51661.00|0.00|0.00" },
        { Key: "Amount", Value: 100 },
        { Key: "TransCompletedTime", Value: 20181005153225 },
        { Key: "OriginalTransactionID", Value: "MIM1H6X5PR" },
        { Key: "Charge", Value: 0 },
        { Key: "CreditPartyPublicName", Value: "254708374149 - John Doe" },
        { Key: "DebitPartyPublicName", Value: "601315 - Safaricom1338" },
      ],
    },
    ReferenceData: {
      ReferenceItem: { Key: "QueueTimeoutURL", Value: "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit" },
    },
  },
}

/** A Transaction Status Result: parameters Daraja sends without a Value (DebitPartyCharges, TransactionReason). */
const statusSuccess = {
  Result: {
    ResultType: 0,
    ResultCode: 0,
    ResultDesc: "The service request is processed successfully.",
    OriginatorConversationID: "1236-7134259-1",
    ConversationID: "AG_20210709_1234409f86436c583e3f",
    TransactionID: "LXXXXXX1234",
    ResultParameters: {
      ResultParameter: [
        { Key: "DebitPartyName", Value: "600310 - Safaricom333" },
        { Key: "DebitPartyCharges" },
        { Key: "TransactionReason", Value: null },
        { Key: "ReasonType", Value: "Pay Bill Online" },
        { Key: "TransactionStatus", Value: "Completed" },
        { Key: "Amount", Value: 1.5 },
        { Key: "ReceiptNo", Value: "LXXXXXX1234" },
      ],
    },
    ReferenceData: { ReferenceItem: { Key: "Occasion", Value: "" } },
  },
}

/** A failed reversal: string ResultCode, placeholder TransactionID, no ResultParameters. */
const reversalFailure = {
  Result: {
    ResultType: 0,
    ResultCode: "R000002",
    ResultDesc: "The OriginalTransactionID is invalid.",
    OriginatorConversationID: "29112-34801843-1",
    ConversationID: "AG_20191219_00006c6fddb15123addf",
    TransactionID: "NLJ0000000",
    ReferenceData: { ReferenceItem: { Key: "QueueTimeoutURL", Value: "https://shop.example.com/t" } },
  },
}

/** What a queue timeout looks like (see the simulator README): ResultType 1, no TransactionID, no ReferenceData. */
const queueTimeout = {
  Result: {
    ResultType: 1,
    ResultCode: "1",
    ResultDesc: "The service request timed out.",
    OriginatorConversationID: "8521-4298025-1",
    ConversationID: "AG_20181005_00004d7ee675c0c7ee0b",
  },
}

describe("parseResultCallback", () => {
  it("parses a successful reversal Result", () => {
    expect(parseResultCallback(reversalSuccess)).toEqual({
      resultType: 0,
      resultCode: "0",
      resultDesc: "The service request is processed successfully.",
      originatorConversationId: "8521-4298025-1",
      conversationId: "AG_20181005_00004d7ee675c0c7ee0b",
      transactionId: "MJ561H6X5O",
      parameters: {
        DebitAccountBalance: "Utility Account|KES|51661.00|51661.00|0.00|0.00",
        Amount: 100,
        TransCompletedTime: 20181005153225,
        OriginalTransactionID: "MIM1H6X5PR",
        Charge: 0,
        CreditPartyPublicName: "254708374149 - John Doe",
        DebitPartyPublicName: "601315 - Safaricom1338",
      },
      referenceData: { QueueTimeoutURL: "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit" },
      result: expect.objectContaining({ code: "0", state: "paid", known: true }),
    })
  })

  it("leaves out parameters without a Value (missing or null) and keeps the rest verbatim", () => {
    const parsed = parseResultCallback(statusSuccess)
    expect(parsed.parameters).toEqual({
      DebitPartyName: "600310 - Safaricom333",
      ReasonType: "Pay Bill Online",
      TransactionStatus: "Completed",
      Amount: 1.5,
      ReceiptNo: "LXXXXXX1234",
    })
    expect(parsed.parameters).not.toHaveProperty("DebitPartyCharges")
    expect(parsed.parameters).not.toHaveProperty("TransactionReason")
    // An empty Occasion is a value, not a missing one.
    expect(parsed.referenceData).toEqual({ Occasion: "" })
  })

  it("parses a failure: string ResultCode, placeholder TransactionID, no ResultParameters", () => {
    const parsed = parseResultCallback(reversalFailure)
    expect(parsed).toMatchObject({
      resultCode: "R000002",
      resultDesc: "The OriginalTransactionID is invalid.",
      transactionId: "NLJ0000000",
      parameters: {},
      referenceData: { QueueTimeoutURL: "https://shop.example.com/t" },
    })
    expect(parsed.result).toMatchObject({ code: "R000002", state: "failed", known: false })
  })

  it("parses a queue-timeout body: ResultType 1, no TransactionID, no ReferenceData", () => {
    expect(parseResultCallback(queueTimeout)).toEqual({
      resultType: 1,
      resultCode: "1",
      resultDesc: "The service request timed out.",
      originatorConversationId: "8521-4298025-1",
      conversationId: "AG_20181005_00004d7ee675c0c7ee0b",
      transactionId: null,
      parameters: {},
      referenceData: {},
      result: expect.objectContaining({ code: "1", state: "failed" }),
    })
  })

  it("reads ResultCode as a number or a string, and describes it", () => {
    const numeric = parseResultCallback({ Result: { ...reversalFailure.Result, ResultCode: 2001, ResultDesc: "The initiator information is invalid." } })
    expect(numeric.resultCode).toBe("2001")
    expect(numeric.result).toMatchObject({ code: "2001", known: true, description: "The initiator information is invalid." })
    expect(parseResultCallback({ Result: { ...reversalSuccess.Result, ResultCode: " 0 " } }).resultCode).toBe("0")
  })

  it("tolerates ResultType as a digit string", () => {
    expect(parseResultCallback({ Result: { ...queueTimeout.Result, ResultType: "1" } }).resultType).toBe(1)
  })

  it("accepts ResultParameter as a single object (Daraja collapses one-element lists)", () => {
    const body = { Result: { ...reversalSuccess.Result, ResultParameters: { ResultParameter: { Key: "Amount", Value: "100" } } } }
    expect(parseResultCallback(body).parameters).toEqual({ Amount: "100" })
  })

  it("accepts ReferenceItem as a list, turning numbers into strings", () => {
    const body = {
      Result: {
        ...reversalSuccess.Result,
        ReferenceData: { ReferenceItem: [{ Key: "QueueTimeoutURL", Value: "https://x.example/t" }, { Key: "BillReferenceNumber", Value: 19008 }, { Key: "Empty" }] },
      },
    }
    expect(parseResultCallback(body).referenceData).toEqual({ QueueTimeoutURL: "https://x.example/t", BillReferenceNumber: "19008" })
  })

  it("treats null or empty containers and an empty or null TransactionID as absent", () => {
    const body = {
      Result: { ...reversalSuccess.Result, TransactionID: " ", ResultParameters: null, ReferenceData: { ReferenceItem: null } },
    }
    expect(parseResultCallback(body)).toMatchObject({ transactionId: null, parameters: {}, referenceData: {} })
    expect(parseResultCallback({ Result: { ...reversalSuccess.Result, TransactionID: null, ReferenceData: null } })).toMatchObject({
      transactionId: null,
      referenceData: {},
    })
    expect(parseResultCallback({ Result: { ...reversalSuccess.Result, ResultParameters: {} } }).parameters).toEqual({})
  })

  it("keeps a Key such as __proto__ as plain data", () => {
    const body = JSON.parse(
      `{"Result":{"ResultType":0,"ResultCode":0,"ResultDesc":"ok","OriginatorConversationID":"o","ConversationID":"c",
        "ResultParameters":{"ResultParameter":[{"Key":"__proto__","Value":"x"},{"Key":"Amount","Value":5}]}}}`,
    ) as unknown
    const parsed = parseResultCallback(body)
    expect(Object.getPrototypeOf(parsed.parameters)).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty.call(parsed.parameters, "__proto__")).toBe(true)
    expect(parsed.parameters.Amount).toBe(5)
  })

  it.each([
    [{}, "Result"],
    [{ Result: {} }, "Result.ResultType"],
    [{ Result: { ...reversalSuccess.Result, ResultType: "zero" } }, "Result.ResultType"],
    [{ Result: { ...reversalSuccess.Result, ResultCode: null } }, "Result.ResultCode"],
    [{ Result: { ...reversalSuccess.Result, ResultCode: "" } }, "Result.ResultCode"],
    [{ Result: { ...reversalSuccess.Result, ResultDesc: undefined } }, "Result.ResultDesc"],
    [{ Result: { ...reversalSuccess.Result, OriginatorConversationID: "" } }, "Result.OriginatorConversationID"],
    [{ Result: { ...reversalSuccess.Result, ConversationID: undefined } }, "Result.ConversationID"],
    [{ Result: { ...reversalSuccess.Result, TransactionID: 42 } }, "Result.TransactionID"],
    [{ Result: { ...reversalSuccess.Result, ResultParameters: { ResultParameter: "nope" } } }, "Result.ResultParameters.ResultParameter"],
    [{ Result: { ...reversalSuccess.Result, ResultParameters: { ResultParameter: [{ Key: 5, Value: 1 }] } } }, "Result.ResultParameters.ResultParameter.0.Key"],
    [
      // A single object is read as a one-element list, so its problem is reported as the list's first item.
      { Result: { ...reversalSuccess.Result, ResultParameters: { ResultParameter: { Key: "Amount", Value: true } } } },
      "Result.ResultParameters.ResultParameter.0.Value",
    ],
    [{ Result: { ...reversalSuccess.Result, ReferenceData: { ReferenceItem: [{ Value: "x" }] } } }, "Result.ReferenceData.ReferenceItem.0.Key"],
    [{ Body: { stkCallback: {} } }, "Result"],
    [null, "body"],
    ["not json", "body"],
  ])("rejects a bad body %# naming the path", (body, field) => {
    let caught: unknown
    try {
      parseResultCallback(body)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(DarajaValidationError)
    expect((caught as DarajaValidationError).field).toBe(field)
    expect((caught as Error).message.startsWith(`${field}: `)).toBe(true)
  })

  it("never quotes the body's values in its errors", () => {
    const SECRET = "SECRET-d41d8cd98f00b204e980"
    const bodies: unknown[] = [
      { Result: { ...reversalSuccess.Result, ResultType: SECRET } },
      { Result: { ...reversalSuccess.Result, ResultCode: { nested: SECRET } } },
      { Result: { ...reversalSuccess.Result, ResultParameters: { ResultParameter: [{ Key: SECRET, Value: { SECRET } }] } } },
      { Result: { ...reversalSuccess.Result, ReferenceData: { ReferenceItem: SECRET } } },
      { Result: SECRET },
    ]
    for (const body of bodies) {
      let caught: unknown
      try {
        parseResultCallback(body)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(DarajaValidationError)
      expect(`${(caught as Error).message} ${JSON.stringify(caught)} ${(caught as Error).stack}`).not.toContain(SECRET)
    }
  })

  it("is exported with its schema from the package index", () => {
    expect(daraja.parseResultCallback).toBe(parseResultCallback)
    const parsed = daraja.resultCallbackSchema.safeParse(queueTimeout)
    expect(parsed.success && parsed.data.conversationId).toBe("AG_20181005_00004d7ee675c0c7ee0b")
    expect(resultCallbackSchema).toBe(daraja.resultCallbackSchema)
  })
})
