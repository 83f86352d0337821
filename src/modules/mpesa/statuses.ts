import type { LedgerStatus, RefundStatus } from "./types"

/** A push that may still be paid: its prompt is live or its outcome unknown. */
export const OPEN_STATUSES: LedgerStatus[] = ["initiating", "pending", "indeterminate"]
/** A push that ended without money. */
export const FAILURE_STATUSES: LedgerStatus[] = ["failed", "canceled", "expired"]
/** A refund whose money may still move. */
export const OPEN_REFUND_STATUSES: RefundStatus[] = ["sending", "requested", "unknown"]
