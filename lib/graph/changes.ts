import type { Event } from '@microsoft/microsoft-graph-types';
import type { DateTime } from 'luxon';

import {
	canonicalFromEvent,
	eventOrganizer,
	graphShowAsToLn,
	graphTypeToRole,
	hashCanonical,
	lnActivityFields,
	normalizeEmail,
	responseToStatus,
} from '../sync/canonical';
import type { ActivityUpdate, LinkedEvent } from '../sync/event-plan';
import {
	decodeOccurrences,
	decodeState,
	expandOurProperties,
	LN_KEY_PROPERTY,
	LN_OCCURRENCES_PROPERTY,
	LN_STATE_PROPERTY,
	parseKey,
	propertyValue,
	seriesKey,
	type ExtendedProperty,
	type OccurrenceLink,
} from '../sync/link';
import type { SyncUserIndex } from '../sync/sync-users';
import { fromGraphDateTime, type DateTimeTimeZone } from '../sync/time';
import { EVENT_FIELDS, readLinks, READ_HEADERS, userPath, type MailboxLinks } from './calendar';
import { normalizeKey } from './echoes';
import { GraphApiError, type GraphTransport } from './transport';

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
	attendees: Array<{ email: string; name?: string; role: 'Required' | 'Optional' | 'Resource' | 'MeetingOrganizer'; status: string; invite: boolean }>;
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

/** A change handed to LN in an earlier run, checked again until its link shows it was done. */
export interface PendingChange {
	eventId: string;
	action: 'createInLn' | 'updateLn' | 'cancelInLn';
	seriesMasterId?: string;
	activity?: string;
}

export interface DeltaCursor {
	deltaLink: string;
	windowStart: string;
	windowEnd: string;
	pending?: PendingChange[];
}

export interface ChangesRequest {
	mailbox: string;
	/** Items we wrote since the last call, with the changeKey each write left (see echoes.ts). */
	echoes?: Map<string, string>;
	company: string;
	syncUsers: SyncUserIndex;
	now: DateTime;
	horizonDays: number;
	allowPrivate: boolean;
	occurrenceCap: number;
	cursor?: DeltaCursor;
	pageSize?: number;
}

export interface ChangesResult {
	changes: ExchangeChange[];
	cursor: DeltaCursor;
	/** A full re-read happened (first call, window moved on, or the delta token expired). */
	fullRead: boolean;
	fullReadReason?: string;
}

type EventWithProps = Event & { singleValueExtendedProperties?: ExtendedProperty[]; '@removed'?: { reason?: string } };

/** The delta window starts at the beginning of the day, so one token serves a whole day. */
function windowFor(now: DateTime, horizonDays: number): { start: DateTime; end: DateTime } {
	const start = now.toUTC().startOf('day');
	return { start, end: start.plus({ days: horizonDays + 1 }) };
}

async function readDelta(graph: GraphTransport, first: string, pageSize: number): Promise<{ items: EventWithProps[]; deltaLink: string }> {
	const items: EventWithProps[] = [];
	let next: string | undefined = first;
	const headers = { Prefer: `odata.maxpagesize=${pageSize}, ${READ_HEADERS.Prefer}` };
	for (;;) {
		const page: { value?: EventWithProps[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } = await graph.get(next!, headers);
		items.push(...(page.value ?? []));
		if (page['@odata.nextLink']) {
			next = page['@odata.nextLink'];
			continue;
		}
		if (!page['@odata.deltaLink']) throw new GraphApiError(0, 'Microsoft Graph ended a delta round without a deltaLink');
		return { items, deltaLink: page['@odata.deltaLink'] };
	}
}

/**
 * The events of one mailbox that changed since the last call (calendarView delta), classified for
 * LN: linked or not, content changed or an echo of our own write, organizer or attendee, cancelled,
 * private, owned by this mailbox or another sync user; occurrences of series within the cap.
 */
export async function getChanges(graph: GraphTransport, request: ChangesRequest): Promise<ChangesResult> {
	const { mailbox, now } = request;
	const window = windowFor(now, request.horizonDays);
	const pageSize = request.pageSize ?? 100;
	let fullRead = false;
	let fullReadReason: string | undefined;
	let cursor = request.cursor;
	if (cursor && (cursor.windowStart !== window.start.toISO() || cursor.windowEnd !== window.end.toISO())) {
		cursor = undefined;
		fullReadReason = 'the window moved on';
	}
	const initial = `${userPath(mailbox)}/calendarView/delta?startDateTime=${encodeURIComponent(window.start.toISO()!)}&endDateTime=${encodeURIComponent(window.end.toISO()!)}`;
	let round: { items: EventWithProps[]; deltaLink: string };
	if (cursor) {
		try {
			round = await readDelta(graph, cursor.deltaLink, pageSize);
		} catch (error) {
			if (!(error instanceof GraphApiError) || (error.status !== 410 && !/syncstatenotfound|resyncrequired/i.test(error.code ?? ''))) throw error;
			fullRead = true;
			fullReadReason = 'the delta token expired (410)';
			round = await readDelta(graph, initial, pageSize);
		}
	} else {
		fullRead = true;
		fullReadReason ??= 'first read of this mailbox';
		round = await readDelta(graph, initial, pageSize);
	}
	const changes = await classifyAll(graph, request, round.items, request.cursor?.pending ?? []);
	const pending: PendingChange[] = changes
		.filter((c) => c.action === 'createInLn' || c.action === 'updateLn' || c.action === 'cancelInLn')
		.map((c) => ({ eventId: c.eventId, action: c.action as PendingChange['action'], seriesMasterId: c.seriesMasterId, activity: c.activity }));
	return {
		changes,
		cursor: { deltaLink: round.deltaLink, windowStart: window.start.toISO()!, windowEnd: window.end.toISO()!, ...(pending.length ? { pending } : {}) },
		fullRead,
		fullReadReason,
	};
}

interface SeriesInfo {
	master?: EventWithProps;
	instances: Map<string, EventWithProps>;
	links: OccurrenceLink[];
}

async function loadSeries(
	graph: GraphTransport,
	mailbox: string,
	masterId: string,
	request: ChangesRequest,
	knownLinks: OccurrenceLink[] = [],
): Promise<SeriesInfo> {
	const base = `${userPath(mailbox)}/events/${encodeURIComponent(masterId)}`;
	let master: EventWithProps | undefined;
	try {
		master = await graph.get<EventWithProps>(
			`${base}?${new URLSearchParams({ $select: EVENT_FIELDS, $expand: expandOurProperties(LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY) }).toString()}`,
			READ_HEADERS,
		);
	} catch (error) {
		if (!(error instanceof GraphApiError) || error.status !== 404) throw error;
	}
	const window = windowFor(request.now, request.horizonDays);
	const instances = new Map<string, EventWithProps>();
	if (master) {
		const query = new URLSearchParams({ startDateTime: window.start.toISO()!, endDateTime: window.end.toISO()!, $select: EVENT_FIELDS, $top: '500' });
		for (const instance of await graph.getAll<EventWithProps>(`${base}/instances?${query.toString()}`, READ_HEADERS)) {
			instances.set(instance.id!, instance);
		}
	}
	const ours = propertyValue(master?.singleValueExtendedProperties, LN_KEY_PROPERTY) === seriesKey(request.company);
	const links = ours ? decodeOccurrences(propertyValue(master?.singleValueExtendedProperties, LN_OCCURRENCES_PROPERTY)) : knownLinks;
	return { master, instances, links };
}

async function classifyAll(
	graph: GraphTransport,
	request: ChangesRequest,
	items: EventWithProps[],
	pending: PendingChange[],
): Promise<ExchangeChange[]> {
	const { mailbox } = request;
	const changes: ExchangeChange[] = [];
	const echoes = request.echoes ?? new Map<string, string>();
	const isEcho = (item: EventWithProps) => {
		const noted = echoes.get(item.id ?? '');
		if (noted === undefined) return false;
		if (item['@removed']) return noted === 'deleted';
		const key = item.changeKey ?? (item as { '@odata.etag'?: string })['@odata.etag'];
		return typeof key === 'string' && normalizeKey(key) === noted;
	};
	// A change handed to LN last time whose event we have written since (linked) is done.
	pending = pending.filter((change) => !echoes.has(change.eventId));
	const echoed = items.filter(isEcho);
	for (const item of echoed) changes.push({ ...base(item, mailbox, item['@removed'] ? 'removed' : 'changed'), reason: 'an echo of our own write' , echo: true });
	const fresh = items.filter((item) => !isEcho(item));
	// Reading links and series costs requests; only what is not decided without them needs them.
	const needsLinks =
		pending.length > 0 ||
		fresh.some((i) => (i['@removed'] ? i['@removed'].reason === 'deleted' : i.type !== 'seriesMaster' && !ownedElsewhere(i, request)));
	const links: MailboxLinks = needsLinks ? await readLinks(graph, mailbox, request.company) : { events: [], series: [] };
	const linkedById = new Map(links.events.map((l) => [l.event.id!, l]));
	const series = new Map<string, SeriesInfo>(links.series.map((s) => [s.master.id!, { master: s.master, instances: new Map(), links: s.links }]));
	const reported = new Set(fresh.map((i) => i.id));
	const again = await pendingStillOpen(graph, mailbox, pending, linkedById, series, reported);
	const all = [...fresh, ...again];
	for (const id of new Set(all.filter((i) => i.seriesMasterId && !i['@removed']).map((i) => i.seriesMasterId!))) {
		series.set(id, await loadSeries(graph, mailbox, id, request, series.get(id)?.links));
	}
	const createdPerSeries = new Map<string, number>();
	const seen = new Set<string>();
	const ordered = [...all].sort((a, b) => String(a.start?.dateTime ?? '').localeCompare(String(b.start?.dateTime ?? '')));
	for (const item of ordered) {
		// The same item can appear several times in one round; it is classified once.
		const mark = `${item.id}|${item['@removed'] ? 'r' : 'c'}`;
		if (seen.has(mark)) continue;
		seen.add(mark);
		if (item['@removed']) {
			changes.push(classifyRemoved(item, request, series));
			continue;
		}
		if (item.type === 'seriesMaster') continue;
		if (item.seriesMasterId) {
			const info = series.get(item.seriesMasterId);
			const instance = info?.instances.get(item.id!) ?? item;
			changes.push(classifyOccurrence(mergeOccurrence(info?.master, instance), request, info, createdPerSeries));
			continue;
		}
		changes.push(classifySingle(item, request, linkedById.get(item.id!)));
	}
	return changes;
}

/**
 * Changes handed to LN last time whose link does not show them done yet (the LN write failed, or the
 * run stopped): read again so they are reported again. Nothing reported is lost.
 */
async function pendingStillOpen(
	graph: GraphTransport,
	mailbox: string,
	pending: PendingChange[],
	linkedById: Map<string, LinkedEvent>,
	series: Map<string, SeriesInfo>,
	alreadyReported: Set<string | null | undefined>,
): Promise<EventWithProps[]> {
	const open: EventWithProps[] = [];
	for (const change of pending) {
		if (alreadyReported.has(change.eventId)) continue;
		const seriesLinks = change.seriesMasterId ? (series.get(change.seriesMasterId)?.links ?? []) : [];
		const link = seriesLinks.find((l) => l.eventId === change.eventId);
		if (change.action === 'cancelInLn') {
			if (link) open.push({ id: change.eventId, '@removed': { reason: 'deleted' } });
			continue;
		}
		if (change.action === 'createInLn' && (linkedById.has(change.eventId) || link)) continue;
		try {
			const event = await graph.get<EventWithProps>(`${userPath(mailbox)}/events/${encodeURIComponent(change.eventId)}?$select=${EVENT_FIELDS}`, READ_HEADERS);
			open.push(event);
		} catch (error) {
			if (!(error instanceof GraphApiError) || error.status !== 404) throw error;
		}
	}
	return open;
}

function mergeOccurrence(master: EventWithProps | undefined, occurrence: EventWithProps): EventWithProps {
	if (!master) return occurrence;
	const defined = Object.fromEntries(Object.entries(occurrence).filter(([, value]) => value !== undefined && value !== null));
	return { ...master, singleValueExtendedProperties: undefined, ...defined };
}

/** An attendee's copy of a meeting another sync user organizes: that user's run handles it. */
function ownedElsewhere(event: EventWithProps, request: ChangesRequest): boolean {
	if (event.isOrganizer || event.seriesMasterId) return false;
	const organizer = eventOrganizer(event);
	return Boolean(organizer && organizer !== normalizeEmail(request.mailbox) && request.syncUsers.isSyncMailbox(organizer));
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

function classifyRemoved(item: EventWithProps, request: ChangesRequest, series: Map<string, SeriesInfo>): ExchangeChange {
	const change = base(item, request.mailbox, 'removed');
	const reason = item['@removed']?.reason === 'deleted' ? 'deleted' : 'changed';
	change.removedReason = reason;
	if (reason === 'changed') {
		change.reason = 'left the window: not a deletion';
		return change;
	}
	for (const info of series.values()) {
		const link = info.links.find((l) => l.eventId === item.id);
		if (link) {
			change.activity = link.activity;
			change.company = request.company;
			change.iCalUId = link.iCalUId;
			change.action = 'cancelInLn';
			change.reason = 'an occurrence was cancelled or deleted in Exchange';
			change.update = { activity: link.activity, fields: { status: 'Cancelled' } };
			return change;
		}
	}
	change.reason = 'deleted: a linked event is checked by Sync From LN Activity';
	return change;
}

/** The mailbox that creates an Exchange meeting in LN: its organizer when a sync user, else the first sync-user attendee. */
export function ownerOf(event: Event, mailbox: string, users: SyncUserIndex): string | undefined {
	const organizer = eventOrganizer(event);
	if (event.isOrganizer) return normalizeEmail(mailbox);
	if (organizer && users.isSyncMailbox(organizer)) return organizer;
	const candidates = [normalizeEmail(mailbox), ...(event.attendees ?? []).map((a) => normalizeEmail(a.emailAddress?.address ?? ''))]
		.filter((email) => email && users.isSyncMailbox(email))
		.sort();
	return candidates[0];
}

function commonChecks(event: EventWithProps, request: ChangesRequest, change: ExchangeChange): boolean {
	let end: DateTime;
	try {
		end = fromGraphDateTime(event.end as DateTimeTimeZone);
	} catch {
		change.action = 'skip';
		change.reason = 'the event has no valid end';
		return false;
	}
	if (end < request.now) {
		change.action = 'skip';
		change.reason = 'past event: never synchronized';
		return false;
	}
	return true;
}

function classifySingle(event: EventWithProps, request: ChangesRequest, linked: LinkedEvent | undefined): ExchangeChange {
	const change = base(event, request.mailbox, 'changed');
	if (!commonChecks(event, request, change)) return change;
	const key = parseKey(linked?.key);
	if (linked && key) {
		const hash = safeHash(event, true);
		change.linkedKey = linked.key;
		change.company = key.company;
		change.activity = key.id;
		change.hash = hash;
		change.contentChanged = linked.state ? hash !== linked.state.hash : undefined;
		change.echo = linked.state ? hash === linked.state.hash : false;
		change.reason = change.echo ? 'an echo of the last sync' : 'linked: reconciled by Sync From LN Activity';
		return change;
	}
	if (typeof event.transactionId === 'string' && event.transactionId.startsWith('lnsync-')) {
		change.reason = 'created from LN but not linked (yet): Sync From LN Activity handles it';
		return change;
	}
	return toCreate(event, request, change);
}

function classifyOccurrence(event: EventWithProps, request: ChangesRequest, info: SeriesInfo | undefined, createdPerSeries: Map<string, number>): ExchangeChange {
	const change = base(event, request.mailbox, 'changed');
	if (!commonChecks(event, request, change)) return change;
	const link = info?.links.find((l) => l.iCalUId === event.iCalUId || l.eventId === event.id);
	const hash = safeHash(event, true);
	if (link) {
		change.company = request.company;
		change.activity = link.activity;
		change.hash = hash;
		change.contentChanged = hash !== link.hash;
		change.echo = hash === link.hash;
		if (event.isCancelled) {
			change.action = 'cancelInLn';
			change.reason = 'an occurrence was cancelled in Exchange';
			change.update = { activity: link.activity, fields: { status: 'Cancelled' } };
			return change;
		}
		if (change.contentChanged) {
			change.action = 'updateLn';
			change.reason = 'an occurrence changed in Exchange';
			change.update = { activity: link.activity, fields: lnActivityFields(canonicalFromEvent(event, true)) };
			change.origin = 'exchange';
		} else {
			change.reason = 'an echo of the last sync';
		}
		return change;
	}
	const seriesId = event.seriesMasterId!;
	const already = (info?.links.length ?? 0) + (createdPerSeries.get(seriesId) ?? 0);
	if (already >= request.occurrenceCap) {
		change.action = 'skip';
		change.reason = `the series already has ${request.occurrenceCap} occurrences in LN (the cap)`;
		return change;
	}
	const result = toCreate(event, request, change);
	if (result.action === 'createInLn') createdPerSeries.set(seriesId, (createdPerSeries.get(seriesId) ?? 0) + 1);
	return result;
}

function safeHash(event: Event, includeAttendees: boolean): string | undefined {
	try {
		return hashCanonical(canonicalFromEvent(event, includeAttendees));
	} catch {
		return undefined;
	}
}

function toCreate(event: EventWithProps, request: ChangesRequest, change: ExchangeChange): ExchangeChange {
	if (event.isCancelled) {
		change.action = 'skip';
		change.reason = 'cancelled in Exchange';
		return change;
	}
	const sensitivity = String(event.sensitivity ?? 'normal');
	if ((sensitivity === 'private' || sensitivity === 'confidential') && !request.allowPrivate) {
		change.action = 'skip';
		change.reason = `a ${sensitivity} event: skipped (private events are off)`;
		return change;
	}
	const owner = ownerOf(event, request.mailbox, request.syncUsers);
	change.owner = owner;
	if (owner !== normalizeEmail(request.mailbox)) {
		change.action = 'skip';
		change.reason = `created in LN from the calendar of ${owner ?? 'another sync user'}, not this one`;
		return change;
	}
	try {
		const canonical = canonicalFromEvent(event, true);
		const fields = lnActivityFields(canonical);
		change.hash = hashCanonical(canonical);
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
			attendees: appointmentAttendees(event, request.mailbox),
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
	change.company = request.company;
	change.origin = 'exchange';
	change.reason = 'new in Exchange';
	return change;
}

function appointmentAttendees(event: Event, mailbox: string): AppointmentPayload['attendees'] {
	const owner = normalizeEmail(mailbox);
	const organizer = eventOrganizer(event);
	const list: AppointmentPayload['attendees'] = [];
	if (event.isOrganizer) {
		list.push({ email: owner, role: 'MeetingOrganizer', status: 'Accepted', invite: false });
	} else if (organizer) {
		list.push({ email: organizer, name: event.organizer?.emailAddress?.name ?? undefined, role: 'MeetingOrganizer', status: 'Accepted', invite: false });
	}
	for (const attendee of event.attendees ?? []) {
		const email = normalizeEmail(attendee.emailAddress?.address ?? '');
		if (!email || email === organizer || (event.isOrganizer && email === owner)) continue;
		const status = email === owner && !event.isOrganizer ? responseToStatus(event.responseStatus?.response) : responseToStatus(attendee.status?.response);
		list.push({ email, name: attendee.emailAddress?.name ?? undefined, role: graphTypeToRole(attendee.type), status, invite: true });
	}
	return list;
}

/**
 * One event, classified like a change (push): a deleted event gives a removed change; a linked one
 * carries its key and whether its content changed; an occurrence is read with its series.
 */
export async function getEventChange(graph: GraphTransport, request: ChangesRequest, eventId: string): Promise<ExchangeChange> {
	const { mailbox } = request;
	let event: EventWithProps;
	try {
		event = await graph.get<EventWithProps>(
			`${userPath(mailbox)}/events/${encodeURIComponent(eventId)}?${new URLSearchParams({ $select: EVENT_FIELDS, $expand: expandOurProperties() }).toString()}`,
			READ_HEADERS,
		);
	} catch (error) {
		if (!(error instanceof GraphApiError) || error.status !== 404) throw error;
		const links = await readLinks(graph, mailbox, request.company);
		const series = new Map<string, SeriesInfo>(links.series.map((s) => [s.master.id!, { master: s.master, instances: new Map(), links: s.links }]));
		return classifyRemoved({ id: eventId, '@removed': { reason: 'deleted' } }, request, series);
	}
	if (event.seriesMasterId) {
		const info = await loadSeries(graph, mailbox, event.seriesMasterId, request);
		return classifyOccurrence(mergeOccurrence(info.master, event), request, info, new Map());
	}
	const key = propertyValue(event.singleValueExtendedProperties, LN_KEY_PROPERTY);
	const linked: LinkedEvent | undefined = key
		? { event, key, state: decodeState(propertyValue(event.singleValueExtendedProperties, LN_STATE_PROPERTY)) }
		: undefined;
	return classifySingle(event, request, linked);
}
