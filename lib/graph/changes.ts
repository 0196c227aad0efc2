import type { DateTime } from 'luxon';

import type { LinkedEvent } from '../sync/event-plan';
import {
	needsLinks,
	planExchangeChanges,
	type EventWithProps,
	type ExchangeChange,
	type ExchangePlan,
	type ExchangeSnapshot,
	type SeriesInfo,
} from '../sync/exchange-plan';
import { decodeOccurrences, decodeState, expandOurProperties, LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY, LN_STATE_PROPERTY, propertyValue, seriesKey } from '../sync/link';
import type { SyncUserIndex } from '../sync/sync-users';
import { EVENT_FIELDS, failureOf, findInMailboxes, occurrenceDay, readLinks, READ_HEADERS, userPath, type MailboxLinks } from './calendar';
import { normalizeKey } from './sync-state';
import { GraphApiError, type BatchResponse, type GraphTransport } from './transport';

export type { AppointmentPayload, ExchangeChange } from '../sync/exchange-plan';

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
	/** Checks the signatures of occurrence links (link.ts). */
	linkKey: Buffer;
	cursor?: DeltaCursor;
	pageSize?: number;
}

export interface ChangesResult {
	changes: ExchangeChange[];
	cursor: DeltaCursor;
	/** A full re-read happened (first call, window moved on, or the delta token expired). */
	fullRead: boolean;
	fullReadReason?: string;
	/** Nothing changed in the calendar since the last call, and nothing was waiting: a settled calendar stays so. */
	quiet: boolean;
}

/** The delta window starts at the beginning of the day, so one token serves a whole day. */
function windowFor(now: DateTime, horizonDays: number): { start: DateTime; end: DateTime } {
	const start = now.toUTC().startOf('day');
	return { start, end: start.plus({ days: horizonDays + 1 }) };
}

async function readDelta(graph: GraphTransport, first: string, pageSize: number): Promise<{ items: EventWithProps[]; deltaLink: string }> {
	const items: EventWithProps[] = [];
	let next: string | undefined = first;
	const headers = { Prefer: `odata.maxpagesize=${pageSize}, ${READ_HEADERS.Prefer}` };
	const pages = graph.pager(first);
	for (;;) {
		const page: { value?: EventWithProps[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } = await graph.get(pages.next(next!), headers);
		items.push(...(page.value ?? []));
		pages.count(items.length);
		if (page['@odata.nextLink']) {
			next = page['@odata.nextLink'];
			continue;
		}
		if (!page['@odata.deltaLink']) throw new GraphApiError(0, 'Microsoft Graph ended a delta round without a deltaLink');
		return { items, deltaLink: page['@odata.deltaLink'] };
	}
}

/**
 * The events of one mailbox that changed since the last call (calendarView delta), read with what
 * classifying them needs (the mailbox's links, the series of changed occurrences), then planned by
 * exchange-plan.ts.
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
	const changes = await classifyAll(graph, request, round.items, request.cursor?.pending ?? [], fullRead ? window : undefined);
	const pending: PendingChange[] = changes
		.filter((c) => c.action === 'createInLn' || c.action === 'updateLn' || c.action === 'cancelInLn')
		.map((c) => ({ eventId: c.eventId, action: c.action as PendingChange['action'], seriesMasterId: c.seriesMasterId, activity: c.activity }));
	return {
		changes,
		cursor: { deltaLink: round.deltaLink, windowStart: window.start.toISO()!, windowEnd: window.end.toISO()!, ...(pending.length ? { pending } : {}) },
		fullRead,
		fullReadReason,
		quiet: !fullRead && round.items.length === 0 && !request.cursor?.pending?.length,
	};
}

/**
 * Series masters with their occurrences in the window, read through `$batch` (a master and its
 * occurrences side by side, ten series a request); a master that is gone has no occurrences.
 * `knownLinks`: the occurrence links already read, for a master that is not ours or gone.
 */
async function loadSeries(
	graph: GraphTransport,
	mailbox: string,
	masterIds: string[],
	request: ChangesRequest,
	knownLinks: (masterId: string) => SeriesInfo['links'] = () => [],
): Promise<Map<string, SeriesInfo>> {
	const window = windowFor(request.now, request.horizonDays);
	const base = (masterId: string) => `${userPath(mailbox)}/events/${encodeURIComponent(masterId)}`;
	const masterQuery = new URLSearchParams({ $select: EVENT_FIELDS, $expand: expandOurProperties(LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY) }).toString();
	const instancesQuery = new URLSearchParams({ startDateTime: window.start.toISO()!, endDateTime: window.end.toISO()!, $select: EVENT_FIELDS, $top: '500' }).toString();
	const responses = masterIds.length
		? await graph.batch(
				masterIds.flatMap((masterId, i) => [
					{ id: `${i}.master`, method: 'GET' as const, url: `${base(masterId)}?${masterQuery}`, headers: READ_HEADERS },
					{ id: `${i}.instances`, method: 'GET' as const, url: `${base(masterId)}/instances?${instancesQuery}`, headers: READ_HEADERS },
				]),
			)
		: new Map<string, BatchResponse>();
	const loaded = new Map<string, SeriesInfo>();
	for (const [i, masterId] of masterIds.entries()) {
		const masterAnswer = responses.get(`${i}.master`);
		const instancesAnswer = responses.get(`${i}.instances`);
		if (!masterAnswer || !instancesAnswer) throw new GraphApiError(0, `Microsoft Graph gave no answer for series ${masterId} in mailbox ${mailbox}`, undefined, mailbox);
		let master: EventWithProps | undefined;
		const instances = new Map<string, EventWithProps>();
		if (masterAnswer.status !== 404) {
			master = answerBody<EventWithProps>(masterAnswer, mailbox, `series ${masterId}`);
			const page = answerBody<{ value?: EventWithProps[]; '@odata.nextLink'?: string }>(instancesAnswer, mailbox, `the occurrences of series ${masterId}`);
			const more = page['@odata.nextLink'] ? await graph.getAll<EventWithProps>(page['@odata.nextLink'], READ_HEADERS) : [];
			for (const instance of [...(page.value ?? []), ...more]) instances.set(instance.id!, instance);
		}
		const ours = propertyValue(master?.singleValueExtendedProperties, LN_KEY_PROPERTY) === seriesKey(request.company);
		const links = ours ? decodeOccurrences(propertyValue(master?.singleValueExtendedProperties, LN_OCCURRENCES_PROPERTY)) : knownLinks(masterId);
		loaded.set(masterId, { master, instances, links });
	}
	return loaded;
}

/** The body of a successful answer inside `$batch`; a failed one becomes the error it names. */
function answerBody<T>(answer: BatchResponse, mailbox: string, what: string): T {
	const failure = failureOf(answer, mailbox, what);
	if (failure) throw failure;
	return answer.body as T;
}

function snapshotOf(request: ChangesRequest, items: EventWithProps[], echoes: EventWithProps[], links: MailboxLinks): ExchangeSnapshot {
	return {
		mailbox: request.mailbox,
		company: request.company,
		syncUsers: request.syncUsers,
		now: request.now,
		allowPrivate: request.allowPrivate,
		occurrenceCap: request.occurrenceCap,
		linkKey: request.linkKey,
		items,
		echoes,
		linked: new Map(links.events.map((l) => [l.event.id!, l])),
		series: new Map(links.series.map((s) => [s.master.id!, { master: s.master, instances: new Map(), links: s.links }])),
	};
}

/** Reads what the plan needs, then plans; a linked occurrence that left the window is read again. */
/**
 * Linked occurrences a full read of the window did not return: a full read reports no deletions, so
 * an occurrence deleted or cancelled while there was no delta link (the window moved on, the token
 * expired) would go unnoticed. Each is handed on as missing; the plan reads it once to tell a deletion
 * from a move.
 */
function occurrencesMissingFrom(items: EventWithProps[], links: MailboxLinks, window: { start: DateTime; end: DateTime }): EventWithProps[] {
	const read = new Set(items.flatMap((i) => [i.id, i.iCalUId]).filter(Boolean));
	const [first, last] = [window.start.toISODate()!, window.end.toISODate()!];
	return links.series.flatMap((series) =>
		series.links
			.filter((link) => link.eventId && !read.has(link.eventId) && !read.has(link.iCalUId))
			.filter((link) => {
				const day = occurrenceDay(link.iCalUId);
				return day !== undefined && day >= first && day < last;
			})
			.map((link): EventWithProps => ({ id: link.eventId, '@removed': { reason: 'missing' } })),
	);
}

async function classifyAll(
	graph: GraphTransport,
	request: ChangesRequest,
	items: EventWithProps[],
	pending: PendingChange[],
	fullReadOf?: { start: DateTime; end: DateTime },
): Promise<ExchangeChange[]> {
	const { mailbox } = request;
	const notes = request.echoes ?? new Map<string, string>();
	const isEcho = (item: EventWithProps) => {
		const noted = notes.get(item.id ?? '');
		if (noted === undefined) return false;
		if (item['@removed']) return noted === 'deleted';
		const key = item.changeKey ?? (item as { '@odata.etag'?: string })['@odata.etag'];
		return typeof key === 'string' && normalizeKey(key) === noted;
	};
	// A change handed to LN last time whose event we have written since (linked) is done.
	pending = pending.filter((change) => !notes.has(change.eventId));
	const echoes = items.filter(isEcho);
	const fresh = items.filter((item) => !isEcho(item));
	// Reading links and series costs requests; only what is not decided without them needs them.
	const links: MailboxLinks =
		fullReadOf || pending.length > 0 || fresh.some((i) => needsLinks(i, request)) ? await readLinks(graph, mailbox, request.company) : { events: [], series: [] };
	if (fullReadOf) fresh.push(...occurrencesMissingFrom(items, links, fullReadOf));
	const snapshot = snapshotOf(request, fresh, echoes, links);
	const reported = new Set(fresh.map((i) => i.id));
	snapshot.items = [...fresh, ...(await pendingStillOpen(graph, mailbox, pending, snapshot, reported))];
	const masterIds = [...new Set(snapshot.items.filter((i) => i.seriesMasterId && !i['@removed']).map((i) => i.seriesMasterId!))];
	for (const [id, info] of await loadSeries(graph, mailbox, masterIds, request, (masterId) => snapshot.series.get(masterId)?.links ?? [])) snapshot.series.set(id, info);
	return (await finalPlan(graph, snapshot)).changes;
}

/** Plans, reads what the plan asks for (occurrences that left the window, meetings in other calendars), plans again. */
async function finalPlan(graph: GraphTransport, snapshot: ExchangeSnapshot): Promise<ExchangePlan> {
	for (;;) {
		const plan = planExchangeChanges(snapshot);
		const reread = plan.reread.filter((id) => !snapshot.moved?.has(id));
		if (reread.length === 0 && plan.lookups.length === 0) return plan;
		snapshot.moved ??= new Map();
		for (const id of reread) snapshot.moved.set(id, await readEvent(graph, snapshot.mailbox, id));
		snapshot.heldElsewhere ??= new Map();
		const byMailbox = groupBy(plan.lookups, (l) => l.mailbox);
		const found = await findInMailboxes(graph, new Map([...byMailbox].map(([mailbox, uids]) => [mailbox, uids.map((l) => l.iCalUId)])));
		for (const [mailbox, uids] of byMailbox) {
			let inMailbox = found.get(mailbox)!;
			if (inMailbox instanceof Error) {
				// A calendar the app may not read (or no such mailbox): her own run cannot take the meeting either.
				if (inMailbox.status !== 403 && inMailbox.status !== 404) throw inMailbox;
				inMailbox = new Map<string, null>();
			}
			for (const { iCalUId } of uids) {
				const event = inMailbox.get(iCalUId);
				const holds = Boolean(event && !event.isCancelled && event.responseStatus?.response !== 'declined');
				snapshot.heldElsewhere.set(iCalUId, (snapshot.heldElsewhere.get(iCalUId) ?? new Map<string, boolean>()).set(mailbox, holds));
			}
		}
	}
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
	return groups;
}

async function readEvent(graph: GraphTransport, mailbox: string, eventId: string): Promise<EventWithProps | null> {
	try {
		return await graph.get<EventWithProps>(`${userPath(mailbox)}/events/${encodeURIComponent(eventId)}?$select=${EVENT_FIELDS}`, READ_HEADERS);
	} catch (error) {
		if (error instanceof GraphApiError && error.status === 404) return null;
		throw error;
	}
}

/**
 * Changes handed to LN last time whose link does not show them done yet (the LN write failed, or the
 * run stopped): read again so they are reported again. Nothing reported is lost.
 */
async function pendingStillOpen(
	graph: GraphTransport,
	mailbox: string,
	pending: PendingChange[],
	snapshot: ExchangeSnapshot,
	alreadyReported: Set<string | null | undefined>,
): Promise<EventWithProps[]> {
	const open: EventWithProps[] = [];
	for (const change of pending) {
		if (alreadyReported.has(change.eventId)) continue;
		const seriesLinks = change.seriesMasterId ? (snapshot.series.get(change.seriesMasterId)?.links ?? []) : [];
		const link = seriesLinks.find((l) => l.eventId === change.eventId);
		if (change.action === 'cancelInLn') {
			if (link) open.push({ id: change.eventId, '@removed': { reason: 'deleted' } });
			continue;
		}
		if (change.action === 'createInLn' && (snapshot.linked.has(change.eventId) || link)) continue;
		const event = await readEvent(graph, mailbox, change.eventId);
		if (event) open.push(event);
	}
	return open;
}

/**
 * One event, classified like a change (push): a deleted event gives a removed change; a linked one
 * carries its key and whether its content changed; an occurrence is read with its series.
 */
export async function getEventChange(graph: GraphTransport, request: ChangesRequest, eventId: string): Promise<ExchangeChange> {
	const { mailbox } = request;
	const event = await graph
		.get<EventWithProps>(`${userPath(mailbox)}/events/${encodeURIComponent(eventId)}?${new URLSearchParams({ $select: EVENT_FIELDS, $expand: expandOurProperties() }).toString()}`, READ_HEADERS)
		.catch((error: unknown) => {
			if (error instanceof GraphApiError && error.status === 404) return undefined;
			throw error;
		});
	if (!event) {
		const snapshot = snapshotOf(request, [{ id: eventId, '@removed': { reason: 'deleted' } }], [], await readLinks(graph, mailbox, request.company));
		return planExchangeChanges(snapshot).changes[0];
	}
	if (event.type === 'seriesMaster') {
		// A series itself is no change for LN: its occurrences are (each an appointment), read by the next pull's delta.
		return { mailbox, eventId: event.id ?? eventId, iCalUId: event.iCalUId ?? undefined, changeType: 'changed', type: 'seriesMaster', action: 'skip', reason: 'a recurring series: its occurrences reach LN with the next pull' };
	}
	if (event.seriesMasterId) {
		const info = await loadSeries(graph, mailbox, [event.seriesMasterId], request);
		const snapshot = snapshotOf(request, [event], [], { events: [], series: [] });
		snapshot.series.set(event.seriesMasterId, info.get(event.seriesMasterId)!);
		return (await finalPlan(graph, snapshot)).changes[0];
	}
	const key = propertyValue(event.singleValueExtendedProperties, LN_KEY_PROPERTY);
	const linked: LinkedEvent | undefined = key ? { event, key, state: decodeState(propertyValue(event.singleValueExtendedProperties, LN_STATE_PROPERTY)) } : undefined;
	const snapshot = snapshotOf(request, [event], [], { events: linked ? [linked] : [], series: [] });
	return (await finalPlan(graph, snapshot)).changes[0];
}
