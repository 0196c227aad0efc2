import { createHash } from 'node:crypto';

import type { Event } from '@microsoft/microsoft-graph-types';
import type { DateTime } from 'luxon';

import { CALENDAR_ACTIVITY_TYPES, type AttendanceStatus } from '../ln/contract';
import {
	canonicalFromActivity,
	canonicalFromEvent,
	changedFields,
	graphEventFields,
	hashCanonical,
	invitedAttendees,
	isValidEmail,
	lnActivityFields,
	MAX_ATTENDEES,
	normalizeEmail,
	organizerOf,
	responseToStatus,
	SUBJECT_MAX,
	type CanonicalEvent,
} from './canonical';
import { activityKey, LN_KEY_PROPERTY, LN_STATE_PROPERTY, encodeState, type LinkState } from './link';
import type { ConflictPolicy, LnActivity, LnAttendee, LnDeletedActivity, Origin, SyncUser } from './model';
import type { SyncUserIndex } from './sync-users';
import { fromGraphDateTime, isValidZone, parseInstant, type DateTimeTimeZone } from './time';

/** An event in the mailbox that carries our LN key. */
export interface LinkedEvent {
	event: Event;
	key: string;
	state?: LinkState;
}

export interface FlagUpdate {
	activity: string;
	sequence: number;
	/** The attendee's ETag as read with the activity: the write needs no read of its own first. */
	etag?: string;
	sentToSynchronizer?: boolean;
	synchronized?: boolean;
}

function flagUpdate(activity: LnActivity, attendee: LnAttendee, values: Pick<FlagUpdate, 'sentToSynchronizer' | 'synchronized'>): FlagUpdate {
	return { activity: activity.id, sequence: attendee.sequence, etag: attendee.etag, ...values };
}

export interface AttendanceUpdate {
	activity: string;
	sequence: number;
	status: AttendanceStatus;
}

export interface AttendeeToAdd {
	email: string;
	name?: string;
	role: 'Required' | 'Optional' | 'Resource';
}

/** Changes to write to an LN activity (logical field names). */
export interface ActivityUpdate {
	activity: string;
	fields: Record<string, unknown>;
	/** Set `reference` to the iCalUId of the event created by this plan item. */
	referenceFromCreatedEvent?: boolean;
	addAttendees?: AttendeeToAdd[];
	/** Attendees to un-invite (by sequence), because they left the Exchange meeting. */
	uninviteAttendees?: number[];
	etag?: string;
}

export type ExchangeWrite =
	| { op: 'create'; body: Event; transactionId: string }
	| { op: 'patch'; eventId: string; body: Event }
	| { op: 'cancel'; eventId: string; comment: string }
	| { op: 'delete'; eventId: string };

export type PlanAction = 'create' | 'update' | 'cancel' | 'delete' | 'link' | 'unchanged' | 'skip' | 'fail';

export interface ActivityPlanItem {
	company: string;
	activity: string;
	mailbox: string;
	action: PlanAction;
	reason?: string;
	/** Writes to Exchange, in order. */
	exchange: ExchangeWrite[];
	flags: FlagUpdate[];
	attendance: AttendanceUpdate[];
	update?: ActivityUpdate;
	/** Link state to store on the event after the LN update succeeded (Exchange → LN changes). */
	link?: { eventId: string; key: string; state: LinkState };
	conflict?: { policy: ConflictPolicy; winner: Origin };
	eventId?: string;
	iCalUId?: string;
	/** How the mailbox relates to the activity. */
	mode?: TargetMode;
	/** A cancellation on either side: counts toward the mass-cancellation brake. */
	removal?: boolean;
	warnings: string[];
}

export type TargetMode = 'meeting' | 'copy' | 'source' | 'attendee' | 'none';

export interface EventPlanOptions {
	now: DateTime;
	horizonDays: number;
	policy: ConflictPolicy;
	/** Zone in which events are written (Windows or IANA name). */
	timeZone: string;
	brakeShare: number;
	/** The brake only applies from this many removals on. */
	brakeMinimum: number;
	/** When the LN data was read; links written after it are never orphans. */
	readAt?: DateTime;
}

export interface EventPlanInput {
	mailbox: string;
	activities: Array<LnActivity | LnDeletedActivity>;
	linked: LinkedEvent[];
	/** The activities are every activity relevant to the mailbox: linked events without one are orphans. */
	complete: boolean;
	/** iCalUId → the event with that iCalUId in the mailbox (null: none). Filled by a first pass. */
	presence?: Map<string, Event | null>;
	syncUsers: SyncUserIndex;
}

export interface EventPlan {
	mailbox: string;
	/** iCalUIds to look up in the mailbox before the plan is final. */
	presenceNeeded: string[];
	items: ActivityPlanItem[];
	brake?: { removals: number; linked: number; share: number };
}

const CANCEL_COMMENT = 'Cancelled in Infor LN';

export function isDeleted(value: LnActivity | LnDeletedActivity): value is LnDeletedActivity {
	return (value as LnDeletedActivity).deleted === true;
}

/**
 * Decides, for one mailbox, what to do with each LN activity and each linked event: create, update,
 * cancel or delete the Exchange event, which LN changes follow from Exchange, and which attendee
 * flags and statuses LN should get (SPEC §4). Pure: the same input gives the same plan.
 */
export function planActivitySync(input: EventPlanInput, options: EventPlanOptions): EventPlan {
	const mailbox = normalizeEmail(input.mailbox);
	const horizonEnd = options.now.plus({ days: options.horizonDays });
	const presenceNeeded = new Set<string>();
	const items: ActivityPlanItem[] = [];
	const byKey = new Map<string, LinkedEvent[]>();
	for (const linked of input.linked) byKey.set(linked.key, [...(byKey.get(linked.key) ?? []), linked]);
	const seenKeys = new Set<string>();

	for (const activity of input.activities) {
		const key = activityKey(activity.company, activity.id);
		seenKeys.add(key);
		const candidates = byKey.get(key) ?? [];
		const [primary, ...duplicates] = orderLinked(candidates);
		const item = planOne(activity, primary, mailbox, input, options, horizonEnd, presenceNeeded);
		for (const duplicate of duplicates) {
			item.exchange.push({ op: 'delete', eventId: duplicate.event.id! });
			item.warnings.push(`Removed a duplicate event ${duplicate.event.id} of activity ${activity.id}`);
		}
		items.push(item);
	}

	if (input.complete) {
		for (const [key, linkedEvents] of byKey) {
			if (seenKeys.has(key)) continue;
			for (const linked of linkedEvents) items.push(planOrphan(linked, mailbox, options));
		}
	}

	// Cancellations both ways count: Exchange events LN would cancel, and LN appointments Exchange
	// would cancel (a mailbox emptied by mistake must not cancel the user's whole LN diary).
	const removals = items.filter((i) => i.removal && (i.exchange.length > 0 || i.update?.fields.status === 'Cancelled'));
	const goneFromExchange = removals.filter((i) => i.exchange.length === 0 && !input.linked.some((l) => l.event.id === i.eventId)).length;
	const linkedFuture = input.linked.filter((l) => !isPast(l.event, options.now)).length + goneFromExchange;
	const plan: EventPlan = { mailbox, presenceNeeded: [...presenceNeeded], items };
	if (removals.length >= options.brakeMinimum && removals.length > options.brakeShare * linkedFuture) {
		plan.brake = { removals: removals.length, linked: linkedFuture, share: options.brakeShare };
		for (const item of removals) {
			item.exchange = [];
			item.flags = [];
			item.update = undefined;
			item.action = 'skip';
			item.reason = `mass-change brake: this run would cancel ${removals.length} of ${linkedFuture} linked future events (more than ${Math.round(options.brakeShare * 100)} %); check LN and Exchange, then confirm by raising the brake share for one run`;
		}
	}
	return plan;
}

function orderLinked(candidates: LinkedEvent[]): LinkedEvent[] {
	return [...candidates].sort((a, b) => {
		const organizer = Number(Boolean(b.event.isOrganizer)) - Number(Boolean(a.event.isOrganizer));
		if (organizer !== 0) return organizer;
		const state = Number(Boolean(b.state)) - Number(Boolean(a.state));
		if (state !== 0) return state;
		return String(a.event.createdDateTime ?? '').localeCompare(String(b.event.createdDateTime ?? ''));
	});
}

function newItem(company: string, activity: string, mailbox: string): ActivityPlanItem {
	return { company, activity, mailbox, action: 'unchanged', exchange: [], flags: [], attendance: [], warnings: [] };
}

function isPast(event: Event, now: DateTime): boolean {
	try {
		return fromGraphDateTime(event.end as DateTimeTimeZone) < now;
	} catch {
		return false;
	}
}

function removalWrite(event: Event): ExchangeWrite {
	const hasAttendees = (event.attendees ?? []).length > 0;
	return event.isOrganizer && hasAttendees
		? { op: 'cancel', eventId: event.id!, comment: CANCEL_COMMENT }
		: { op: 'delete', eventId: event.id! };
}

function planOrphan(linked: LinkedEvent, mailbox: string, options: EventPlanOptions): ActivityPlanItem {
	const parsed = /^ln:(\d+):activity:(.+)$/.exec(linked.key);
	const item = newItem(parsed?.[1] ?? '', parsed?.[2] ?? linked.key, mailbox);
	item.eventId = linked.event.id ?? undefined;
	item.iCalUId = linked.event.iCalUId ?? undefined;
	if (isPast(linked.event, options.now)) {
		item.action = 'skip';
		item.reason = 'past event: never changed';
		return item;
	}
	const readAt = options.readAt ?? options.now;
	if (linked.state && linked.state.linkedAt * 1000 > readAt.toMillis() - 60_000) {
		item.action = 'skip';
		item.reason = 'linked while this run read LN; checked on the next run';
		return item;
	}
	const write = removalWrite(linked.event);
	item.exchange.push(write);
	item.action = write.op === 'cancel' ? 'cancel' : 'delete';
	item.reason = 'the LN activity no longer exists, or no longer involves this mailbox';
	item.removal = true;
	return item;
}

interface Roles {
	mine?: LnAttendee;
	organizer?: LnAttendee;
	organizerUser?: SyncUser;
}

function rolesOf(activity: LnActivity, mailbox: string, users: SyncUserIndex, warnings: string[]): Roles {
	const organizer = organizerOf(activity);
	const organizerUser = organizer ? users.forAttendee(organizer, warnings) : undefined;
	const mine = activity.attendees.find((a) => normalizeEmail(users.forAttendee(a)?.email ?? '') === mailbox);
	return { mine, organizer, organizerUser };
}

function targetMode(roles: Roles, mailbox: string, linked?: LinkedEvent): TargetMode {
	if (linked?.state?.origin === 'exchange') return 'source';
	if (roles.organizerUser && normalizeEmail(roles.organizerUser.email) === mailbox) return 'meeting';
	if (roles.organizerUser && roles.mine?.invite) return 'attendee';
	if (!roles.organizerUser && roles.mine?.invite) return 'copy';
	return 'none';
}

/** Problems that make an activity impossible to write to Exchange; each names the field. */
export function validateActivity(activity: LnActivity): string | undefined {
	const label = `Activity ${activity.id}`;
	let start: DateTime;
	let end: DateTime;
	try {
		start = parseInstant(activity.start, 'start');
	} catch (error) {
		return `${label}: field start: ${(error as Error).message}`;
	}
	try {
		end = parseInstant(activity.end, 'end');
	} catch (error) {
		return `${label}: field end: ${(error as Error).message}`;
	}
	if (end < start) return `${label}: field end (${activity.end}) is before start (${activity.start})`;
	if (!activity.allDay && end.equals(start) === false && end.diff(start, 'days').days > 1825) {
		return `${label}: the event lasts more than 5 years`;
	}
	const subject = String(activity.subject ?? '');
	if (subject.trim() === '') return `${label}: field subject is empty`;
	if (subject.length > SUBJECT_MAX) return `${label}: field subject has ${subject.length} characters (at most ${SUBJECT_MAX})`;
	if (invitedAttendees(activity).length > MAX_ATTENDEES) {
		return `${label}: ${invitedAttendees(activity).length} invited attendees (Exchange allows at most ${MAX_ATTENDEES})`;
	}
	return undefined;
}

function attendeeWarnings(activity: LnActivity): string[] {
	const warnings: string[] = [];
	if (activity.allDay) {
		const start = parseInstant(activity.start);
		const end = parseInstant(activity.end);
		if (!start.equals(start.startOf('day')) || !end.equals(end.startOf('day'))) {
			warnings.push(`Activity ${activity.id}: an all-day activity with times (start ${activity.start}, end ${activity.end}); synchronized as whole days`);
		}
	}
	if (!organizerOf(activity)) {
		warnings.push(`Activity ${activity.id} has no meeting organizer: invited sync users get the event in their own calendar, without invitations`);
	}
	const seen = new Map<string, number>();
	for (const attendee of activity.attendees) {
		if (!attendee.invite || attendee.role === 'MeetingOrganizer') continue;
		if (!attendee.email || attendee.email.trim() === '') {
			warnings.push(`Activity ${activity.id}, attendee ${attendee.sequence} (${attendee.name ?? attendee.code ?? 'unnamed'}): field email is empty; not invited in Exchange`);
			continue;
		}
		if (!isValidEmail(attendee.email)) {
			warnings.push(`Activity ${activity.id}, attendee ${attendee.sequence}: field email "${attendee.email}" is not a valid address; not invited in Exchange`);
			continue;
		}
		const email = normalizeEmail(attendee.email);
		if (seen.has(email)) warnings.push(`Activity ${activity.id}: attendees ${seen.get(email)} and ${attendee.sequence} have the same e-mail ${email}; invited once`);
		else seen.set(email, attendee.sequence);
	}
	return warnings;
}

function transactionIdFor(activity: LnActivity, mailbox: string, hash: string): string {
	// Deterministic: a retried create is recognised by Exchange and returns the first event.
	const digest = createHash('sha256').update(`${activity.company}|${activity.id}|${mailbox}|${hash}`).digest('hex').slice(0, 32);
	return `lnsync-${digest}`;
}

function planOne(
	activity: LnActivity | LnDeletedActivity,
	linked: LinkedEvent | undefined,
	mailbox: string,
	input: EventPlanInput,
	options: EventPlanOptions,
	horizonEnd: DateTime,
	presenceNeeded: Set<string>,
): ActivityPlanItem {
	const item = newItem(activity.company, activity.id, mailbox);
	item.eventId = linked?.event.id ?? undefined;
	item.iCalUId = linked?.event.iCalUId ?? undefined;

	if (isDeleted(activity)) {
		if (!linked) {
			item.action = 'skip';
			item.reason = 'deleted in LN; no event in this mailbox';
			return item;
		}
		if (isPast(linked.event, options.now)) {
			item.action = 'skip';
			item.reason = 'past event: never changed';
			return item;
		}
		const write = removalWrite(linked.event);
		item.exchange.push(write);
		item.action = write.op === 'cancel' ? 'cancel' : 'delete';
		item.reason = 'deleted in LN';
		item.removal = true;
		return item;
	}

	const problem = validateActivity(activity);
	if (problem) {
		item.action = 'fail';
		item.reason = problem;
		return item;
	}
	item.warnings.push(...attendeeWarnings(activity));
	const roles = rolesOf(activity, mailbox, input.syncUsers, item.warnings);
	const mode = targetMode(roles, mailbox, linked);
	item.mode = mode;
	const start = parseInstant(activity.start);
	const end = parseInstant(activity.end);
	if (end < options.now) {
		item.action = 'skip';
		item.reason = 'past event: never created, changed, cancelled or flagged';
		return item;
	}
	if (linked && isPast(linked.event, options.now)) {
		item.action = 'skip';
		item.reason = 'the Exchange event is in the past: never changed';
		return item;
	}
	const isCalendar = (CALENDAR_ACTIVITY_TYPES as readonly string[]).includes(String(activity.type));
	const wanted = isCalendar && activity.synchronize && activity.status !== 'Cancelled';
	const unwantedReason = !isCalendar
		? `type ${activity.type} is not synchronized (only Appointment and Call)`
		: activity.status === 'Cancelled'
			? 'cancelled in LN'
			: 'Synchronize is not set in LN';

	if (mode === 'none') {
		if (linked) {
			const write = removalWrite(linked.event);
			item.exchange.push(write);
			item.action = write.op === 'cancel' ? 'cancel' : 'delete';
			item.reason = 'this mailbox is no longer the organizer or an invited attendee';
			item.removal = true;
		} else {
			item.action = 'skip';
			item.reason = roles.mine ? 'this mailbox is not invited' : 'this mailbox takes no part in the activity';
		}
		return item;
	}

	if (mode === 'attendee') {
		// The organizer is another sync user: Exchange delivers the invitation; this run only confirms it.
		item.action = 'unchanged';
		const mine = roles.mine!;
		if (!wanted) {
			item.action = 'skip';
			item.reason = unwantedReason;
			return item;
		}
		if (mine.synchronized || !activity.reference) {
			if (!activity.reference) item.reason = `waiting for the organizer ${roles.organizerUser!.email} to get the event`;
			return item;
		}
		const present = input.presence?.get(activity.reference);
		if (present === undefined) {
			presenceNeeded.add(activity.reference);
			return item;
		}
		if (present) {
			item.eventId = present.id ?? undefined;
			item.iCalUId = present.iCalUId ?? undefined;
			item.flags.push(flagUpdate(activity, mine, { sentToSynchronizer: true, synchronized: true }));
		} else {
			item.reason = 'the invitation has not reached this mailbox yet';
		}
		return item;
	}

	const includeAttendees = mode !== 'copy';
	const lnCanonical = canonicalFromActivity(activity, includeAttendees);
	const lnHash = hashCanonical(lnCanonical);

	if (!wanted) {
		if (linked) {
			const write = removalWrite(linked.event);
			item.exchange.push(write);
			item.action = write.op === 'cancel' ? 'cancel' : 'delete';
			item.reason = unwantedReason;
			item.removal = true;
		} else {
			item.action = 'skip';
			item.reason = unwantedReason;
		}
		return item;
	}

	if (!linked) return planMissing(activity, roles, mode, lnCanonical, lnHash, start, horizonEnd, input, options, item, presenceNeeded);
	const isSyncUser = (a: LnAttendee) => input.syncUsers.forAttendee(a) !== undefined;
	return planExisting(activity, roles, mode, linked, lnCanonical, lnHash, options, item, isSyncUser);
}

function planMissing(
	activity: LnActivity,
	roles: Roles,
	mode: TargetMode,
	lnCanonical: CanonicalEvent,
	lnHash: string,
	start: DateTime,
	horizonEnd: DateTime,
	input: EventPlanInput,
	options: EventPlanOptions,
	item: ActivityPlanItem,
	presenceNeeded: Set<string>,
): ActivityPlanItem {
	const holder = mode === 'meeting' ? roles.organizer : roles.mine;
	const wasLinked = Boolean(holder?.synchronized);
	// Before creating, look for the event by its iCalUId: the link may have been lost, or the meeting
	// may already be in this mailbox. Never a second event.
	if (activity.reference && (mode === 'meeting' || !wasLinked)) {
		const present = input.presence?.get(activity.reference);
		if (present === undefined) {
			presenceNeeded.add(activity.reference);
			item.action = 'skip';
			item.reason = 'waiting for the iCalUId lookup';
			return item;
		}
		if (present) return planAdopt(activity, roles, mode, present, options, item);
	}
	if (wasLinked) {
		if (mode === 'meeting') {
			item.action = 'update';
			item.reason = 'the organizer deleted or cancelled the event in Exchange';
			item.update = { activity: activity.id, fields: { status: 'Cancelled' }, etag: activity.etag };
			item.removal = true;
			return item;
		}
		// A direct copy the attendee removed: recorded as a decline, not recreated.
		item.action = 'update';
		item.reason = 'the attendee removed the event from the calendar';
		const mine = roles.mine!;
		item.flags.push(flagUpdate(activity, mine, { synchronized: false }));
		if (mine.status !== 'Declined') item.attendance.push({ activity: activity.id, sequence: mine.sequence, status: 'Declined' });
		return item;
	}
	if (mode === 'copy' && roles.mine?.status === 'Declined') {
		item.action = 'skip';
		item.reason = 'the attendee declined';
		return item;
	}
	if (start > horizonEnd) {
		item.action = 'skip';
		item.reason = `starts after the horizon of ${options.horizonDays} days`;
		return item;
	}
	const body: Event = {
		...graphEventFields(lnCanonical, options.timeZone),
		sensitivity: activity.sensitivity === 'Private' || activity.sensitivity === 'Confidential' || activity.sensitivity === 'Personal'
			? (String(activity.sensitivity).toLowerCase() as Event['sensitivity'])
			: 'normal',
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: activityKey(activity.company, activity.id) },
			{ id: LN_STATE_PROPERTY, value: encodeState({ origin: 'ln', hash: lnHash, linkedAt: options.now.toSeconds() }) },
		],
	};
	if (!isValidZone(options.timeZone)) {
		item.action = 'fail';
		item.reason = `Unknown time zone "${options.timeZone}"`;
		return item;
	}
	item.exchange.push({ op: 'create', body, transactionId: transactionIdFor(activity, item.mailbox, lnHash) });
	item.action = 'create';
	const isSyncUser = (a: LnAttendee) => input.syncUsers.forAttendee(a) !== undefined;
	// Everyone invited is listed on the event being created.
	item.flags.push(...holderFlags(activity, roles, mode, isSyncUser, () => true));
	if (mode === 'meeting') {
		item.update = { activity: activity.id, fields: {}, referenceFromCreatedEvent: true, etag: activity.etag };
	}
	return item;
}

/**
 * Flags once the event exists for the holder (SPEC §4.1): Sent to Synchronizer = Yes; Synchronized =
 * Yes for the organizer and for attendees the organizer's event lists (`listed`), while a sync user
 * counts as synchronized only once the event is in their own calendar (their own run checks that).
 */
function holderFlags(
	activity: LnActivity,
	roles: Roles,
	mode: TargetMode,
	isSyncUser: (attendee: LnAttendee) => boolean,
	listed: (attendee: LnAttendee) => boolean,
): FlagUpdate[] {
	const flags: FlagUpdate[] = [];
	const want = (attendee: LnAttendee, synchronized: boolean) => {
		if (attendee.sentToSynchronizer && attendee.synchronized === synchronized) return;
		flags.push(flagUpdate(activity, attendee, { sentToSynchronizer: true, synchronized }));
	};
	if (mode === 'copy') {
		if (roles.mine) want(roles.mine, true);
		return flags;
	}
	if (roles.organizer) want(roles.organizer, true);
	for (const attendee of invitedAttendees(activity)) {
		if (isSyncUser(attendee)) want(attendee, attendee.synchronized);
		else want(attendee, listed(attendee));
	}
	return flags;
}

function planAdopt(
	activity: LnActivity,
	roles: Roles,
	mode: TargetMode,
	present: Event,
	options: EventPlanOptions,
	item: ActivityPlanItem,
): ActivityPlanItem {
	item.eventId = present.id ?? undefined;
	item.iCalUId = present.iCalUId ?? undefined;
	item.action = 'link';
	item.reason = 'found the event by its iCalUId; linked instead of creating a second one';
	if (mode === 'copy' || mode === 'attendee' || !present.isOrganizer) {
		// Someone else's meeting in this mailbox: it stands for this attendee, nothing to write.
		if (roles.mine) item.flags.push(flagUpdate(activity, roles.mine, { sentToSynchronizer: true, synchronized: true }));
		item.reason = 'the meeting is already in this calendar';
		return item;
	}
	const exHash = hashCanonical(canonicalFromEvent(present, true));
	// Linked with the state of the event as found: the next comparison sees LN's differences as LN changes.
	item.exchange.push({
		op: 'patch',
		eventId: present.id!,
		body: {
			singleValueExtendedProperties: [
				{ id: LN_KEY_PROPERTY, value: activityKey(activity.company, activity.id) },
				{ id: LN_STATE_PROPERTY, value: encodeState({ origin: 'ln', hash: exHash, linkedAt: options.now.toSeconds() }) },
			],
		},
	});
	if (roles.organizer && !(roles.organizer.sentToSynchronizer && roles.organizer.synchronized)) {
		item.flags.push(flagUpdate(activity, roles.organizer, { sentToSynchronizer: true, synchronized: true }));
	}
	return item;
}

function planExisting(
	activity: LnActivity,
	roles: Roles,
	mode: TargetMode,
	linked: LinkedEvent,
	lnCanonical: CanonicalEvent,
	lnHash: string,
	options: EventPlanOptions,
	item: ActivityPlanItem,
	isSyncUser: (attendee: LnAttendee) => boolean,
): ActivityPlanItem {
	const event = linked.event;
	const key = activityKey(activity.company, activity.id);
	if (event.isCancelled) {
		// An attendee copy whose organizer cancelled the meeting.
		item.action = 'update';
		item.reason = 'the organizer cancelled the meeting in Exchange';
		item.update = { activity: activity.id, fields: { status: 'Cancelled' }, etag: activity.etag };
		item.removal = true;
		return item;
	}
	const includeAttendees = mode !== 'copy';
	let exCanonical: CanonicalEvent;
	try {
		exCanonical = canonicalFromEvent(event, includeAttendees);
	} catch (error) {
		item.action = 'fail';
		item.reason = `Event ${event.id} in ${item.mailbox}: ${(error as Error).message}`;
		return item;
	}
	const exHash = hashCanonical(exCanonical);
	const origin: Origin = linked.state?.origin ?? 'ln';
	const stored = linked.state?.hash ?? exHash;
	const lnChanged = lnHash !== stored;
	const exChanged = exHash !== stored;
	let winner: Origin | undefined;
	if (lnChanged && exChanged && lnHash !== exHash) {
		winner = mode === 'copy' ? 'ln' : options.policy === 'lnWins' ? 'ln' : options.policy === 'exchangeWins' ? 'exchange' : origin;
		item.conflict = { policy: options.policy, winner };
		item.warnings.push(`Conflict on activity ${activity.id}: changed in LN and in Exchange since the last sync; ${winner === 'ln' ? 'LN' : 'Exchange'} wins (${options.policy})`);
	} else if (lnChanged && exChanged) {
		winner = undefined; // both changed to the same content: only the stored state is stale
	} else if (lnChanged) {
		winner = 'ln';
	} else if (exChanged) {
		winner = mode === 'copy' ? 'ln' : 'exchange';
	}

	const newState = (hash: string): LinkState => ({ origin, hash, linkedAt: options.now.toSeconds() });
	if (winner === 'ln') {
		const fields = changedFields(exCanonical, lnCanonical);
		item.exchange.push({
			op: 'patch',
			eventId: event.id!,
			body: {
				...graphEventFields(lnCanonical, options.timeZone, fields),
				singleValueExtendedProperties: [{ id: LN_STATE_PROPERTY, value: encodeState(newState(lnHash)) }],
			},
		});
		item.action = 'update';
		item.reason = `changed in LN: ${fields.join(', ')}`;
	} else if (winner === 'exchange') {
		const fields = changedFields(lnCanonical, exCanonical);
		const update: ActivityUpdate = { activity: activity.id, fields: lnActivityFields(exCanonical, fields.filter((f) => f !== 'attendees')), etag: activity.etag };
		if (fields.includes('attendees')) Object.assign(update, attendeeChanges(activity, exCanonical));
		item.update = update;
		item.link = { eventId: event.id!, key, state: newState(exHash) };
		item.action = 'update';
		item.reason = `changed in Exchange: ${fields.join(', ')}`;
	} else if (lnChanged && exChanged) {
		item.exchange.push({
			op: 'patch',
			eventId: event.id!,
			body: { singleValueExtendedProperties: [{ id: LN_STATE_PROPERTY, value: encodeState(newState(lnHash)) }] },
		});
		item.action = 'update';
		item.reason = 'both sides changed to the same content';
	}

	if (mode === 'meeting' && event.iCalUId && activity.reference !== event.iCalUId) {
		// The run that created the event stopped before LN got its reference: the event's link decides.
		item.update ??= { activity: activity.id, fields: {}, etag: activity.etag };
		item.update.fields = { ...item.update.fields, reference: event.iCalUId };
		item.reason ??= 'LN did not have the reference of its event yet';
		if (item.action === 'unchanged') item.action = 'update';
	}

	// Responses and flags, whatever happened to the content.
	if (mode === 'meeting' || mode === 'source') {
		const listed = new Map((event.attendees ?? []).map((a) => [normalizeEmail(a.emailAddress?.address ?? ''), a]));
		for (const attendee of invitedAttendees(activity)) {
			const entry = listed.get(normalizeEmail(attendee.email!));
			if (!entry) continue;
			const status = responseToStatus(entry.status?.response);
			if (status !== attendee.status && !(status === 'None' && attendee.status === 'None')) {
				item.attendance.push({ activity: activity.id, sequence: attendee.sequence, status });
			}
		}
		if (mode === 'meeting') {
			// After an LN-wins patch the event lists exactly LN's invited attendees.
			const isListed = (a: LnAttendee) => winner === 'ln' || listed.has(normalizeEmail(a.email ?? ''));
			item.flags.push(...holderFlags(activity, roles, mode, isSyncUser, isListed));
		}
	} else if (mode === 'copy' && roles.mine && (!roles.mine.synchronized || !roles.mine.sentToSynchronizer)) {
		item.flags.push(flagUpdate(activity, roles.mine, { sentToSynchronizer: true, synchronized: true }));
	}
	if (item.action === 'unchanged' && (item.flags.length || item.attendance.length)) item.action = 'update';
	return item;
}

/** Attendees to add to LN (in Exchange, not invited in LN) and to un-invite (invited in LN, gone from Exchange). */
function attendeeChanges(activity: LnActivity, exCanonical: CanonicalEvent): Pick<ActivityUpdate, 'addAttendees' | 'uninviteAttendees'> {
	const exchange = new Map((exCanonical.attendees ?? []).map((a) => [a.email, a]));
	const invited = invitedAttendees(activity);
	const invitedEmails = new Set(invited.map((a) => normalizeEmail(a.email!)));
	const addAttendees: AttendeeToAdd[] = [];
	for (const [email, attendee] of exchange) {
		if (invitedEmails.has(email)) continue;
		addAttendees.push({ email, role: attendee.type === 'optional' ? 'Optional' : attendee.type === 'resource' ? 'Resource' : 'Required' });
	}
	const uninviteAttendees = invited.filter((a) => !exchange.has(normalizeEmail(a.email!))).map((a) => a.sequence);
	return { addAttendees, uninviteAttendees };
}
