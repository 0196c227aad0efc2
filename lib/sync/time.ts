import { DateTime, IANAZone } from 'luxon';

import { IANA_TO_WINDOWS, WINDOWS_TO_IANA } from './windows-zones';

/** Graph's `dateTimeTimeZone`. */
export interface DateTimeTimeZone {
	dateTime: string;
	timeZone: string;
}

export class TimeZoneError extends Error {}

/**
 * Resolves a Windows ("W. Europe Standard Time") or IANA ("Europe/Berlin") zone name, as Exchange
 * uses both, to an IANA zone luxon can compute with. Unknown names are refused.
 */
export function toIanaZone(name: string | undefined | null): string {
	const zone = String(name ?? '').trim();
	if (zone === '' || /^utc$/i.test(zone) || zone === 'tzone://Microsoft/Utc' || zone === 'Etc/UTC') return 'UTC';
	if (WINDOWS_TO_IANA[zone]) return WINDOWS_TO_IANA[zone];
	if (IANAZone.isValidZone(zone)) return zone;
	const windowsMatch = Object.keys(WINDOWS_TO_IANA).find((w) => w.toLowerCase() === zone.toLowerCase());
	if (windowsMatch) return WINDOWS_TO_IANA[windowsMatch];
	throw new TimeZoneError(`Unknown time zone "${zone}"`);
}

/** The Windows name of a zone, for writing to Exchange (which prefers Windows names); UTC stays UTC. */
export function toWindowsZone(name: string): string {
	const iana = toIanaZone(name);
	if (iana === 'UTC') return 'UTC';
	return IANA_TO_WINDOWS[iana] ?? IANA_TO_WINDOWS[icuCanonicalZone(iana)] ?? iana;
}

/** CLDR's table knows zones by their older names (Asia/Calcutta); ICU maps newer ones (Asia/Kolkata) to those. */
function icuCanonicalZone(iana: string): string {
	try {
		return new Intl.DateTimeFormat('en-US', { timeZone: iana }).resolvedOptions().timeZone;
	} catch {
		return iana;
	}
}

export function isValidZone(name: string | undefined): boolean {
	try {
		toIanaZone(name);
		return true;
	} catch {
		return false;
	}
}

/** Instants already read: every run reads the same dates of the same events again (DateTime is immutable). */
const readInstants = new Map<string, DateTime>();
const READ_INSTANTS_MAX = 50_000;

function remembered(key: string, read: () => DateTime): DateTime {
	const known = readInstants.get(key);
	if (known) return known;
	const instant = read();
	if (readInstants.size >= READ_INSTANTS_MAX) readInstants.clear();
	readInstants.set(key, instant);
	return instant;
}

/** Reads a Graph `dateTimeTimeZone` as an instant (luxon DateTime in UTC). */
export function fromGraphDateTime(value: DateTimeTimeZone | null | undefined, fallbackZone = 'UTC'): DateTime {
	if (!value?.dateTime) throw new TimeZoneError('missing date and time');
	const { dateTime, timeZone } = value;
	return remembered(`g|${dateTime}|${timeZone || fallbackZone}`, () => readGraphDateTime(dateTime, timeZone || fallbackZone));
}

function readGraphDateTime(dateTime: string, timeZone: string): DateTime {
	const zone = toIanaZone(timeZone);
	// Graph gives wall-clock time without offset (e.g. 2026-03-01T09:00:00.0000000) in `timeZone`.
	const text = dateTime.replace(/(\.\d{3})\d+/, '$1');
	const parsed = /[zZ]|[+-]\d\d:?\d\d$/.test(text)
		? DateTime.fromISO(text, { setZone: true })
		: DateTime.fromISO(text, { zone });
	if (!parsed.isValid) throw new TimeZoneError(`invalid date and time "${dateTime}"`);
	return parsed.toUTC();
}

/** An instant as a Graph `dateTimeTimeZone` in the given zone (wall-clock time, no offset, Windows name). */
export function toGraphDateTime(instant: DateTime, zone: string): DateTimeTimeZone {
	const iana = toIanaZone(zone);
	const local = instant.setZone(iana);
	return { dateTime: local.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: toWindowsZone(iana) };
}

/** A date (all-day) as a Graph `dateTimeTimeZone`: midnight of that day in the zone. */
export function toGraphDate(date: string, zone: string): DateTimeTimeZone {
	return { dateTime: `${date}T00:00:00`, timeZone: toWindowsZone(zone) };
}

/** Parses an LN date (UTC ISO; LN sends `Z`) as an instant. */
export function parseInstant(value: unknown, label = 'date'): DateTime {
	if (typeof value !== 'string' || value.trim() === '') throw new TimeZoneError(`missing ${label}`);
	return remembered(`l|${value}`, () => {
		const parsed = DateTime.fromISO(value.trim(), { zone: 'UTC', setZone: false });
		if (!parsed.isValid) throw new TimeZoneError(`invalid ${label} "${value}"`);
		return parsed.toUTC();
	});
}

/** Canonical instant text: UTC to the minute, so sub-minute noise never counts as a change. */
export function canonicalInstant(instant: DateTime): string {
	// The ISO text cut after the minutes is the instant floored to the minute (luxon's formatting is slow).
	return `${new Date(instant.toMillis()).toISOString().slice(0, 16)}Z`;
}

/** LN date text: UTC without milliseconds. */
export function lnInstant(instant: DateTime): string {
	return instant.toUTC().set({ millisecond: 0 }).toISO({ suppressMilliseconds: true })!;
}

export interface TimeWindow {
	start: DateTime;
	end: DateTime;
}

export const MAX_HORIZON_DAYS = 1825;

/** The sync window: now → now + horizon days. Graph's calendarView allows at most 1,825 days. */
/** Past records are never touched: an LN activity that ended before now is one. */
export function isPastActivity(activity: { end?: string | null }, now: DateTime): boolean {
	return Boolean(activity.end) && parseInstant(activity.end) < now;
}

export function syncWindow(now: DateTime, horizonDays: number): TimeWindow {
	if (!Number.isFinite(horizonDays) || horizonDays < 1) {
		throw new RangeError(`The horizon must be at least 1 day (got ${horizonDays})`);
	}
	if (horizonDays > MAX_HORIZON_DAYS) {
		throw new RangeError(`The horizon can be at most ${MAX_HORIZON_DAYS} days, Microsoft Graph's calendar range limit (got ${horizonDays})`);
	}
	const start = now.toUTC();
	return { start, end: start.plus({ days: horizonDays }) };
}
