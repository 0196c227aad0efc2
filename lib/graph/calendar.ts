import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import {
	decodeOccurrences,
	decodeState,
	expandOurProperties,
	LN_KEY_PROPERTY,
	LN_OCCURRENCES_PROPERTY,
	LN_STATE_PROPERTY,
	propertyValue,
	seriesKey,
	type ExtendedProperty,
	type OccurrenceLink,
} from '../sync/link';
import {
	planActivitySync,
	type ActivityPlanItem,
	type EventPlan,
	type EventPlanInput,
	type EventPlanOptions,
	type ExchangeWrite,
	type LinkedEvent,
} from '../sync/event-plan';
import { settleActivityPlan, type WriteOutcome } from '../sync/settle';
import { linkEvents, type LinkRequest } from './links';
import { canonicalFromActivity, sameContent, syncHash } from '../sync/canonical';
import type { LnActivity, LnDeletedActivity } from '../sync/model';
import type { SyncUserIndex } from '../sync/sync-users';
import { GraphApiError, type BatchRequest, type BatchResponse, type GraphTransport } from './transport';

/** The event fields every read asks for (Graph returns far more by default). */
export const EVENT_FIELDS = [
	'id',
	'iCalUId',
	'subject',
	'start',
	'end',
	'isAllDay',
	'originalStartTimeZone',
	'originalEndTimeZone',
	'location',
	'body',
	'showAs',
	'isReminderOn',
	'reminderMinutesBeforeStart',
	'attendees',
	'organizer',
	'isOrganizer',
	'isCancelled',
	'type',
	'seriesMasterId',
	'sensitivity',
	'createdDateTime',
	'lastModifiedDateTime',
	'changeKey',
	'transactionId',
	'responseStatus',
].join(',');

/** Bodies as text, so HTML never reaches LN and hashes compare text with text. */
export const READ_HEADERS = { Prefer: 'outlook.body-content-type="text"' };

export function userPath(mailbox: string): string {
	return `/users/${encodeURIComponent(mailbox)}`;
}

type EventWithProps = Event & { singleValueExtendedProperties?: ExtendedProperty[] };

export function toLinked(event: EventWithProps): LinkedEvent | undefined {
	const key = propertyValue(event.singleValueExtendedProperties, LN_KEY_PROPERTY);
	if (!key) return undefined;
	return { event, key, state: decodeState(propertyValue(event.singleValueExtendedProperties, LN_STATE_PROPERTY)) };
}

export interface SeriesLinks {
	master: EventWithProps;
	links: OccurrenceLink[];
}

export interface MailboxLinks {
	/** Single events linked to an activity. */
	events: LinkedEvent[];
	/** Series masters holding the links of their occurrences. */
	series: SeriesLinks[];
}

/**
 * Every event of the mailbox linked to this LN company: linked single events and the series masters
 * that hold occurrence links, in one query (one request per 500 events).
 */
export async function readLinks(graph: GraphTransport, mailbox: string, company: string): Promise<MailboxLinks> {
	const query = new URLSearchParams({
		$filter: `singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY_PROPERTY}' and startswith(ep/value, 'ln:${company}:'))`,
		$select: EVENT_FIELDS,
		$expand: expandOurProperties(LN_KEY_PROPERTY, LN_STATE_PROPERTY, LN_OCCURRENCES_PROPERTY),
		$top: '500',
	});
	const events = await graph.getAll<EventWithProps>(`${userPath(mailbox)}/events?${query.toString()}`, READ_HEADERS);
	const result: MailboxLinks = { events: [], series: [] };
	for (const event of events) {
		const key = propertyValue(event.singleValueExtendedProperties, LN_KEY_PROPERTY);
		if (key === seriesKey(company)) {
			result.series.push({ master: event, links: decodeOccurrences(propertyValue(event.singleValueExtendedProperties, LN_OCCURRENCES_PROPERTY)) });
			continue;
		}
		const linked = toLinked(event);
		if (linked && linked.key.startsWith(`ln:${company}:activity:`)) result.events.push(linked);
	}
	return result;
}

/** The occurrence links on the mailbox's series masters, by the activity each names (kept in step by Get Changes). */
export function occurrenceLinksByActivity(links: MailboxLinks): Map<string, OccurrenceLink[]> {
	const byActivity = new Map<string, OccurrenceLink[]>();
	for (const link of links.series.flatMap((s) => s.links)) {
		const same = byActivity.get(link.activity);
		if (same) same.push(link);
		else byActivity.set(link.activity, [link]);
	}
	return byActivity;
}

/** iCalUIds asked for in one `$filter` (each is over 100 characters; URLs stay short). */
const UIDS_PER_QUERY = 10;

/**
 * The day an occurrence's iCalUId names (MS-OXOCAL's global object id carries the original date of an
 * instance in bytes 16–19, zero for the whole meeting), or undefined for a single event or series.
 */
export function occurrenceDay(iCalUId: string): string | undefined {
	const match = /^040000008200E00074C5B7101A82E008([0-9A-F]{4})([0-9A-F]{2})([0-9A-F]{2})/i.exec(iCalUId);
	if (!match) return undefined;
	const [year, month, day] = [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
	if (!year || !month || !day) return undefined;
	return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * iCalUId → the event with it in the mailbox, or null. Single events and series are found by a
 * `$filter` on /events (ten iCalUIds a query); occurrences, which /events does not list, in the
 * calendar view of the day their iCalUId names and of each day in `near` (where an occurrence may have
 * been moved to: its LN appointment's start). All in `$batch`.
 */
export async function findByICalUIds(
	graph: GraphTransport,
	mailbox: string,
	uids: string[],
	near: ReadonlyMap<string, string[]> = new Map(),
): Promise<Map<string, Event | null>> {
	const found = (await findInMailboxes(graph, new Map([[mailbox, uids]]), near)).get(mailbox)!;
	if (found instanceof Error) throw found;
	return found;
}

/**
 * `findByICalUIds` for several mailboxes at once, their lookups sharing `$batch` requests (a run that
 * looks in each attendee's calendar for one meeting asks once, not once per attendee). Per mailbox:
 * what was found, or the error its lookups met.
 */
export async function findInMailboxes(
	graph: GraphTransport,
	wanted: ReadonlyMap<string, string[]>,
	near: ReadonlyMap<string, string[]> = new Map(),
): Promise<Map<string, Map<string, Event | null> | GraphApiError>> {
	const lookups: Array<{ mailbox: string; uids: string[]; request: BatchRequest }> = [];
	const lookup = (mailbox: string, uids: string[], url: string) => lookups.push({ mailbox, uids, request: { id: String(lookups.length), method: 'GET', url, headers: READ_HEADERS } });
	for (const [mailbox, uids] of wanted) {
		const list = [...new Set(uids)];
		const singles = list.filter((uid) => !occurrenceDay(uid));
		const byDay = new Map<string, string[]>();
		for (const uid of list) {
			const original = occurrenceDay(uid);
			if (!original) continue;
			const moved = (near.get(uid) ?? []).map((start) => DateTime.fromISO(start, { zone: 'utc' })).filter((start) => start.isValid);
			const days = new Set([original, ...moved.map((start) => start.toISODate()!)]);
			for (const day of days) byDay.set(day, [...(byDay.get(day) ?? []), uid]);
		}
		for (let i = 0; i < singles.length; i += UIDS_PER_QUERY) {
			const chunk = singles.slice(i, i + UIDS_PER_QUERY);
			const query = new URLSearchParams({ $filter: chunk.map((uid) => `iCalUId eq '${uid.replace(/'/g, "''")}'`).join(' or '), $select: EVENT_FIELDS, $top: String(UIDS_PER_QUERY * 4) });
			lookup(mailbox, chunk, `${userPath(mailbox)}/events?${query.toString()}`);
		}
		for (const [day, chunk] of byDay) {
			// A day either side: the date in the iCalUId is the original start date, in whichever zone.
			const from = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString();
			const to = new Date(Date.parse(`${day}T00:00:00Z`) + 2 * 86_400_000).toISOString();
			const query = new URLSearchParams({ startDateTime: from, endDateTime: to, $select: EVENT_FIELDS, $top: '200' });
			lookup(mailbox, chunk, `${userPath(mailbox)}/calendarView?${query.toString()}`);
		}
	}
	const results = new Map<string, Map<string, Event | null> | GraphApiError>([...wanted.keys()].map((mailbox) => [mailbox, new Map<string, Event | null>()]));
	const responses = lookups.length ? await graph.batch(lookups.map((l) => l.request)) : new Map<string, BatchResponse>();
	for (const { mailbox, uids, request } of lookups) {
		const result = results.get(mailbox)!;
		const response = responses.get(request.id);
		if (!response || result instanceof Error) continue;
		const failure = failureOf(response, mailbox);
		if (failure) {
			results.set(mailbox, failure);
			continue;
		}
		const found = (response.body as { value?: Event[] })?.value ?? [];
		for (const uid of uids) {
			// An attendee's calendar may hold the meeting once; prefer the organizer's own item if both are there.
			const matches = found.filter((e) => e.iCalUId === uid).sort((a, b) => Number(Boolean(b.isOrganizer)) - Number(Boolean(a.isOrganizer)));
			const earlier = result.get(uid);
			if (!earlier || (matches[0]?.isOrganizer && !earlier.isOrganizer)) result.set(uid, matches[0] ?? earlier ?? null);
		}
	}
	return results;
}

/** The error a failed answer inside `$batch` names (what was read, for the message), or undefined when it succeeded. */
export function failureOf(response: BatchResponse, mailbox: string, what?: string): GraphApiError | undefined {
	if (response.status >= 200 && response.status < 300) return undefined;
	const error = (response.body as { error?: { code?: string; message?: string } })?.error;
	return new GraphApiError(
		response.status,
		`Microsoft Graph answered ${response.status}${error?.code ? ` ${error.code}` : ''} ${what ? `reading ${what} in` : 'for'} mailbox ${mailbox}: ${error?.message ?? 'no details'}`,
		error?.code,
		mailbox,
	);
}

/** Sends the planned writes of one mailbox through $batch. A 404 on cancel or delete means done. */
export async function applyWrites(graph: GraphTransport, mailbox: string, writes: ExchangeWrite[]): Promise<WriteOutcome[]> {
	const base = userPath(mailbox);
	const requests: BatchRequest[] = writes.map((write, index) => {
		const id = String(index);
		switch (write.op) {
			case 'create':
				return { id, method: 'POST', url: `${base}/events`, body: { ...write.body, transactionId: write.transactionId }, idempotent: true, headers: READ_HEADERS };
			case 'patch':
				return { id, method: 'PATCH', url: `${base}/events/${encodeURIComponent(write.eventId)}`, body: write.body, idempotent: true, headers: READ_HEADERS };
			case 'cancel':
				return { id, method: 'POST', url: `${base}/events/${encodeURIComponent(write.eventId)}/cancel`, body: { comment: write.comment }, idempotent: true };
			case 'delete':
				return { id, method: 'DELETE', url: `${base}/events/${encodeURIComponent(write.eventId)}`, idempotent: true };
		}
	});
	const responses = await graph.batch(requests);
	return writes.map((write, index) => {
		const response = responses.get(String(index));
		if (!response) return { write, ok: false, status: 0, error: 'no answer in the batch' };
		const gone = (write.op === 'cancel' || write.op === 'delete') && response.status === 404;
		if ((response.status >= 200 && response.status < 300) || gone) {
			return { write, ok: true, status: response.status, event: response.body as Event };
		}
		const error = (response.body as { error?: { code?: string; message?: string } })?.error;
		return { write, ok: false, status: response.status, error: `${response.status}${error?.code ? ` ${error.code}` : ''}: ${error?.message ?? 'failed'}` };
	});
}

export interface ActivitySyncRequest {
	mailbox: string;
	company: string;
	activities: Array<LnActivity | LnDeletedActivity>;
	complete: boolean;
	syncUsers: SyncUserIndex;
	options: EventPlanOptions;
	dryRun: boolean;
	/** Told about every write that went through, with the changeKey it left ('deleted' when gone). */
	onWritten?: (eventId: string, changeKey: string) => void;
}

export interface ActivitySyncResult {
	plan: EventPlan;
	items: ActivityPlanItem[];
}

/**
 * Reads both sides for one mailbox, plans (event-plan.ts), applies the Exchange writes in batches,
 * looks for the copies of meetings it created in the invited sync users' calendars, and settles
 * (settle.ts): the returned items carry what LN should get (flags, statuses, updates).
 */
export async function syncActivities(graph: GraphTransport, request: ActivitySyncRequest): Promise<ActivitySyncResult> {
	const { mailbox, company } = request;
	const keys = request.activities.map((a) => `ln:${a.company}:activity:${a.id}`);
	// One read gives the linked events and the series links; a partial input only looks at its own keys.
	const links = await readLinks(graph, mailbox, company);
	const wanted = new Set(keys);
	const occurrences = await occurrenceCandidates(graph, mailbox, company, links, request.activities, request.options);
	const linked = [...(request.complete ? links.events : links.events.filter((l) => wanted.has(l.key))), ...occurrences];
	const activities = request.activities;
	const input: EventPlanInput = { mailbox, activities, linked, complete: request.complete, syncUsers: request.syncUsers, seriesHeld: occurrenceLinksByActivity(links) };
	let plan = planActivitySync(input, request.options);
	const starts = startsByReference(activities);
	if (plan.presenceNeeded.length > 0) {
		input.presence = await findByICalUIds(graph, mailbox, plan.presenceNeeded, starts);
		plan = planActivitySync(input, request.options);
	}
	const byId = new Map(activities.filter((a): a is LnActivity => !(a as LnDeletedActivity).deleted).map((a) => [a.id, a]));
	if (request.dryRun) {
		return { plan, items: settleActivityPlan({ plan, activities: byId, outcomes: new Map(), copiesFound: new Set(), dryRun: true }) };
	}
	const writes: Array<{ item: ActivityPlanItem; write: ExchangeWrite }> = [];
	for (const item of plan.items) for (const write of item.exchange) writes.push({ item, write });
	const results = writes.length ? await applyWrites(graph, mailbox, writes.map((w) => w.write)) : [];
	const outcomes = new Map<ActivityPlanItem, WriteOutcome[]>();
	results.forEach((outcome, index) => {
		const { item } = writes[index];
		outcomes.set(item, [...(outcomes.get(item) ?? []), outcome]);
		if (!outcome.ok) return;
		const written = outcome.write.op === 'create' ? outcome.event?.id : (outcome.write as { eventId: string }).eventId;
		const changeKey = outcome.write.op === 'cancel' || outcome.write.op === 'delete' ? 'deleted' : outcome.event?.changeKey;
		if (written && changeKey) request.onWritten?.(written, changeKey);
	});
	const copiesFound = await findCopiesAfterWrites(graph, request, plan, outcomes, byId, starts);
	const items = settleActivityPlan({ plan, activities: byId, outcomes, copiesFound, dryRun: false });
	await storeSeriesLinks(graph, request, items);
	return { plan, items };
}

/**
 * The occurrences of the mailbox's series whose LN appointment changed since they were linked (the
 * links are entries on their series master), each as a linked event: one read of such a series'
 * instances in the window. Changes in Exchange reach LN through the series (Get Changes); an
 * occurrence LN did not change needs no read.
 */
async function occurrenceCandidates(
	graph: GraphTransport,
	mailbox: string,
	company: string,
	links: MailboxLinks,
	activities: Array<LnActivity | LnDeletedActivity>,
	options: EventPlanOptions,
): Promise<LinkedEvent[]> {
	const byId = new Map(activities.map((a) => [a.id, a]));
	const changedInLn = (activity: string, hash: string) => {
		const current = byId.get(activity);
		if (!current) return false;
		if ((current as LnDeletedActivity).deleted) return true;
		try {
			return !sameContent(syncHash(canonicalFromActivity(current as LnActivity, true)), hash) || (current as LnActivity).status === 'Cancelled';
		} catch {
			return false;
		}
	};
	const candidates: LinkedEvent[] = [];
	const from = options.now.toUTC().startOf('day');
	const to = options.now.plus({ days: options.horizonDays + 1 });
	for (const series of links.series) {
		const entries = series.links.filter((l) => changedInLn(l.activity, l.hash));
		if (entries.length === 0) continue;
		const query = new URLSearchParams({ startDateTime: from.toISO()!, endDateTime: to.toISO()!, $select: EVENT_FIELDS, $top: '500' });
		const instances = await graph.getAll<EventWithProps>(`${userPath(mailbox)}/events/${encodeURIComponent(series.master.id!)}/instances?${query.toString()}`, READ_HEADERS);
		for (const link of entries) {
			const instance = instances.find((i) => i.iCalUId === link.iCalUId || i.id === link.eventId);
			if (!instance) continue;
			const event = { ...series.master, singleValueExtendedProperties: undefined, ...Object.fromEntries(Object.entries(instance).filter(([, v]) => v !== undefined && v !== null)) } as Event;
			candidates.push({
				event,
				key: `ln:${company}:activity:${link.activity}`,
				state: { origin: 'exchange', hash: link.hash, linkedAt: 0, ...(link.signature ? { signature: link.signature } : {}) },
				occurrence: { masterId: series.master.id!, link },
			});
		}
	}
	return candidates;
}

/** New hashes and signatures of occurrence links, on their series masters (one update per master). */
async function storeSeriesLinks(graph: GraphTransport, request: ActivitySyncRequest, items: ActivityPlanItem[]): Promise<void> {
	const requests: LinkRequest[] = items.flatMap((item) =>
		item.seriesLinks.map((link) => ({
			eventId: link.eventId,
			seriesMasterId: link.masterId,
			iCalUId: link.iCalUId,
			company: item.company,
			activity: item.activity,
			state: { origin: 'exchange' as const, hash: link.hash, linkedAt: Math.floor(request.options.now.toSeconds()) },
			...(link.remove ? { remove: true } : {}),
		})),
	);
	if (requests.length === 0) return;
	const outcomes = await linkEvents(graph, request.mailbox, requests, request.options.linkKey, request.onWritten);
	for (const outcome of outcomes.filter((o) => !o.ok)) {
		const item = items.find((i) => i.activity === outcome.request.activity);
		// The content is written; a stale hash only makes the next run see "both changed alike".
		item?.warnings.push(`Could not store the link of occurrence ${outcome.request.eventId} on its series: ${outcome.error}`);
	}
}

/** Where LN has each referenced event: an occurrence moved in LN (and then in Exchange) is looked for there too. */
function startsByReference(activities: Array<LnActivity | LnDeletedActivity>): Map<string, string[]> {
	const starts = new Map<string, string[]>();
	for (const activity of activities) {
		const { reference, start } = activity as LnActivity;
		if (reference && start) starts.set(reference, [...(starts.get(reference) ?? []), start]);
	}
	return starts;
}

/**
 * Just after a meeting is created or updated, its sync-user attendees have Exchange's copy (or had
 * it brought back): their flags are then decided at once rather than on their own next run.
 */
async function findCopiesAfterWrites(
	graph: GraphTransport,
	request: ActivitySyncRequest,
	plan: EventPlan,
	outcomes: Map<ActivityPlanItem, WriteOutcome[]>,
	activities: Map<string, LnActivity>,
	starts: ReadonlyMap<string, string[]>,
): Promise<Set<string>> {
	const byMailbox = new Map<string, Array<{ key: string; uid: string }>>();
	for (const item of plan.items) {
		const written = outcomes.get(item) ?? [];
		const uid = written.find((o) => o.write.op === 'create' && o.ok)?.event?.iCalUId ?? item.iCalUId;
		if (!uid || written.length === 0 || written.some((o) => !o.ok)) continue;
		for (const decision of item.lines) {
			if (decision.exists !== 'copyAfterWrite') continue;
			const attendee = activities.get(item.activity)?.attendees.find((a) => a.sequence === decision.sequence);
			const user = attendee ? request.syncUsers.forAttendee(attendee) : undefined;
			if (!user) continue;
			const mailbox = user.email.toLowerCase();
			byMailbox.set(mailbox, [...(byMailbox.get(mailbox) ?? []), { key: `${item.activity}|${decision.sequence}`, uid }]);
		}
	}
	const found = new Set<string>();
	const present = await findInMailboxes(graph, new Map([...byMailbox].map(([mailbox, entries]) => [mailbox, entries.map((e) => e.uid)])), starts);
	for (const [mailbox, entries] of byMailbox) {
		const inMailbox = present.get(mailbox)!;
		if (inMailbox instanceof Error) throw inMailbox;
		for (const entry of entries) if (inMailbox.get(entry.uid)) found.add(entry.key);
	}
	return found;
}
