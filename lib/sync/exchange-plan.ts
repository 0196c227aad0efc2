import type { Event } from '@microsoft/microsoft-graph-types';
import type { DateTime } from 'luxon';

import {
	canonicalFromEvent,
	eventOrganizer,
	graphShowAsToLn,
	fieldsChangedSince,
	graphTypeToRole,
	lnActivityFields,
	normalizeEmail,
	responseToStatus,
	sameContent,
	SYNC_FIELDS,
	syncHash,
} from './canonical';
import { withResponses, type ActivityUpdate, type LinkedEvent } from './event-plan';
import { parseKey, verifyLink, type ExtendedProperty, type OccurrenceLink } from './link';
import { ownerOf, type SyncUserIndex } from './sync-users';
import { fromGraphDateTime, type DateTimeTimeZone } from './time';

/**
 * Exchange → LN: what each changed event of a mailbox means for LN. Linked single events
 * are reconciled with their activity by the LN → Exchange plan (event-plan.ts), which reads both; this
 * plan decides about everything else: new events become LN appointments (in one mailbox only),
 * occurrences of series follow their appointments, past, private, cancelled and foreign events are
 * skipped with their reason, our own writes are recognised as echoes. Pure: reading is lib/graph/changes.ts.
 */

/** What LN's Appointment → Create needs, in LN terms (logical names). */
export interface AppointmentPayload {
	subject: string;
	start: string;
	end: string;
	allDay: boolean;
	location: string;
	text: string;
	showTimeAs: string;
	reminder: boolean;
	reminderMinutes: number;
	sensitivity: string;
	reference: string;
	/** The mailbox the event was read from (its owner's line is the one known to hold the event). */
	mailbox: string;
	attendees: AppointmentAttendee[];
}

export interface AppointmentAttendee {
	email: string;
	name?: string;
	role: 'Required' | 'Optional' | 'Resource' | 'MeetingOrganizer';
	status: string;
	invite: boolean;
	/** The meeting is not in this sync user's calendar: the attendee declined it, or it was looked for there and not found. */
	notInCalendar?: boolean;
}

export type ChangeAction = 'createInLn' | 'updateLn' | 'cancelInLn' | 'none' | 'skip';

export interface ExchangeChange {
	mailbox: string;
	eventId: string;
	iCalUId?: string;
	changeType: 'changed' | 'removed';
	removedReason?: 'deleted' | 'changed';
	type?: string;
	seriesMasterId?: string;
	linkedKey?: string;
	company?: string;
	activity?: string;
	contentChanged?: boolean;
	echo?: boolean;
	isOrganizer?: boolean;
	isCancelled?: boolean;
	organizer?: string;
	owner?: string;
	subject?: string;
	start?: string;
	end?: string;
	action: ChangeAction;
	reason?: string;
	appointment?: AppointmentPayload;
	/** LN changes for updateLn / cancelInLn (same shape as Sync From LN Activity's update). */
	update?: ActivityUpdate;
	/** Content hash of the event, stored when it is linked. */
	hash?: string;
	origin?: 'exchange';
}

export type EventWithProps = Event & { singleValueExtendedProperties?: ExtendedProperty[]; '@removed'?: { reason?: string } };

export interface SeriesInfo {
	master?: EventWithProps;
	instances: Map<string, EventWithProps>;
	links: OccurrenceLink[];
}

export interface ExchangeSnapshot {
	mailbox: string;
	company: string;
	syncUsers: SyncUserIndex;
	now: DateTime;
	allowPrivate: boolean;
	occurrenceCap: number;
	linkKey: Buffer;
	/** Items of the delta round, and changes handed to LN earlier that are still open. */
	items: EventWithProps[];
	/** Items that only echo our own writes (their changeKey is the one our write left). */
	echoes: EventWithProps[];
	/** Linked single events of the mailbox, by id. */
	linked: Map<string, LinkedEvent>;
	/** Series of the mailbox, by master id (with their instances in the window and occurrence links). */
	series: Map<string, SeriesInfo>;
	/** Linked occurrences that left the window, read again: id → the occurrence now (null: gone). */
	moved?: Map<string, EventWithProps | null>;
	/** Meetings looked for in other sync users' calendars: iCalUId → mailbox → whether it holds the meeting. */
	heldElsewhere?: Map<string, Map<string, boolean>>;
}

/** A meeting to look for in another sync user's calendar before this mailbox leaves it to her. */
export interface OwnerLookup {
	mailbox: string;
	iCalUId: string;
}

export interface ExchangePlan {
	changes: ExchangeChange[];
	/** Ids of linked occurrences to read again before the plan is final (they left the window). */
	reread: string[];
	/** To look up before the plan is final: a meeting skipped as another attendee's may be missing from her calendar. */
	lookups: OwnerLookup[];
}

export function planExchangeChanges(snapshot: ExchangeSnapshot): ExchangePlan {
	const changes: ExchangeChange[] = [];
	const reread = new Set<string>();
	for (const item of snapshot.echoes) {
		changes.push({ ...base(item, snapshot.mailbox, item['@removed'] ? 'removed' : 'changed'), reason: 'an echo of our own write', echo: true });
	}
	const createdPerSeries = new Map<string, number>();
	const seen = new Set<string>();
	const ordered = [...snapshot.items].sort((a, b) => String(a.start?.dateTime ?? '').localeCompare(String(b.start?.dateTime ?? '')));
	for (const item of ordered) {
		// The same item can appear several times in one round; it is classified once.
		const mark = `${item.id}|${item['@removed'] ? 'r' : 'c'}`;
		if (seen.has(mark)) continue;
		seen.add(mark);
		if (item['@removed']) {
			changes.push(classifyRemoved(item, snapshot, reread, createdPerSeries));
			continue;
		}
		if (item.type === 'seriesMaster') continue;
		if (item.seriesMasterId) {
			const info = snapshot.series.get(item.seriesMasterId);
			const instance = info?.instances.get(item.id!) ?? item;
			changes.push(classifyOccurrence(mergeOccurrence(info?.master, instance), snapshot, info, createdPerSeries, false));
			continue;
		}
		changes.push(classifySingle(item, snapshot, snapshot.linked.get(item.id!)));
	}
	return { changes, reread: [...reread], lookups: ownerLookups(changes, snapshot) };
}

/**
 * A meeting organized outside the sync users goes to LN from the calendar of its first sync-user
 * attendee by address (ownerOf). She may have declined or deleted her invitation before any run saw
 * it, and then nobody would take it: so the attendee skipping it asks whether her calendar holds it.
 */
function ownerLookups(changes: ExchangeChange[], snapshot: ExchangeSnapshot): OwnerLookup[] {
	const lookups = new Map<string, OwnerLookup>();
	for (const change of changes) {
		const { owner, iCalUId } = change;
		if (change.action !== 'skip' || !owner || !iCalUId || owner === normalizeEmail(snapshot.mailbox)) continue;
		if (change.isOrganizer || owner === change.organizer) continue;
		if (snapshot.heldElsewhere?.get(iCalUId)?.has(owner)) continue;
		lookups.set(`${owner} ${iCalUId}`, { mailbox: owner, iCalUId });
	}
	return [...lookups.values()];
}

/** Which items need the mailbox's links to be classified (the others are decided without reading them). */
export function needsLinks(item: EventWithProps, snapshot: Pick<ExchangeSnapshot, 'mailbox' | 'syncUsers'>): boolean {
	if (item['@removed']) return true;
	return item.type !== 'seriesMaster' && !ownedElsewhere(item, snapshot);
}

export function mergeOccurrence(master: EventWithProps | undefined, occurrence: EventWithProps): EventWithProps {
	if (!master) return occurrence;
	const defined = Object.fromEntries(Object.entries(occurrence).filter(([, value]) => value !== undefined && value !== null));
	return { ...master, singleValueExtendedProperties: undefined, ...defined };
}

/** An attendee's copy of a meeting another sync user organizes: that user's run handles it. */
function ownedElsewhere(event: EventWithProps, snapshot: Pick<ExchangeSnapshot, 'mailbox' | 'syncUsers'>): boolean {
	if (event.isOrganizer || event.seriesMasterId) return false;
	const organizer = eventOrganizer(event);
	return Boolean(organizer && organizer !== normalizeEmail(snapshot.mailbox) && snapshot.syncUsers.isSyncMailbox(organizer));
}

function base(event: EventWithProps, mailbox: string, changeType: ExchangeChange['changeType']): ExchangeChange {
	return {
		mailbox,
		eventId: event.id!,
		iCalUId: event.iCalUId ?? undefined,
		changeType,
		type: event.type ?? undefined,
		seriesMasterId: event.seriesMasterId ?? undefined,
		isOrganizer: event.isOrganizer ?? undefined,
		isCancelled: event.isCancelled ?? undefined,
		organizer: eventOrganizer(event),
		subject: event.subject ?? undefined,
		start: event.start?.dateTime ?? undefined,
		end: event.end?.dateTime ?? undefined,
		action: 'none',
	};
}

function occurrenceLinkOf(snapshot: ExchangeSnapshot, eventId: string | undefined, iCalUId?: string | null): { info: SeriesInfo; link: OccurrenceLink } | undefined {
	for (const info of snapshot.series.values()) {
		const link = info.links.find((l) => (iCalUId && l.iCalUId === iCalUId) || (eventId && l.eventId === eventId));
		if (link) return { info, link };
	}
	return undefined;
}

/**
 * The LN side checks every change an occurrence asks for (guard.ts): the entry on the series master
 * is only a claim, signed or not, and the mailbox's user must take part in the activity it names.
 */
function guarded(update: Omit<ActivityUpdate, 'guard'>, snapshot: ExchangeSnapshot, link: OccurrenceLink): ActivityUpdate {
	return { ...update, guard: { mailbox: snapshot.mailbox, iCalUId: link.iCalUId, scope: 'activity' } };
}

function classifyRemoved(item: EventWithProps, snapshot: ExchangeSnapshot, reread: Set<string>, createdPerSeries: Map<string, number>): ExchangeChange {
	const change = base(item, snapshot.mailbox, 'removed');
	const reason = item['@removed']?.reason === 'deleted' ? 'deleted' : 'changed';
	change.removedReason = reason;
	const linked = occurrenceLinkOf(snapshot, item.id ?? undefined);
	if (reason === 'changed') {
		change.reason = 'left the window: not a deletion';
		if (!linked) return change;
		// A linked occurrence moved out of the window: its appointment follows the move once.
		const now = snapshot.moved?.get(item.id!);
		if (now === undefined) {
			reread.add(item.id!);
			return change;
		}
		if (now !== null) return classifyOccurrence(mergeOccurrence(linked.info.master, now), snapshot, linked.info, createdPerSeries, true);
		// Missing from a full read of the window and gone from Exchange: deleted while no delta link could say so.
		if (item['@removed']?.reason !== 'missing') return change;
		change.removedReason = 'deleted';
	}
	if (linked) {
		change.activity = linked.link.activity;
		change.company = snapshot.company;
		change.iCalUId = linked.link.iCalUId;
		// A removed item comes with its id only: the unlink needs the series that holds the link.
		change.seriesMasterId = linked.info.master?.id ?? undefined;
		change.action = 'cancelInLn';
		change.reason = 'an occurrence was cancelled or deleted in Exchange';
		change.update = guarded({ activity: linked.link.activity, fields: { status: 'Cancelled' } }, snapshot, linked.link);
		return change;
	}
	change.reason = 'deleted: a linked event is checked by Sync From LN Activity';
	return change;
}

function endsBefore(event: EventWithProps, now: DateTime, change: ExchangeChange): boolean {
	let end: DateTime;
	try {
		end = fromGraphDateTime(event.end as DateTimeTimeZone);
	} catch {
		change.action = 'skip';
		change.reason = 'the event has no valid end';
		return true;
	}
	if (end < now) {
		change.action = 'skip';
		change.reason = 'past event: never synchronized';
		return true;
	}
	return false;
}

function classifySingle(event: EventWithProps, snapshot: ExchangeSnapshot, linked: LinkedEvent | undefined): ExchangeChange {
	const change = base(event, snapshot.mailbox, 'changed');
	if (endsBefore(event, snapshot.now, change)) return change;
	const key = parseKey(linked?.key);
	if (linked && key) {
		const hash = safeHash(event, true);
		change.linkedKey = linked.key;
		change.company = key.company;
		change.activity = key.id;
		change.hash = hash;
		change.contentChanged = linked.state ? !sameContent(hash, linked.state.hash) : undefined;
		change.echo = linked.state ? sameContent(hash, linked.state.hash) : false;
		change.reason = change.echo ? 'an echo of the last sync' : 'linked: reconciled by Sync From LN Activity';
		return change;
	}
	if (typeof event.transactionId === 'string' && event.transactionId.startsWith('lnsync-')) {
		change.reason = 'created from LN but not linked (yet): Sync From LN Activity handles it';
		return change;
	}
	return toCreate(event, snapshot, change);
}

function classifyOccurrence(
	event: EventWithProps,
	snapshot: ExchangeSnapshot,
	info: SeriesInfo | undefined,
	createdPerSeries: Map<string, number>,
	movedOut: boolean,
): ExchangeChange {
	const change = base(event, snapshot.mailbox, 'changed');
	const link = info?.links.find((l) => l.iCalUId === event.iCalUId || l.eventId === event.id);
	// A linked occurrence that moved into the past takes its appointment along (the move was made while it was ahead).
	if (!(link && movedOut) && endsBefore(event, snapshot.now, change)) return change;
	const hash = safeHash(event, true);
	if (link) {
		change.company = snapshot.company;
		change.activity = link.activity;
		change.iCalUId = link.iCalUId;
		change.hash = hash;
		change.contentChanged = !sameContent(hash, link.hash);
		change.echo = sameContent(hash, link.hash);
		if (verifyLink(snapshot.linkKey, { company: snapshot.company, activity: link.activity, mailbox: snapshot.mailbox, iCalUId: link.iCalUId }, link.signature) !== 'signed') {
			change.reason = 'an occurrence link that is not signed by us: LN checks it before any change';
		}
		if (event.isCancelled) {
			change.action = 'cancelInLn';
			change.reason = 'an occurrence was cancelled in Exchange';
			change.update = guarded({ activity: link.activity, fields: { status: 'Cancelled' } }, snapshot, link);
			return change;
		}
		if (change.contentChanged) {
			const canonical = canonicalFromEvent(event, true);
			// Only what changed in Exchange since the link: LN's own edits of other fields stand (and go to Exchange).
			const fields = fieldsChangedSince(link.hash, canonical) ?? SYNC_FIELDS;
			change.action = 'updateLn';
			change.reason = movedOut ? 'an occurrence moved out of the window in Exchange' : 'an occurrence changed in Exchange';
			change.update = guarded(
				{ activity: link.activity, fields: lnActivityFields(canonical, fields.filter((f) => f !== 'attendees')), ...(fields.includes('attendees') ? { attendeesFromExchange: withResponses(canonical.attendees ?? [], event) } : {}) },
				snapshot,
				link,
			);
			change.origin = 'exchange';
		} else {
			change.reason = 'an echo of the last sync';
		}
		return change;
	}
	const seriesId = event.seriesMasterId!;
	const already = (info?.links.length ?? 0) + (createdPerSeries.get(seriesId) ?? 0);
	if (already >= snapshot.occurrenceCap) {
		change.action = 'skip';
		change.reason = `the series already has ${snapshot.occurrenceCap} occurrences in LN (the cap)`;
		return change;
	}
	const result = toCreate(event, snapshot, change);
	if (result.action === 'createInLn') createdPerSeries.set(seriesId, (createdPerSeries.get(seriesId) ?? 0) + 1);
	return result;
}

function safeHash(event: Event, includeAttendees: boolean): string | undefined {
	try {
		return syncHash(canonicalFromEvent(event, includeAttendees));
	} catch {
		return undefined;
	}
}

function toCreate(event: EventWithProps, snapshot: ExchangeSnapshot, change: ExchangeChange): ExchangeChange {
	if (event.isCancelled) {
		change.action = 'skip';
		change.reason = 'cancelled in Exchange';
		return change;
	}
	const sensitivity = String(event.sensitivity ?? 'normal');
	if ((sensitivity === 'private' || sensitivity === 'confidential') && !snapshot.allowPrivate) {
		change.action = 'skip';
		change.reason = `a ${sensitivity} event: skipped (private events are off)`;
		return change;
	}
	const lacking = new Set([...(snapshot.heldElsewhere?.get(event.iCalUId ?? '') ?? [])].filter(([, holds]) => !holds).map(([mailbox]) => mailbox));
	const owner = ownerOf(event, snapshot.mailbox, snapshot.syncUsers, lacking);
	change.owner = owner;
	if (owner !== normalizeEmail(snapshot.mailbox)) {
		change.action = 'skip';
		change.reason = `created in LN from the calendar of ${owner ?? 'another sync user'}, not this one`;
		return change;
	}
	try {
		const canonical = canonicalFromEvent(event, true);
		const fields = lnActivityFields(canonical);
		change.hash = syncHash(canonical);
		change.appointment = {
			subject: canonical.subject,
			start: String(fields.start),
			end: String(fields.end),
			allDay: canonical.allDay,
			location: canonical.location,
			text: canonical.body,
			showTimeAs: graphShowAsToLn(canonical.showAs),
			reminder: canonical.reminder !== null,
			reminderMinutes: canonical.reminder ?? 0,
			sensitivity: sensitivity === 'private' ? 'Private' : sensitivity === 'confidential' ? 'Confidential' : sensitivity === 'personal' ? 'Personal' : 'Normal',
			reference: event.iCalUId ?? '',
			mailbox: normalizeEmail(snapshot.mailbox),
			attendees: appointmentAttendees(event, snapshot.mailbox, lacking),
		};
	} catch (error) {
		change.action = 'skip';
		change.reason = `cannot be read: ${(error as Error).message}`;
		return change;
	}
	if (!change.appointment.reference) {
		change.action = 'skip';
		change.reason = 'the event has no iCalUId';
		return change;
	}
	change.action = 'createInLn';
	change.company = snapshot.company;
	change.origin = 'exchange';
	change.reason = 'new in Exchange';
	return change;
}

function appointmentAttendees(event: Event, mailbox: string, lacking: ReadonlySet<string>): AppointmentAttendee[] {
	const owner = normalizeEmail(mailbox);
	const organizer = eventOrganizer(event);
	const list: AppointmentAttendee[] = [];
	if (event.isOrganizer) {
		list.push({ email: owner, role: 'MeetingOrganizer', status: 'Accepted', invite: false });
	} else if (organizer) {
		list.push({ email: organizer, name: event.organizer?.emailAddress?.name ?? undefined, role: 'MeetingOrganizer', status: 'Accepted', invite: false });
	}
	for (const attendee of event.attendees ?? []) {
		const email = normalizeEmail(attendee.emailAddress?.address ?? '');
		if (!email || email === organizer || (event.isOrganizer && email === owner)) continue;
		const response = email === owner && !event.isOrganizer ? event.responseStatus?.response : attendee.status?.response;
		list.push({
			email,
			name: attendee.emailAddress?.name ?? undefined,
			role: graphTypeToRole(attendee.type),
			status: responseToStatus(response),
			invite: true,
			...(response === 'declined' || lacking.has(email) ? { notInCalendar: true } : {}),
		});
	}
	return list;
}
