// Daraja validates Timestamp (and the Password built from it) against Nairobi local time. Kenya is UTC+3 all
// year (no DST), so a fixed offset is exact and does not depend on the server's TZ or on ICU time zone data.
const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** YYYYMMDDHHmmss in Africa/Nairobi time. */
export function darajaTimestamp(date: Date): string {
  const t = date.getTime()
  if (Number.isNaN(t)) throw new RangeError("darajaTimestamp: invalid Date")
  const d = new Date(t + NAIROBI_OFFSET_MS)
  return (
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds())
  )
}
