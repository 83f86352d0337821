import type { InferTypeOf } from "@medusajs/framework/types"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type MpesaCallback from "../models/mpesa-callback"
import type MpesaDarajaRequest from "../models/mpesa-daraja-request"
import type MpesaRefund from "../models/mpesa-refund"
import type MpesaTransaction from "../models/mpesa-transaction"

export type { Knex }

/**
 * A row as stored, inferred from its data model (the model is the one
 * definition of a table's shape). The inferred type also carries `raw_*`
 * twins meant for bigNumber columns; our money columns are plain integers
 * of whole shillings, so no such column exists in the table.
 */
type WithoutRaw<Row> = Omit<Row, `raw_${string}`>

/** A ledger row (mpesa_transaction): one STK Push. */
export type LedgerRow = WithoutRaw<InferTypeOf<typeof MpesaTransaction>>
/** A stored callback or result (mpesa_callback), exactly as received. */
export type CallbackRow = Omit<WithoutRaw<InferTypeOf<typeof MpesaCallback>>, "payload"> & { payload: unknown }
/** A refund (mpesa_refund): a Daraja reversal or one recorded as made outside. */
export type RefundRow = WithoutRaw<InferTypeOf<typeof MpesaRefund>>
/** An asynchronous Daraja request of ours (mpesa_daraja_request). */
export type DarajaRequestRow = WithoutRaw<InferTypeOf<typeof MpesaDarajaRequest>>

/**
 * A ledger row's status:
 * initiating — row written, STK Push request in flight;
 * pending — Daraja accepted the push, waiting for the shopper's PIN;
 * indeterminate — the push may have reached the phone, but we never got Daraja's answer;
 * paid, failed, canceled, expired — final.
 */
export type LedgerStatus = LedgerRow["status"]

export type CallbackStatus = CallbackRow["status"]

export type RefundKind = RefundRow["kind"]
/**
 * sending   — row written, the Reversal request is on its way to Daraja
 * requested — Daraja accepted the request; its result has not arrived yet
 * unknown   — Daraja's answer was lost or doubtful; being confirmed with Transaction Status
 * completed — the money went back to the customer (reversal) / the merchant recorded it (outside)
 * failed    — nothing moved; `reason` says why in plain words
 */
export type RefundStatus = RefundRow["status"]

/** Which of Daraja's asynchronous answers a stored callback is. */
export type CallbackKind = CallbackRow["kind"]

export type DarajaRequestPurpose = DarajaRequestRow["purpose"]
export type DarajaRequestStatus = DarajaRequestRow["status"]

