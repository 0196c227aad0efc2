import { createHash } from 'node:crypto';

import type { Attendee, Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import type { AttendanceRole, AttendanceStatus, ShowTimeAs } from '../ln/contract';
import type { LnActivity, LnAttendee } from './model';
import {
	canonicalInstant,
	fromGraphDateTime,
	parseInstant,
	toGraphDate,
	toGraphDateTime,
	type DateTimeTimeZone,
} from './time';

export type GraphShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';
export type GraphAttendeeType = 'required' | 'optional' | 'resource';

export interface CanonicalAttendee {
	email: string;
	type: GraphAttendeeType;
}

/**
 * The synchronized content of a calendar item, the same whichever side it was read from, so that
 * equal content gives equal hashes. Timed items: UTC to the minute; all-day items: dates, end exclusive.
 */
export interface CanonicalEvent {
	subject: string;
	allDay: boolean;
	start: string;
	end: string;
	location: string;
	body: string;
	showAs: GraphShowAs;
	/** Minutes before start, or null when the reminder is off. */
	reminder: number | null;
	/** Sorted by e-mail; absent when the item carries no attendee list (direct copies). */
	attendees?: CanonicalAttendee[];
}

export const SUBJECT_MAX = 255;
export const MAX_ATTENDEES = 500;

const SHOW_AS_FROM_LN: Record<string, GraphShowAs> = {
	Free: 'free',
	Tentative: 'tentative',
	Busy: 'busy',
	OutOfOffice: 'oof',
	WorkingElsewhere: 'workingElsewhere',
};
const SHOW_AS_TO_LN: Record<string, ShowTimeAs> = {
	free: 'Free',
	tentative: 'Tentative',
	busy: 'Busy',
	oof: 'OutOfOffice',
	workingElsewhere: 'WorkingElsewhere',
	unknown: 'Busy',
};
const ROLE_TO_TYPE: Partial<Record<AttendanceRole, GraphAttendeeType>> = {
	Required: 'required',
	Optional: 'optional',
	Resource: 'resource',
};
const TYPE_TO_ROLE: Record<GraphAttendeeType, AttendanceRole> = {
	required: 'Required',
	optional: 'Optional',
	resource: 'Resource',
};
const RESPONSE_TO_STATUS: Record<string, AttendanceStatus> = {
	accepted: 'Accepted',
	tentativelyAccepted: 'Tentative',
	declined: 'Declined',
	none: 'None',
	notResponded: 'None',
	organizer: 'Accepted',
};

export function lnShowAsToGraph(value: string | undefined): GraphShowAs {
	return SHOW_AS_FROM_LN[String(value ?? 'Busy')] ?? 'busy';
}
export function graphShowAsToLn(value: string | undefined | null): ShowTimeAs {
	return SHOW_AS_TO_LN[String(value ?? 'busy')] ?? 'Busy';
}
export function graphTypeToRole(type: string | undefined | null): AttendanceRole {
	return TYPE_TO_ROLE[(type ?? 'required') as GraphAttendeeType] ?? 'Required';
}
export function responseToStatus(response: string | undefined | null): AttendanceStatus {
	return RESPONSE_TO_STATUS[String(response ?? 'none')] ?? 'None';
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
export function isValidEmail(value: string | undefined | null): boolean {
	return typeof value === 'string' && value.length <= 254 && EMAIL.test(value.trim());
}
export function normalizeEmail(value: string): string {
	return value.trim().toLowerCase();
}

/** Plain text of a body: HTML reduced to text, line ends unified, NUL bytes and trailing spaces dropped. */
export function normalizeBody(content: string | undefined | null, contentType?: string | null): string {
	let text = String(content ?? '');
	if (String(contentType ?? '').toLowerCase() === 'html' || /<\s*(html|body|div|p|br)\b/i.test(text)) text = htmlToText(text);
	return text
		.replace(/\u0000/g, '')
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map((line) => line.replace(/[ \t\u00a0]+$/g, ''))
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

function htmlToText(html: string): string {
	return html
		.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>/gi, '\n')
		.replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/gi, ' ')
		.replace(/&lt;/gi, '<')
		.replace(/&gt;/gi, '>')
		.replace(/&quot;/gi, '"')
		.replace(/&#39;|&apos;/gi, "'")
		.replace(/&amp;/gi, '&');
}

export function normalizeText(value: string | undefined | null): string {
	return String(value ?? '')
		.replace(/\u0000/g, '')
		.replace(/\s+/g, ' ')
		.trim();
}

/** Invited attendees of an activity who can appear in an Exchange attendee list. */
export function invitedAttendees(activity: LnActivity): LnAttendee[] {
	return activity.attendees.filter(
		(a) => a.invite && a.role !== 'MeetingOrganizer' && isValidEmail(a.email),
	);
}

export function organizerOf(activity: LnActivity): LnAttendee | undefined {
	return activity.attendees.find((a) => a.role === 'MeetingOrganizer');
}

/** Canonical attendee list: one entry per e-mail (the strongest role wins), sorted. */
export function canonicalAttendees(entries: Array<{ email: string; type: GraphAttendeeType }>): CanonicalAttendee[] {
	const rank: Record<GraphAttendeeType, number> = { required: 3, optional: 2, resource: 1 };
	const byEmail = new Map<string, CanonicalAttendee>();
	for (const entry of entries) {
		const email = normalizeEmail(entry.email);
		const existing = byEmail.get(email);
		if (!existing || rank[entry.type] > rank[existing.type]) byEmail.set(email, { email, type: entry.type });
	}
	return [...byEmail.values()].sort((a, b) => a.email.localeCompare(b.email));
}

/** LN all-day dates: the UTC calendar date of the start; the end is exclusive (a non-midnight end counts its day). */
function lnAllDayRange(start: DateTime, end: DateTime): { start: string; end: string } {
	const startDate = start.toUTC().startOf('day');
	const endUtc = end.toUTC();
	let endDate = endUtc.startOf('day');
	if (!endUtc.equals(endDate) || endDate <= startDate) endDate = endDate.plus({ days: 1 });
	return { start: startDate.toISODate()!, end: endDate.toISODate()! };
}

export function canonicalFromActivity(activity: LnActivity, includeAttendees: boolean): CanonicalEvent {
	const start = parseInstant(activity.start, 'start');
	const end = parseInstant(activity.end, 'end');
	const range = activity.allDay ? lnAllDayRange(start, end) : { start: canonicalInstant(start), end: canonicalInstant(end) };
	const canonical: CanonicalEvent = {
		subject: normalizeText(activity.subject),
		allDay: Boolean(activity.allDay),
		start: range.start,
		end: range.end,
		location: normalizeText(activity.location),
		body: normalizeBody(activity.text, 'text'),
		showAs: lnShowAsToGraph(activity.showTimeAs),
		reminder: activity.reminder ? Math.max(0, Math.round(Number(activity.reminderMinutes ?? 15))) : null,
	};
	if (includeAttendees) {
		canonical.attendees = canonicalAttendees(
			invitedAttendees(activity).map((a) => ({ email: a.email!, type: ROLE_TO_TYPE[a.role] ?? 'required' })),
		);
	}
	return canonical;
}

/** The organizer's address of an event, lower-cased. */
export function eventOrganizer(event: Event): string | undefined {
	const address = event.organizer?.emailAddress?.address;
	return address ? normalizeEmail(address) : undefined;
}

export function eventAttendees(event: Event): CanonicalAttendee[] {
	const organizer = eventOrganizer(event);
	return canonicalAttendees(
		(event.attendees ?? [])
			.filter((a): a is Attendee & { emailAddress: { address: string } } => Boolean(a.emailAddress?.address))
			.filter((a) => normalizeEmail(a.emailAddress.address) !== organizer)
			.map((a) => ({ email: a.emailAddress.address, type: (a.type ?? 'required') as GraphAttendeeType })),
	);
}

/**
 * Canonical content of a Graph event read in UTC (no outlook.timezone preference).
 */
export function canonicalFromEvent(event: Event, includeAttendees: boolean): CanonicalEvent {
	const start = fromGraphDateTime(event.start as DateTimeTimeZone);
	const end = fromGraphDateTime(event.end as DateTimeTimeZone);
	// All-day events are floating dates: Graph gives their midnights in whatever zone it answers in.
	const range = event.isAllDay
		? { start: String(event.start?.dateTime).slice(0, 10), end: String(event.end?.dateTime).slice(0, 10) }
		: { start: canonicalInstant(start), end: canonicalInstant(end) };
	const canonical: CanonicalEvent = {
		subject: normalizeText(event.subject),
		allDay: Boolean(event.isAllDay),
		start: range.start,
		end: range.end,
		location: normalizeText(event.location?.displayName),
		body: normalizeBody(event.body?.content, event.body?.contentType),
		showAs: ((event.showAs as GraphShowAs) ?? 'busy') === 'unknown' ? 'busy' : ((event.showAs as GraphShowAs) ?? 'busy'),
		reminder: event.isReminderOn ? Math.max(0, Math.round(Number(event.reminderMinutesBeforeStart ?? 15))) : null,
	};
	if (includeAttendees) canonical.attendees = eventAttendees(event);
	return canonical;
}

export function hashCanonical(canonical: CanonicalEvent | Record<string, unknown>): string {
	return sha256Hex(stableStringify(canonical)).slice(0, 32);
}

/**
 * SHA-256 of a text, remembered for the last few thousand texts: a run hashes the same field
 * values over and over (both sides of every unchanged pair, the same activity in each attendee's
 * mailbox). Bounded, so memory does not grow with the tenant.
 */
const recentDigests = new Map<string, string>();
function sha256Hex(text: string): string {
	let hex = recentDigests.get(text);
	if (hex === undefined) {
		hex = createHash('sha256').update(text).digest('hex');
		if (recentDigests.size >= 4096) recentDigests.clear();
		recentDigests.set(text, hex);
	}
	return hex;
}

/** The synchronized fields, in the order of their digests in a sync hash. */
export const SYNC_FIELDS: Array<keyof CanonicalEvent> = ['subject', 'allDay', 'start', 'end', 'location', 'body', 'showAs', 'reminder', 'attendees'];

/**
 * What a link stores of the content both sides held at the last sync: the hash of the whole, and a
 * short digest per field, so that a later run tells which fields each side changed since — edits of
 * different fields on both sides are merged, never lost.
 */
export function syncHash(canonical: CanonicalEvent): string {
	// Each field is written out once, for its digest and as its part of the whole (stableStringify's text).
	const texts = new Map<string, string>();
	const digests = SYNC_FIELDS.map((field) => {
		const text = stableStringify(canonical[field] ?? null);
		texts.set(field, text);
		return sha256Hex(text).slice(0, 4);
	});
	const record = canonical as unknown as Record<string, unknown>;
	const whole = `{${Object.keys(record)
		.filter((k) => record[k] !== undefined)
		.sort()
		.map((k) => `${JSON.stringify(k)}:${texts.get(k) ?? stableStringify(record[k])}`)
		.join(',')}}`;
	return `${sha256Hex(whole).slice(0, 32)}.${digests.join('')}`;
}

/** Equal content, whether each hash carries field digests or not. */
export function sameContent(a: string | undefined | null, b: string | undefined | null): boolean {
	return Boolean(a) && Boolean(b) && String(a).split('.')[0] === String(b).split('.')[0];
}

/** The fields of `canonical` that differ from what `stored` was made of; undefined when it carries no field digests. */
export function fieldsChangedSince(stored: string | undefined | null, canonical: CanonicalEvent): Array<keyof CanonicalEvent> | undefined {
	const before = String(stored ?? '').split('.')[1];
	if (!before || before.length !== SYNC_FIELDS.length * 4) return undefined;
	const now = syncHash(canonical).split('.')[1];
	return SYNC_FIELDS.filter((_, i) => before.slice(i * 4, i * 4 + 4) !== now.slice(i * 4, i * 4 + 4));
}

/** JSON with sorted keys, so equal objects give equal text. */
export function stableStringify(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value as Record<string, unknown>)
			.filter((k) => (value as Record<string, unknown>)[k] !== undefined)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value ?? null);
}

/** The Graph event fields for canonical content; `fields` limits them to what changed. */
export function graphEventFields(
	canonical: CanonicalEvent,
	zone: string,
	fields?: Array<keyof CanonicalEvent>,
): Partial<Event> {
	const want = (name: keyof CanonicalEvent) => !fields || fields.includes(name);
	const body: Partial<Event> = {};
	if (want('subject')) body.subject = canonical.subject;
	if (want('start') || want('end') || want('allDay')) {
		body.isAllDay = canonical.allDay;
		if (canonical.allDay) {
			body.start = toGraphDate(canonical.start, zone);
			body.end = toGraphDate(canonical.end, zone);
		} else {
			body.start = toGraphDateTime(DateTime.fromISO(canonical.start, { zone: 'UTC' }), zone);
			body.end = toGraphDateTime(DateTime.fromISO(canonical.end, { zone: 'UTC' }), zone);
		}
	}
	if (want('location')) body.location = { displayName: canonical.location };
	if (want('body')) body.body = { contentType: 'text', content: canonical.body };
	if (want('showAs')) body.showAs = canonical.showAs;
	if (want('reminder')) {
		body.isReminderOn = canonical.reminder !== null;
		if (canonical.reminder !== null) body.reminderMinutesBeforeStart = canonical.reminder;
	}
	if (canonical.attendees && want('attendees')) {
		body.attendees = canonical.attendees.map((a) => ({ emailAddress: { address: a.email }, type: a.type }));
	}
	return body;
}

/** Which canonical fields differ between two versions. */
export function changedFields(from: CanonicalEvent, to: CanonicalEvent): Array<keyof CanonicalEvent> {
	const keys: Array<keyof CanonicalEvent> = ['subject', 'allDay', 'start', 'end', 'location', 'body', 'showAs', 'reminder', 'attendees'];
	return keys.filter((key) => stableStringify(from[key]) !== stableStringify(to[key]));
}

/** LN field values (logical names) for canonical content, e.g. to update an activity from Exchange. */
export function lnActivityFields(canonical: CanonicalEvent, fields?: Array<keyof CanonicalEvent>): Record<string, unknown> {
	const want = (name: keyof CanonicalEvent) => !fields || fields.includes(name);
	const out: Record<string, unknown> = {};
	if (want('subject')) out.subject = canonical.subject;
	if (want('start') || want('end') || want('allDay')) {
		out.allDay = canonical.allDay;
		if (canonical.allDay) {
			out.start = `${canonical.start}T00:00:00Z`;
			out.end = `${canonical.end}T00:00:00Z`;
		} else {
			out.start = canonical.start.replace(/Z$/, ':00Z');
			out.end = canonical.end.replace(/Z$/, ':00Z');
		}
	}
	if (want('location')) out.location = canonical.location;
	if (want('body')) out.text = canonical.body;
	if (want('showAs')) out.showTimeAs = graphShowAsToLn(canonical.showAs);
	if (want('reminder')) {
		out.reminder = canonical.reminder !== null;
		out.reminderMinutes = canonical.reminder ?? 0;
	}
	return out;
}
