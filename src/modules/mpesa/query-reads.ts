import type { FindConfig } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { maskPhone } from "../../lib/daraja"
import type { LedgerQueryFilters, LedgerQueryPage, LedgerQueryStore } from "./stores/ledger-query-store"
import type { LedgerRow, MpesaTransactionRecord } from "./types"

/**
 * Query's way into the module (joiner-config.ts): the filters and paging
 * Medusa's Query and module links send, checked at this edge, and records
 * that never carry a full phone number (only a masked one leaves the
 * module). A bad filter is refused with the field and the rule, not ignored.
 */
const STATUSES = ["initiating", "pending", "indeterminate", "paid", "failed", "canceled", "expired"] as const
const values = <T extends string>(one: z.ZodType<T>) =>
  z
    .union([one, z.array(one), z.object({ $in: z.array(one) }).strict(), z.object({ $eq: one }).strict()])
    .transform((v): T[] => (Array.isArray(v) ? v : typeof v === "object" && v !== null ? ("$in" in v ? v.$in : [v.$eq]) : [v]))
const text = z.string().min(1).max(200)

const filtersSchema = z
  .object({
    id: values(text),
    payment_collection_id: values(text),
    payment_session_id: values(text),
    checkout_request_id: values(text),
    mpesa_receipt_number: values(text),
    status: values(z.enum(STATUSES)),
    unmatched: z.boolean(),
  })
  .partial()
  .strict()

const COLUMNS = [
  "id", "payment_session_id", "initiated_session_id", "payment_collection_id", "checkout_request_id", "merchant_request_id",
  "phone", "amount", "medusa_amount", "currency_code", "account_reference", "status", "result_code", "result_desc",
  "customer_message", "mpesa_receipt_number", "paid_amount", "paid_phone", "transaction_date", "confirmed_by",
  "callback_received_at", "settled_at", "expires_at", "session_closed_at", "unmatched", "completed_at",
  "refunded_amount", "attention_reason", "attention_at", "created_at", "updated_at",
] as const satisfies readonly (keyof LedgerRow & keyof MpesaTransactionRecord)[]
// Every column of the record is listed (a new one cannot be forgotten here).
type Unlisted = Exclude<keyof MpesaTransactionRecord, (typeof COLUMNS)[number]>
const allListed: [Unlisted] extends [never] ? true : never = true
void allListed
type Column = (typeof COLUMNS)[number]
const isColumn = (name: string): name is Column => (COLUMNS as readonly string[]).includes(name)

function refuse(error: z.ZodError): never {
  const issue = error.issues[0]
  const field = issue.path.join(".") || "filters"
  const rule = issue.code === "unrecognized_keys" ? `unknown filter ${issue.keys.join(", ")}; filterable: ${Object.keys(filtersSchema.shape).join(", ")}` : issue.message
  throw new MedusaError(MedusaError.Types.INVALID_DATA, `${field}: ${rule}`)
}

export function parseQueryFilters(filters: unknown): LedgerQueryFilters {
  const parsed = filtersSchema.safeParse(filters ?? {})
  if (!parsed.success) refuse(parsed.error)
  return parsed.data
}

export function queryPage(config: FindConfig<MpesaTransactionRecord> = {}): LedgerQueryPage {
  const take = config.take ?? undefined
  const skip = config.skip ?? undefined
  for (const [field, n] of [["take", take], ["skip", skip]] as const) {
    if (n !== undefined && n !== null && (!Number.isInteger(n) || n < 0)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `${field}: must be a whole number of at least 0`)
    }
  }
  const order = Object.entries(config.order ?? {}).map(([column, direction]) => {
    if (!isColumn(column)) throw new MedusaError(MedusaError.Types.INVALID_DATA, `order: cannot sort by ${column}`)
    return { column, direction: String(direction).toLowerCase() === "asc" ? ("asc" as const) : ("desc" as const) }
  })
  return { take: take ?? undefined, skip: skip ?? undefined, order }
}

/** A ledger row as Query returns it: the selected columns (all when none or "*"), phones masked. */
export function toQueryRecord(row: LedgerRow, select?: (string | number | symbol)[]): Partial<MpesaTransactionRecord> {
  const full: MpesaTransactionRecord = {
    ...pick(row, COLUMNS),
    phone: maskPhone(row.phone),
    paid_phone: row.paid_phone ? maskPhone(row.paid_phone) : null,
  }
  const wanted = (select ?? []).map(String).filter(isColumn)
  if (!wanted.length) return full
  return pick(full, ["id", ...wanted])
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) out[k] = from[k]
  return out
}

export async function listForQuery(
  store: LedgerQueryStore,
  filters: unknown,
  config: FindConfig<MpesaTransactionRecord> = {},
  withCount: boolean
): Promise<{ records: Partial<MpesaTransactionRecord>[]; count: number | null }> {
  const parsed = parseQueryFilters(filters)
  const page = queryPage(config)
  const [rows, count] = await Promise.all([store.list(parsed, page), withCount ? store.count(parsed) : Promise.resolve(null)])
  return { records: rows.map((r) => toQueryRecord(r, config.select as string[] | undefined)), count }
}
