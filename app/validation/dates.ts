/**
 * The one reader for dates in the console's filters and page links (the audit
 * trail, the workflow list, the outbox cursor). Each filter decides which
 * shapes it offers a person; this decides whether the text names a real
 * instant. Calendar-checked, because Date alone turns 31 April into 1 May and
 * hour 24 into the next day, and reads years below 100 as 19xx.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * `2026-11-27`, `2026-11-27T08:30`, `2026-11-27 08:30:15.123456`, `…Z`, `…+01`, `…+0100`, `…+01:00`:
 * read as UTC unless an offset is named. Null for anything else, for a day or time the calendar does not
 * have, for year 0 and for offsets beyond ±15:59 (PostgreSQL's cast would fail on those, not answer).
 */
export function parseUtc(text: string): Date | null {
  const m = INSTANT.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v))) as number[];
  if (y < 1 || h > 23 || mi > 59 || s > 59) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  at.setUTCHours(h, mi, s, ms);
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return null;
  const zone = m[8] && m[8].toUpperCase() !== "Z" ? /^([+-])(\d{2}):?(\d{2})?$/.exec(m[8]) : null;
  if (zone && (Number(zone[2]) > 15 || Number(zone[3] ?? 0) > 59)) return null;
  const offsetMinutes = zone ? (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3] ?? 0)) : 0;
  return new Date(at.getTime() - offsetMinutes * 60_000);
}

/** The last millisecond of a bare date's day: a day as the end of a range means "through that day". */
export const endOfUtcDay = (day: Date) => new Date(day.getTime() + 24 * 3600_000 - 1);
