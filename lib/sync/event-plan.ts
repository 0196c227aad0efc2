import { createHash } from 'node:crypto';

import type { Event } from '@microsoft/microsoft-graph-types';
import type { DateTime } from 'luxon';

import { CALENDAR_ACTIVITY_TYPES, LN_CODE, type AttendanceStatus } from '../ln/contract';
import {
	canonicalFromActivity,
	canonicalFromEvent,
	changedFields,
	graphEventFields,
	fieldsChangedSince,
	invitedAttendees,
	isValidEmail,
	lnActivityFields,
	MAX_ATTENDEES,
	normalizeEmail,
	organizerOf,
	responseToStatus,
	sameContent,
	SUBJECT_MAX,
	syncHash,
	type CanonicalAttendee,
	type CanonicalEvent,
} from './canonical';
import type { AttendeeFacts, FlagUpdate } from './flags';
import { involvementOf, type LinkGuard } from './guard';
import { activityKey, encodeState, LN_KEY_PROPERTY, LN_STATE_PROPERTY, parseKey, signLink, verifyLink, type LinkState, type LinkTrust, type OccurrenceLink } from './link';
import type { ConflictPolicy, LnActivity, LnAttendee, LnDeletedActivity, Origin, SyncUser } from './model';
import { ownerOf, type SyncUserIndex } from './sync-users';
import { fromGraphDateTime, isPastActivity, isValidZone, parseInstant, type DateTimeTimeZone } from './time';

export type { FlagUpdate } from './flags';

/** An event in the mailbox that carries our LN key, or an occurrence its series master links. */
export interface LinkedEvent {
	event: Event;
	key: string;
	state?: LinkState;
	/** An occurrence: the link is an entry on its series master, never on the occurrence itself. */
	occurrence?: { masterId: string; link: OccurrenceLink };
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
	/** Their answer in Exchange, when they already gave one. */
	status?: AttendanceStatus;
}

/** An attendee of the Exchange meeting with their answer. */
export type ExchangeAttendee = CanonicalAttendee & { status?: AttendanceStatus };

/** Changes to write to an LN activity (logical field names). */
export interface ActivityUpdate {
	activity: string;
	fields: Record<string, unknown>;
	/** Set `reference` to the iCalUId of the event created by this plan item. */
	referenceFromCreatedEvent?: boolean;
	addAttendees?: AttendeeToAdd[];
	/** Attendees to un-invite (by sequence), because they left the Exchange meeting. */
	uninviteAttendees?: number[];
	/** Attendees with a line that is not invited, whom the Exchange meeting invites (by sequence). */
	reinviteAttendees?: number[];
	/** Attendees whose role changed in the Exchange meeting (required, optional, resource). */
	changeRoles?: Array<{ sequence: number; role: 'Required' | 'Optional' | 'Resource' }>;
	/**
	 * The Exchange attendee list, where the planner had no LN attendees to compare with (an occurrence):
	 * LN works out what to add, un-invite and change against the activity it reads (attendeeChanges).
	 */
	attendeesFromExchange?: ExchangeAttendee[];
	/**
	 * A sync user organizes the meeting: attendees added are in the synchronizer's scope. When nobody
	 * who is a sync user does (LN follows a meeting organized outside it), only sync users are
	 * (appointment-plan.ts). Absent: decided against the activity LN reads before the write.
	 */
	organizerIsSyncUser?: boolean;
	etag?: string;
	/** Checked by LN against the activity before writing (see guard.ts). */
	guard?: LinkGuard;
	/** The link to store on the event once LN has the change (Exchange → LN changes). */
	link?: { mailbox: string; eventId: string; iCalUId?: string; company: string; activity: string; state: LinkState };
}

export type ExchangeWrite =
	| { op: 'create'; body: Event; transactionId: string }
	| { op: 'patch'; eventId: string; body: Event }
	| { op: 'cancel'; eventId: string; comment: string }
	| { op: 'delete'; eventId: string };

export type PlanAction = 'create' | 'update' | 'cancel' | 'delete' | 'link' | 'unchanged' | 'skip' | 'fail' | 'verify' | 'refused';

/**
 * Whether the event exists for an attendee once the item's writes went through (an item whose writes
 * fail decides no flags): known now, or, for a sync user whom this item's write sends the meeting
 * (created, or updated in what attendees see), once their copy is found in their calendar.
 */
export type Existence = boolean | 'copyAfterWrite';

/** An attendee line whose flags this mailbox's run decides. */
export interface LineDecision {
	sequence: number;
	inScope: boolean;
	exists: Existence;
}

export interface ActivityPlanItem {
	company: string;
	activity: string;
	mailbox: string;
	action: PlanAction;
	reason?: string;
	/** Writes to Exchange, in order. */
	exchange: ExchangeWrite[];
	/** Attendee lines whose flags follow from this item (settle.ts turns them into `flags`). */
	lines: LineDecision[];
	/** Flag writes, filled by settle.ts. */
	flags: FlagUpdate[];
	attendance: AttendanceUpdate[];
	update?: ActivityUpdate;
	/** Occurrence links to store on their series masters after the writes (new hash, or a signature), or to forget (`remove`). */
	seriesLinks: Array<{ masterId: string; eventId: string; iCalUId: string; hash: string; remove?: boolean }>;
	conflict?: { policy: ConflictPolicy; winner: Origin };
	eventId?: string;
	iCalUId?: string;
	/** How the mailbox relates to the activity. */
	mode?: TargetMode;
	/** A cancellation on either side: counts toward the mass-cancellation brake. */
	removal?: boolean;
	/** Decided for this run only: the next one must look again (the calendar is not settled, settled.ts). */
	provisional?: boolean;
	warnings: string[];
}

/**
 * How the mailbox relates to the activity:
 * - `meeting`: its user is the meeting organizer and a sync user: the meeting is kept in this mailbox;
 * - `attendee`: another sync user organizes; Exchange delivers the invitation here;
 * - `copy`: nobody who is a sync user organizes; the event is written straight into this calendar;
 * - `follow`: nobody who is a sync user organizes, but the activity stands for a meeting in Exchange
 *   (its reference): the invitation is in this calendar, and LN follows the meeting;
 * - `none`: the user is neither organizer nor invited.
 */
export type TargetMode = 'meeting' | 'attendee' | 'copy' | 'follow' | 'none';

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
	/** Signs the links written and checks those read (link.ts). */
	linkKey: Buffer;
}

export interface EventPlanInput {
	mailbox: string;
	activities: Array<LnActivity | LnDeletedActivity>;
	linked: LinkedEvent[];
	/** The activities are every activity relevant to the mailbox: linked events without one are checked in LN. */
	complete: boolean;
	/** iCalUId → the event with that iCalUId in the mailbox (null: none). Filled by a first pass. */
	presence?: Map<string, Event | null>;
	/** Occurrence links on this mailbox's series masters, by the activity each names (whether or not the occurrence is in the window). */
	seriesHeld?: Map<string, OccurrenceLink[]>;
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
/** Changes Exchange sends to every attendee as a meeting update (reminder and show-as are the organizer's own). */
const RESENT_FIELDS: Array<keyof CanonicalEvent> = ['subject', 'allDay', 'start', 'end', 'location', 'body'];

export function isDeleted(value: LnActivity | LnDeletedActivity): value is LnDeletedActivity {
	return (value as LnDeletedActivity).deleted === true;
}

/**
 * Decides, for one mailbox, what to do with each LN activity and each linked event: create, update,
 * cancel or delete the Exchange event, which LN changes follow from Exchange, and which attendee
 * lines get their flags decided here. Pure: the same input gives the same plan.
 */
export function planActivitySync(input: EventPlanInput, options: EventPlanOptions): EventPlan {
	const mailbox = normalizeEmail(input.mailbox);
	const context: PlanContext = { input, options, mailbox, horizonEnd: options.now.plus({ days: options.horizonDays }), presenceNeeded: new Set() };
	const items: ActivityPlanItem[] = [];
	const byKey = new Map<string, LinkedEvent[]>();
	for (const linked of input.linked) byKey.set(linked.key, [...(byKey.get(linked.key) ?? []), linked]);
	const seenKeys = new Set<string>();

	for (const activity of input.activities) {
		const key = activityKey(activity.company, activity.id);
		// One plan item per activity, however many input items name it (push may bring it twice).
		if (seenKeys.has(key)) continue;
		seenKeys.add(key);
		items.push(planActivity(activity, byKey.get(key) ?? [], context));
	}
	if (input.complete) {
		for (const [key, linkedEvents] of byKey) {
			if (seenKeys.has(key)) continue;
			for (const linked of linkedEvents) items.push(planOrphan(linked, context));
		}
	}
	return withBrake({ mailbox, presenceNeeded: [...context.presenceNeeded], items }, input, options);
}

interface PlanContext {
	input: EventPlanInput;
	options: EventPlanOptions;
	mailbox: string;
	horizonEnd: DateTime;
	presenceNeeded: Set<string>;
}

/** Cancellations both ways count: a mailbox emptied by mistake must not cancel the user's whole LN diary. */
function withBrake(plan: EventPlan, input: EventPlanInput, options: EventPlanOptions): EventPlan {
	const removals = plan.items.filter((i) => i.removal && (i.exchange.length > 0 || i.update?.fields.status === 'Cancelled'));
	const goneFromExchange = removals.filter((i) => i.exchange.length === 0 && !input.linked.some((l) => l.event.id === i.eventId)).length;
	const linkedFuture = input.linked.filter((l) => !isPast(l.event, options.now)).length + goneFromExchange;
	if (removals.length >= options.brakeMinimum && removals.length > options.brakeShare * linkedFuture) {
		plan.brake = { removals: removals.length, linked: linkedFuture, share: options.brakeShare };
		for (const item of removals) {
			// A braked item does nothing at all: no write, no flag, no link forgotten.
			item.exchange = [];
			item.lines = [];
			item.attendance = [];
			item.seriesLinks = [];
			item.update = undefined;
			item.action = 'skip';
			item.reason = `mass-change brake: this run would cancel ${removals.length} of ${linkedFuture} linked future events (more than ${Math.round(options.brakeShare * 100)} %); check LN and Exchange, then confirm by raising the brake share for one run`;
		}
	}
	return plan;
}

function newItem(company: string, activity: string, mailbox: string): ActivityPlanItem {
	return { company, activity, mailbox, action: 'unchanged', exchange: [], lines: [], flags: [], attendance: [], seriesLinks: [], warnings: [] };
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

/** Cancels or deletes the event a candidate stands for; an occurrence's link on its series goes too. */
function remove(item: ActivityPlanItem, candidate: LinkedEvent, reason: string): void {
	const { event } = candidate;
	const write = removalWrite(event);
	if (candidate.occurrence) item.seriesLinks.push({ masterId: candidate.occurrence.masterId, eventId: event.id!, iCalUId: event.iCalUId!, hash: '', remove: true });
	item.exchange.push(write);
	if (item.action === 'unchanged' || item.action === 'skip') item.action = write.op === 'cancel' ? 'cancel' : 'delete';
	item.reason = reason;
	item.removal = true;
}

/** Nothing (more) to do for the item; writes already planned for it stay. */
function skip(item: ActivityPlanItem, reason: string): ActivityPlanItem {
	if (item.exchange.length === 0 && !item.update) {
		item.action = 'skip';
		item.reason = reason;
	} else {
		item.reason = item.reason ? `${item.reason}; ${reason}` : reason;
	}
	return item;
}

/**
 * A linked event whose activity was not in the input: the activity may be gone, moved out of the
 * window, or no longer involve this mailbox. Which one only LN can say: the item asks for the
 * activity to be read and planned on its own (a record that left the window is not a deletion).
 */
function planOrphan(linked: LinkedEvent, context: PlanContext): ActivityPlanItem {
	const parsed = parseKey(linked.key);
	const item = newItem(parsed?.company ?? '', parsed?.id ?? linked.key, context.mailbox);
	item.eventId = linked.event.id ?? undefined;
	item.iCalUId = linked.event.iCalUId ?? undefined;
	if (!parsed || parsed.kind !== 'activity' || !LN_CODE.test(parsed.id)) {
		item.warnings.push(`Event ${linked.event.id} in ${context.mailbox} carries the link "${linked.key}", which names no LN activity; refused`);
		return Object.assign(skip(item, 'a link that names no LN activity'), { action: 'refused' as const });
	}
	if (isPast(linked.event, context.options.now)) return skip(item, 'past event: never changed');
	const readAt = context.options.readAt ?? context.options.now;
	if (linked.state && linked.state.linkedAt * 1000 > readAt.toMillis() - 60_000) {
		return Object.assign(skip(item, 'linked while this run read LN; checked on the next run'), { provisional: true });
	}
	item.action = 'verify';
	item.reason = 'not among the LN activities of this mailbox: read from LN and checked on its own';
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
	const mine = activity.attendees.find((a) => normalizeEmail(users.forAttendee(a, warnings)?.email ?? '') === mailbox);
	return { mine, organizer, organizerUser };
}

function targetMode(activity: LnActivity, roles: Roles, mailbox: string): TargetMode {
	if (roles.organizerUser && normalizeEmail(roles.organizerUser.email) === mailbox) return 'meeting';
	if (!roles.mine?.invite) return 'none';
	if (roles.organizerUser) return 'attendee';
	return activity.reference ? 'follow' : 'copy';
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
	// Both in UTC: days are 24 hours (luxon's diff is costly, and runs for every activity of every mailbox).
	if (!activity.allDay && end.toMillis() - start.toMillis() > 1825 * 86_400_000) {
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

function attendeeWarnings(activity: LnActivity, roles: Roles, mode: TargetMode): string[] {
	const warnings: string[] = [];
	if (activity.allDay) {
		const start = parseInstant(activity.start);
		const end = parseInstant(activity.end);
		if (!start.equals(start.startOf('day')) || !end.equals(end.startOf('day'))) {
			warnings.push(`Activity ${activity.id}: an all-day activity with times (start ${activity.start}, end ${activity.end}); synchronized as whole days`);
		}
	}
	if (mode === 'copy' || mode === 'follow') {
		// The report says why no invitations are sent.
		const how = mode === 'copy' ? 'invited sync users get the event in their own calendar, without invitations' : 'the event reaches invited sync users through the Exchange meeting it came from, and LN follows that meeting';
		const organizer = roles.organizer;
		warnings.push(
			organizer
				? `Activity ${activity.id}: the meeting organizer ${organizer.code ?? organizer.name ?? ''} (${organizer.email ?? 'no e-mail'}) is not an active sync user: ${how}`
				: `Activity ${activity.id} has no meeting organizer: ${how}`,
		);
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

/** An activity that LN's Appointment session could mark Synchronize: a meeting organizer and an invitee. */
function lnCouldSynchronize(activity: LnActivity): boolean {
	return Boolean(organizerOf(activity)) && activity.attendees.some((a) => a.invite && a.role !== 'MeetingOrganizer');
}

/**
 * Whether an LN appointment takes an Exchange meeting's changes: Synchronize is set, or LN could not set
 * it (an appointment made from a meeting organized outside the sync users). One LN could mark but did
 * not is LN's user saying no: the meeting is not taken into it.
 */
export function lnFollowsMeeting(activity: LnActivity): boolean {
	return activity.synchronize || !lnCouldSynchronize(activity);
}

interface Candidate extends LinkedEvent {
	trust: LinkTrust;
}

/**
 * The links in this mailbox that may stand for the activity: signed by us for this mailbox and item,
 * or (links from before signing, or after the credential's secret changed) confirmed by LN — the
 * mailbox's user takes part in the activity and the activity refers to the item. Others are refused
 * and reported; nothing is read from or written to them.
 */
function trustedCandidates(activity: LnActivity | LnDeletedActivity, linked: LinkedEvent[], context: PlanContext, item: ActivityPlanItem): Candidate[] {
	const trusted: Candidate[] = [];
	for (const candidate of linked) {
		const trust = verifyLink(context.options.linkKey, subjectOf(activity, context.mailbox, candidate.event), candidate.state?.signature);
		if (trust === 'signed' || isDeleted(activity) || confirmedByLn(activity, candidate.event, candidate.state?.origin, context)) {
			trusted.push({ ...candidate, trust });
			continue;
		}
		item.warnings.push(
			`Event ${candidate.event.id} in ${context.mailbox} ("${candidate.event.subject ?? ''}") carries a link to LN activity ${activity.id} that ${trust === 'mismatch' ? 'does not match its signature' : 'is not signed'}, and LN does not confirm it (${context.mailbox} does not take part in the activity, or the activity refers to another Exchange item); refused`,
		);
	}
	return trusted;
}

/**
 * The activity is an occurrence of one of this mailbox's series: by an occurrence link we signed, or
 * an older unsigned one LN confirms (as trustedCandidates does for event links). A link the mailbox's
 * owner wrote herself names no activity here: it cannot keep LN's meeting from being made.
 */
function heldBySeries(activity: LnActivity, context: PlanContext): boolean {
	return (context.input.seriesHeld?.get(activity.id) ?? []).some((entry) => {
		const occurrence: Event = { iCalUId: entry.iCalUId };
		return verifyLink(context.options.linkKey, subjectOf(activity, context.mailbox, occurrence), entry.signature) === 'signed' || confirmedByLn(activity, occurrence, 'exchange', context);
	});
}

function subjectOf(activity: { company: string; id: string }, mailbox: string, event: Event) {
	return { company: activity.company, activity: activity.id, mailbox, iCalUId: event.iCalUId, transactionId: event.transactionId };
}

function confirmedByLn(activity: LnActivity, event: Event, origin: Origin | undefined, context: PlanContext): boolean {
	const involvement = involvementOf(activity, context.mailbox, context.input.syncUsers);
	if (!involvement) return false;
	if (activity.reference) return activity.reference === event.iCalUId;
	// A direct copy (LN's content written into an invited attendee's calendar, no reference in LN): it
	// stands only for that attendee's own line, and nothing of its content ever reaches LN.
	const users = context.input.syncUsers;
	const organizer = organizerOf(activity);
	return involvement.role === 'attendee' && origin === 'ln' && !(organizer && users.forAttendee(organizer));
}

/** The state to store on an item linked to the activity, signed over the item's identity. */
function signedState(context: PlanContext, activity: LnActivity, state: Omit<LinkState, 'signature'>, identity: { iCalUId?: string | null; transactionId?: string | null }): LinkState {
	const subject = { company: activity.company, activity: activity.id, mailbox: context.mailbox, ...identity };
	return { ...state, signature: signLink(context.options.linkKey, subject) };
}

function planActivity(activity: LnActivity | LnDeletedActivity, linked: LinkedEvent[], context: PlanContext): ActivityPlanItem {
	const { options, mailbox } = context;
	const item = newItem(activity.company, activity.id, mailbox);
	const candidates = orderCandidates(trustedCandidates(activity, linked, context, item));
	const primary = candidates[0];
	item.eventId = primary?.event.id ?? undefined;
	item.iCalUId = primary?.event.iCalUId ?? undefined;

	if (isDeleted(activity)) {
		const live = candidates.filter((c) => !isPast(c.event, options.now));
		if (live.length === 0) return skip(item, candidates.length ? 'past event: never changed' : 'deleted in LN; no event in this mailbox');
		for (const candidate of live) remove(item, candidate, 'deleted in LN');
		return item;
	}

	const problem = validateActivity(activity);
	if (problem) {
		item.action = 'fail';
		item.reason = problem;
		return item;
	}
	const roles = rolesOf(activity, mailbox, context.input.syncUsers, item.warnings);
	let mode = targetMode(activity, roles, mailbox);
	item.warnings.push(...attendeeWarnings(activity, roles, mode));
	const activityPast = isPastActivity(activity, options.now);
	if (activityPast && (!primary || isPast(primary.event, options.now))) return skip(item, 'past event: never created, changed, cancelled or flagged');

	// Events in this mailbox that no longer stand for the activity as it is now: an earlier organizer's
	// meeting, or a direct copy from when nobody who is a sync user organized it.
	const partition = partitionCandidates(candidates, activity, mode);
	const stale = partition[1];
	let kept = partition[0];
	for (const candidate of stale) {
		if (isPast(candidate.event, options.now)) continue;
		const wasTheMeeting = candidate.event.isOrganizer && (candidate.event.attendees ?? []).length > 0;
		remove(item, candidate, wasTheMeeting ? 'the meeting organizer in LN is no longer this mailbox\'s user: the old meeting is cancelled' : 'the event now reaches this calendar as an invitation');
		// The event goes on where it now belongs (another organizer's meeting, or copies): not a loss the
		// brake counts — braking it would leave two meetings for one activity.
		if (activity.status !== 'Cancelled') item.removal = false;
		if (activity.reference && activity.reference === candidate.event.iCalUId) {
			item.update = { activity: activity.id, fields: { reference: '', ...editsOfFormerMeeting(activity, candidate, context, item) }, etag: activity.etag };
		}
	}
	// The meeting LN followed was this mailbox's own, now cancelled: nobody who is a sync user
	// organizes the activity any more, so its invited sync users get it in their own calendars.
	const meetingLeft = mode === 'follow' && item.update?.fields.reference === '';
	if (meetingLeft) {
		mode = 'copy';
		[kept] = partitionCandidates(candidates.filter((c) => !stale.includes(c)), { ...activity, reference: '' }, mode);
	}
	item.mode = mode;
	for (const duplicate of kept.slice(1)) {
		item.exchange.push({ op: 'delete', eventId: duplicate.event.id! });
		item.warnings.push(`Removed a duplicate event ${duplicate.event.id} of activity ${activity.id}`);
	}
	const own = kept[0];
	item.eventId = own?.event.id ?? (stale.length ? undefined : item.eventId);
	item.iCalUId = own?.event.iCalUId ?? (stale.length ? undefined : item.iCalUId);

	const isCalendar = (CALENDAR_ACTIVITY_TYPES as readonly string[]).includes(String(activity.type));
	// Occurrence links are always of Exchange origin, whether or not the occurrence was read this run.
	// (Not once its meeting left this calendar: the series may still list the occurrence this run removes.)
	const fromExchange = own?.state?.origin === 'exchange' || (!meetingLeft && heldBySeries(activity, context));
	// An appointment made from an Exchange event keeps following it whatever its Synchronize flag (LN
	// allows that flag only with a meeting organizer and an invitee, see appointment-plan.ts): the
	// mailbox that holds that event says so by its link, any other by LN's data alone. An invited
	// attendee goes by what the organizer's run decided: the organizer line's Sent to Synchronizer.
	const keptBy =
		mode === 'attendee'
			? Boolean(roles.organizer?.sentToSynchronizer)
			: activity.synchronize || fromExchange || (!lnCouldSynchronize(activity) && Boolean(activity.reference));
	const wanted = isCalendar && activity.status !== 'Cancelled' && keptBy;
	const unwantedReason = !isCalendar
		? `type ${activity.type} is not synchronized (only Appointment and Call)`
		: activity.status === 'Cancelled'
			? 'cancelled in LN'
			: mode === 'attendee' && activity.synchronize
				? `waiting for its meeting organizer ${roles.organizerUser?.email ?? ''} to synchronize it`
				: 'Synchronize is not set in LN';

	let planned: ActivityPlanItem;
	switch (mode) {
		case 'none':
			planned = planNone(activity, roles, own, item, unwantedReason);
			break;
		case 'attendee':
		case 'follow':
			planned = withOthersOutOfScope(planInvited(activity, roles, mode, own, wanted, unwantedReason, context, item), activity, mode, context);
			break;
		case 'copy':
			planned = withOthersOutOfScope(planOwned(activity, roles, mode, own, wanted, unwantedReason, context, item), activity, mode, context);
			break;
		case 'meeting':
			planned = planOwned(activity, roles, mode, own, wanted, unwantedReason, context, item);
			break;
	}
	if (activityPast) {
		// A past LN activity is never changed or flagged, whatever its event (still future) gets.
		planned.update = undefined;
		planned.lines = [];
		planned.attendance = [];
	}
	return planned;
}

/**
 * Without a sync user organizing, the synchronizer takes no event for anyone who is not a sync user
 * (nobody can invite them): their lines get No and No, decided by each invited sync user's run alike.
 */
function withOthersOutOfScope(item: ActivityPlanItem, activity: LnActivity, mode: TargetMode, context: PlanContext): ActivityPlanItem {
	if (mode === 'attendee' || item.action === 'fail') return item;
	const decided = new Set(item.lines.map((l) => l.sequence));
	for (const line of activity.attendees) {
		if (decided.has(line.sequence) || context.input.syncUsers.forAttendee(line)) continue;
		item.lines.push({ sequence: line.sequence, inScope: false, exists: false });
	}
	return item;
}

/**
 * What the organizer changed in her meeting (subject, time, place, text) since the last sync, when LN
 * gave the activity to another organizer meanwhile: LN gets those edits as the meeting leaves her
 * calendar, and the new organizer's meeting follows LN. A field LN changed too keeps LN's value.
 */
function editsOfFormerMeeting(activity: LnActivity, former: Candidate, context: PlanContext, item: ActivityPlanItem): Record<string, unknown> {
	const stored = former.state?.hash;
	if (!stored || former.occurrence || activity.status === 'Cancelled' || isPastActivity(activity, context.options.now)) return {};
	if (!involvementOf(activity, context.mailbox, context.input.syncUsers)) return {};
	let exCanonical: CanonicalEvent;
	try {
		exCanonical = canonicalFromEvent(former.event, false);
	} catch {
		return {};
	}
	const byExchange = fieldsChangedSince(stored, exCanonical) ?? [];
	const byLn = fieldsChangedSince(stored, canonicalFromActivity(activity, false)) ?? [];
	const carried = RESENT_FIELDS.filter((field) => byExchange.includes(field) && !byLn.includes(field));
	const kept = RESENT_FIELDS.filter((field) => byExchange.includes(field) && byLn.includes(field));
	if (kept.length) item.warnings.push(`Conflict on activity ${activity.id}: ${kept.join(', ')} changed in LN and in ${context.mailbox}'s meeting, which LN gave to another organizer; LN wins`);
	if (!carried.length) return {};
	item.reason = `changed in Exchange: ${carried.join(', ')}, before the meeting went to its new organizer`;
	return lnActivityFields(exCanonical, carried);
}

function orderCandidates(candidates: Candidate[]): Candidate[] {
	return [...candidates].sort((a, b) => {
		const organizer = Number(Boolean(b.event.isOrganizer)) - Number(Boolean(a.event.isOrganizer));
		if (organizer !== 0) return organizer;
		const state = Number(Boolean(b.state)) - Number(Boolean(a.state));
		if (state !== 0) return state;
		return String(a.event.createdDateTime ?? '').localeCompare(String(b.event.createdDateTime ?? ''));
	});
}

/** [events that stand for the activity in this mode, events left from an earlier state of it]. */
function partitionCandidates(candidates: Candidate[], activity: LnActivity, mode: TargetMode): [Candidate[], Candidate[]] {
	const fits = (c: Candidate): boolean => {
		const isMeeting = Boolean(c.event.isOrganizer) && (c.event.attendees ?? []).length > 0;
		switch (mode) {
			case 'meeting':
				// This user's meeting, or a direct copy that becomes the meeting.
				return Boolean(c.event.isOrganizer) && (!activity.reference || activity.reference === c.event.iCalUId || !isMeeting);
			case 'copy':
				// Our copy, even if its owner invited people to it; not a meeting LN referred to.
				return Boolean(c.event.isOrganizer) && (!isMeeting || c.event.iCalUId !== activity.reference);
			case 'follow':
				// The invitation LN's appointment was made from.
				return !c.event.isOrganizer && Boolean(activity.reference) && c.event.iCalUId === activity.reference;
			default:
				// An attendee's calendar holds the organizer's invitation, never an event of ours.
				return false;
		}
	};
	return [candidates.filter(fits), candidates.filter((c) => !fits(c))];
}

function planNone(activity: LnActivity, roles: Roles, own: Candidate | undefined, item: ActivityPlanItem, unwantedReason: string): ActivityPlanItem {
	if (roles.mine) item.lines.push({ sequence: roles.mine.sequence, inScope: false, exists: false });
	if (own) {
		remove(item, own, 'this mailbox is no longer the organizer or an invited attendee');
		return item;
	}
	if (item.exchange.length > 0) return item;
	const isCalendar = (CALENDAR_ACTIVITY_TYPES as readonly string[]).includes(String(activity.type));
	return skip(item, !isCalendar || activity.status === 'Cancelled' ? unwantedReason : roles.mine ? 'this mailbox is not invited' : 'this mailbox takes no part in the activity');
}

/** `attendee` and `follow`: the invitation is Exchange's business; this run confirms it (and LN follows it). */
function planInvited(
	activity: LnActivity,
	roles: Roles,
	mode: 'attendee' | 'follow',
	own: Candidate | undefined,
	wanted: boolean,
	unwantedReason: string,
	context: PlanContext,
	item: ActivityPlanItem,
): ActivityPlanItem {
	const mine = roles.mine!;
	if (!wanted) {
		item.lines.push({ sequence: mine.sequence, inScope: false, exists: false });
		if (item.action === 'unchanged') item.reason = unwantedReason;
		return item;
	}
	const reference = item.update?.fields.reference === '' ? '' : activity.reference;
	if (!reference) {
		item.lines.push({ sequence: mine.sequence, inScope: true, exists: false });
		if (item.action === 'unchanged') item.reason = `waiting for the meeting organizer ${roles.organizerUser?.email ?? ''} to send the invitation`.trim();
		return item;
	}
	if (own) {
		// This calendar's invitation is the one LN's appointment was made from: LN follows it.
		item.lines.push({ sequence: mine.sequence, inScope: true, exists: true });
		return planExisting(activity, roles, mode, own, context, item);
	}
	const present = context.input.presence?.get(reference);
	if (present === undefined) {
		context.presenceNeeded.add(reference);
		return item;
	}
	item.lines.push({ sequence: mine.sequence, inScope: true, exists: Boolean(present) });
	if (present) {
		item.eventId = present.id ?? undefined;
		item.iCalUId = present.iCalUId ?? undefined;
		if (mode === 'follow' && !present.isOrganizer && !present.seriesMasterId && ownerOf(present, context.mailbox, context.input.syncUsers) === context.mailbox) {
			return adoptInvitation(activity, roles, present, context, item);
		}
	} else if (item.action === 'unchanged') {
		item.reason = mine.synchronized ? 'the invitation is no longer in this calendar (declined or deleted)' : 'the invitation has not reached this calendar';
	}
	return item;
}

/**
 * `follow` with the invitation in this calendar but no link on it: its organizer's meeting linked the
 * activity until she left the sync users. This calendar is the one the Exchange path takes that meeting
 * into LN from (ownerOf): the invitation is linked now and LN takes what the meeting says, as the
 * Exchange path would do at the invitation's next change, which may be weeks away. Never an occurrence
 * (its link lives on its series), nor this mailbox's own meeting (LN gave the activity to an organizer
 * outside the sync users: the meeting is not an invitation to follow).
 */
function adoptInvitation(activity: LnActivity, roles: Roles, present: Event, context: PlanContext, item: ActivityPlanItem): ActivityPlanItem {
	// As if the last sync had left LN's content on both sides: whatever the meeting says otherwise reaches LN.
	// Origin LN: whether the appointment was made from Exchange is known only to the link this calendar
	// never had, so LN's data alone decides whether LN goes on following the meeting (its Synchronize);
	// the Exchange path links such an invitation alike (linkOriginOf in appointment-plan.ts).
	const asIfLinked: Candidate = {
		event: present,
		key: activityKey(activity.company, activity.id),
		state: { origin: 'ln', hash: syncHash(canonicalFromActivity(activity, true)), linkedAt: context.options.now.toSeconds() },
		trust: 'signed',
	};
	planExisting(activity, roles, 'follow', asIfLinked, context, item);
	if (item.action === 'fail' || item.update?.link || item.update?.fields.status === 'Cancelled') return item;
	// LN already holds what the meeting says: only the link is written.
	linkFound(item, activity, present, 'ln', context);
	item.action = 'link';
	item.reason = 'the invitation LN follows, found by its iCalUId: linked';
	return item;
}

/** `meeting` and `copy`: this run keeps the event in this mailbox. */
function planOwned(
	activity: LnActivity,
	roles: Roles,
	mode: 'meeting' | 'copy',
	own: Candidate | undefined,
	wanted: boolean,
	unwantedReason: string,
	context: PlanContext,
	item: ActivityPlanItem,
): ActivityPlanItem {
	const { options } = context;
	const holder = (mode === 'meeting' ? roles.organizer : roles.mine)!;
	if (!own) return planMissing(activity, roles, mode, holder, wanted, unwantedReason, context, item);
	if (!wanted) {
		if (!isPast(own.event, options.now)) remove(item, own, unwantedReason);
		decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted: false, organizerExists: false, listed: () => false });
		return item;
	}
	return planExisting(activity, roles, mode, own, context, item);
}

function planMissing(
	activity: LnActivity,
	roles: Roles,
	mode: 'meeting' | 'copy',
	holder: LnAttendee,
	wanted: boolean,
	unwantedReason: string,
	context: PlanContext,
	item: ActivityPlanItem,
): ActivityPlanItem {
	const { options } = context;
	const reference = item.update?.fields.reference === '' ? '' : activity.reference;
	if (mode === 'meeting' && heldBySeries(activity, context)) {
		// The occurrence moved out of the window: its series is followed by Exchange changes, never recreated here.
		decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted, organizerExists: true, listed: () => true });
		return skip(item, 'an occurrence of a series outside the window: followed through its series');
	}
	if (mode === 'meeting' && reference) {
		// Before creating, look for the event by its iCalUId: the link may have been lost, or the
		// organizer may have deleted the meeting in Exchange. Never a second event.
		const present = context.input.presence?.get(reference);
		if (present === undefined) {
			context.presenceNeeded.add(reference);
			return Object.assign(skip(item, 'waiting for the iCalUId lookup'), { provisional: true });
		}
		if (present?.isOrganizer) {
			if (!wanted) return skip(item, unwantedReason);
			return planAdopt(activity, roles, mode, present, context, item);
		}
		if (!present && holder.synchronized && activity.status !== 'Cancelled' && lnFollowsMeeting(activity)) {
			item.action = 'update';
			item.reason = 'the organizer deleted or cancelled the meeting in Exchange';
			item.update = { activity: activity.id, fields: { status: 'Cancelled' }, etag: activity.etag };
			item.removal = true;
			decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted: false, organizerExists: false, listed: () => false });
			return item;
		}
		// Someone else's meeting (an earlier organizer's), or one this organizer never had: this
		// organizer's own meeting is made, and LN's reference moves to it.
	}
	if (!wanted) {
		decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted: false, organizerExists: false, listed: () => false });
		if (item.exchange.length === 0) skip(item, unwantedReason);
		return item;
	}
	if (mode === 'copy' && holder.synchronized && holder.sentToSynchronizer) {
		// A direct copy the attendee removed: recorded as a decline, not recreated.
		item.action = 'update';
		item.reason = 'the attendee removed the event from the calendar';
		item.lines.push({ sequence: holder.sequence, inScope: true, exists: false });
		if (holder.status !== 'Declined') item.attendance.push({ activity: activity.id, sequence: holder.sequence, status: 'Declined' });
		return item;
	}
	if (mode === 'copy' && holder.status === 'Declined') {
		item.lines.push({ sequence: holder.sequence, inScope: true, exists: false });
		return skip(item, 'the attendee declined');
	}
	if (parseInstant(activity.start) > context.horizonEnd) return skip(item, `starts after the horizon of ${options.horizonDays} days`);
	if (!isValidZone(options.timeZone)) {
		item.action = 'fail';
		item.reason = `Unknown time zone "${options.timeZone}"`;
		return item;
	}
	const lnCanonical = canonicalFromActivity(activity, mode === 'meeting');
	const lnHash = syncHash(lnCanonical);
	const transactionId = transactionIdFor(activity, item.mailbox, lnHash);
	const state = signedState(context, activity, { origin: 'ln', hash: lnHash, linkedAt: options.now.toSeconds() }, { transactionId });
	const body: Event = {
		...graphEventFields(lnCanonical, options.timeZone),
		sensitivity: sensitivityOf(activity),
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: activityKey(activity.company, activity.id) },
			{ id: LN_STATE_PROPERTY, value: encodeState(state) },
		],
	};
	item.exchange.push({ op: 'create', body, transactionId });
	item.action = 'create';
	item.reason ??= mode === 'meeting' ? 'new in LN: a meeting with invitations' : 'new in LN: written into this calendar';
	if (mode === 'meeting') {
		item.update = { activity: activity.id, fields: { ...(item.update?.fields ?? {}) }, referenceFromCreatedEvent: true, etag: activity.etag };
		// A new meeting asks everyone afresh: LN's statuses follow its responses, none yet.
		for (const attendee of invitedAttendees(activity)) {
			if (attendee.status !== 'None') item.attendance.push({ activity: activity.id, sequence: attendee.sequence, status: 'None' });
		}
		decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted: true, organizerExists: true, listed: () => true, sentNow: () => true });
	} else {
		item.lines.push({ sequence: holder.sequence, inScope: true, exists: true });
	}
	return item;
}

function sensitivityOf(activity: LnActivity): Event['sensitivity'] {
	const value = String(activity.sensitivity ?? '');
	return value === 'Private' || value === 'Confidential' || value === 'Personal' ? (value.toLowerCase() as Event['sensitivity']) : 'normal';
}

/**
 * Flag decisions of the lines a run owns. The organizer's run decides the organizer and every
 * attendee who is not a sync user (listed on its meeting or not), and any attendee no longer invited;
 * a sync-user attendee's own run decides their line (their calendar), except right after the meeting
 * was created here. A direct copy's run decides only its own line.
 */
function decideLines(
	activity: LnActivity,
	roles: Roles,
	mode: 'meeting' | 'copy',
	item: ActivityPlanItem,
	users: SyncUserIndex,
	facts: { wanted: boolean; organizerExists: Existence; listed: (attendee: LnAttendee) => Existence; sentNow?: (attendee: LnAttendee) => boolean },
): void {
	// A line already decided by this item (e.g. un-invited from the meeting) keeps that decision.
	const decided = new Set(item.lines.map((l) => l.sequence));
	const decide = (attendee: LnAttendee, inScope: boolean, exists: Existence) => {
		if (!decided.has(attendee.sequence)) item.lines.push({ sequence: attendee.sequence, inScope, exists: inScope ? exists : false });
	};
	if (mode === 'copy') {
		if (roles.mine) decide(roles.mine, facts.wanted, facts.organizerExists);
		return;
	}
	if (roles.organizer) decide(roles.organizer, facts.wanted, facts.organizerExists);
	const invited = new Set(invitedAttendees(activity).map((a) => a.sequence));
	for (const attendee of activity.attendees) {
		if (attendee === roles.organizer) continue;
		if (!facts.wanted || !invited.has(attendee.sequence)) {
			decide(attendee, false, false);
			continue;
		}
		const isSyncUser = users.forAttendee(attendee) !== undefined;
		// A sync user's own run decides their line, unless this run sends them the meeting now.
		if (isSyncUser && !facts.sentNow?.(attendee)) continue;
		decide(attendee, true, isSyncUser ? 'copyAfterWrite' : facts.listed(attendee));
	}
}

/** Writes our link onto an event found by its iCalUId, with the event's content as found as the link's state. */
function linkFound(item: ActivityPlanItem, activity: LnActivity, found: Event, origin: Origin, context: PlanContext): void {
	const state = signedState(context, activity, { origin, hash: syncHash(canonicalFromEvent(found, true)), linkedAt: context.options.now.toSeconds() }, { iCalUId: found.iCalUId });
	item.exchange.push({
		op: 'patch',
		eventId: found.id!,
		body: {
			singleValueExtendedProperties: [
				{ id: LN_KEY_PROPERTY, value: activityKey(activity.company, activity.id) },
				{ id: LN_STATE_PROPERTY, value: encodeState(state) },
			],
		},
	});
}

function planAdopt(activity: LnActivity, roles: Roles, mode: 'meeting', present: Event, context: PlanContext, item: ActivityPlanItem): ActivityPlanItem {
	item.eventId = present.id ?? undefined;
	item.iCalUId = present.iCalUId ?? undefined;
	item.action = 'link';
	item.reason = 'found the event by its iCalUId; linked instead of creating a second one';
	// Linked with the state of the event as found: the next comparison sees LN's differences as LN changes.
	linkFound(item, activity, present, 'ln', context);
	const listed = listedOn(present);
	decideLines(activity, roles, mode, item, context.input.syncUsers, { wanted: true, organizerExists: true, listed });
	return item;
}

function listedOn(event: Event): (attendee: LnAttendee) => boolean {
	const emails = new Set((event.attendees ?? []).map((a) => normalizeEmail(a.emailAddress?.address ?? '')));
	return (attendee) => emails.has(normalizeEmail(attendee.email ?? ''));
}

function planExisting(activity: LnActivity, roles: Roles, mode: TargetMode, own: Candidate, context: PlanContext, item: ActivityPlanItem): ActivityPlanItem {
	const { options, mailbox } = context;
	const event = own.event;
	const users = context.input.syncUsers;
	if (event.isCancelled) {
		// An invitation whose organizer cancelled the meeting.
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
	const lnCanonical = canonicalFromActivity(activity, includeAttendees);
	const lnHash = syncHash(lnCanonical);
	const exHash = syncHash(exCanonical);
	const origin: Origin = own.state?.origin ?? 'ln';
	const stored = own.state?.hash ?? exHash;
	const lnChanged = !sameContent(lnHash, stored);
	const exChanged = !sameContent(exHash, stored);
	const activityPast = isPastActivity(activity, options.now);
	const eventPast = isPast(event, options.now);
	const decision = mergeEdits({ lnCanonical, exCanonical, same: sameContent(lnHash, exHash), stored, lnChanged, exChanged, mode, origin, policy: options.policy });
	let { toExchange, toLn } = decision;
	const target = decision.target;
	if (decision.conflicting.length > 0) {
		item.conflict = { policy: options.policy, winner: decision.conflictWinner! };
		item.warnings.push(
			`Conflict on activity ${activity.id}: ${decision.conflicting.join(', ')} changed in LN and in Exchange since the last sync; ${decision.conflictWinner === 'ln' ? 'LN' : 'Exchange'} wins (${mode === 'copy' ? 'a direct copy follows LN' : mode === 'follow' ? 'LN follows a meeting organized outside it' : options.policy})`,
		);
	}
	if (toLn.length > 0 && own.occurrence) {
		// A change of an occurrence in Exchange reaches LN through its series (Get Changes).
		item.reason = 'changed in Exchange: followed through its series';
		toLn = [];
	}
	// A record that moved into the past took the other side along once; a past record is never changed.
	if (toExchange.length > 0 && (eventPast || mode === 'follow')) {
		item.reason = eventPast ? 'the Exchange event is in the past: the LN change is not written to it' : `LN changes are not written to a meeting organized outside LN (${event.organizer?.emailAddress?.address ?? 'unknown organizer'})`;
		if (!eventPast) item.warnings.push(`Activity ${activity.id}: changed in LN, but the meeting is organized by ${event.organizer?.emailAddress?.address ?? 'someone outside LN'}; LN keeps its change, Exchange keeps the meeting`);
		toExchange = [];
	}
	if (toLn.length > 0 && activityPast) {
		item.reason = 'the LN activity is in the past: the Exchange change is not written to it';
		toLn = [];
	}
	// A direct copy its owner made a meeting of (people invited to it in Exchange): undoing the owner's
	// own edits would send those people an update no LN edit asked for. Those edits stay in Exchange.
	const ownersEdits = mode === 'copy' && event.isOrganizer && (event.attendees?.length ?? 0) > 0 ? toExchange.filter((f) => !decision.byLn.includes(f)) : [];
	if (ownersEdits.length > 0) {
		toExchange = toExchange.filter((f) => !ownersEdits.includes(f));
		item.warnings.push(
			`Event ${event.id} in ${mailbox} ("${event.subject ?? ''}"), a copy of LN activity ${activity.id}, has attendees its owner invited; the owner's edits of ${ownersEdits.join(', ')} stay in Exchange (undoing them would send those attendees an update) and are not written to LN`,
		);
	}

	const newState = (hash: string): Omit<LinkState, 'signature'> => ({ origin, hash, linkedAt: options.now.toSeconds() });
	const identity = own.state?.signature?.startsWith('t.') && event.transactionId ? { transactionId: event.transactionId } : { iCalUId: event.iCalUId };
	// What both sides hold once the writes are done; a side that may not be written keeps its own.
	// (The owner's edits of a copy are not LN's: the link keeps LN's values, so that they stay the owner's.)
	const reached = { ...target };
	for (const field of decision.toExchange) if (!toExchange.includes(field) && !ownersEdits.includes(field)) Object.assign(reached, { [field]: exCanonical[field] });
	// Nothing for Exchange: what both sides reach is what Exchange holds.
	const reachedHash = decision.toExchange.length === 0 ? exHash : syncHash(reached);
	let stateWritten = false;
	/** The link's new state: on the event itself, or on its series master for an occurrence. */
	const storeState = (hash: string): Event['singleValueExtendedProperties'] => {
		if (!own.occurrence) return [{ id: LN_STATE_PROPERTY, value: encodeState(signedState(context, activity, newState(hash), identity)) }];
		item.seriesLinks.push({ masterId: own.occurrence.masterId, eventId: event.id!, iCalUId: event.iCalUId!, hash });
		return undefined;
	};
	if (toExchange.length > 0) {
		// The new state goes with the patch, unless LN is written too: then only once LN has its part.
		const properties = toLn.length === 0 ? storeState(reachedHash) : undefined;
		item.exchange.push({
			op: 'patch',
			eventId: event.id!,
			body: { ...graphEventFields(target, options.timeZone, toExchange), ...(properties ? { singleValueExtendedProperties: properties } : {}) },
		});
		stateWritten = true;
		item.action = 'update';
		item.reason = `changed in LN: ${toExchange.join(', ')}`;
	}
	if (toLn.length > 0) {
		const update: ActivityUpdate = {
			...(item.update ?? {}),
			activity: activity.id,
			fields: { ...(item.update?.fields ?? {}), ...lnActivityFields(target, toLn.filter((f) => f !== 'attendees')) },
			etag: activity.etag,
			link: { mailbox, eventId: event.id!, iCalUId: event.iCalUId ?? undefined, company: activity.company, activity: activity.id, state: signedState(context, activity, newState(reachedHash), { iCalUId: event.iCalUId }) },
		};
		if (toLn.includes('attendees')) {
			Object.assign(update, attendeeChanges(activity, withResponses(target.attendees ?? [], event)), { organizerIsSyncUser: Boolean(roles.organizerUser) });
			// Those the organizer took off the meeting are no longer taken by the synchronizer; those it
			// invited again are, and Exchange has sent them the meeting.
			for (const sequence of update.uninviteAttendees ?? []) item.lines.push({ sequence, inScope: false, exists: false });
			for (const sequence of update.reinviteAttendees ?? []) item.lines.push({ sequence, inScope: true, exists: true });
			// An appointment from Exchange that LN could not mark Synchronize may be marked once it has an invitee.
			if (!activity.synchronize && origin === 'exchange' && roles.organizer && (update.addAttendees?.length ?? 0) > 0) update.fields = { ...update.fields, synchronize: true };
		}
		item.update = update;
		stateWritten = true;
		item.action = 'update';
		item.reason = `${toExchange.length ? `${item.reason}; ` : ''}changed in Exchange: ${toLn.join(', ')}`;
	} else if (!stateWritten && lnChanged && exChanged && sameContent(lnHash, exHash)) {
		const properties = storeState(lnHash);
		if (properties) item.exchange.push({ op: 'patch', eventId: event.id!, body: { singleValueExtendedProperties: properties } });
		stateWritten = true;
		item.action = 'update';
		item.reason = 'both sides changed to the same content';
	}
	if (!stateWritten && own.trust !== 'signed' && own.state) {
		// A link from before links were signed (or signed with an earlier secret) that LN confirms: signed once.
		if (own.occurrence) item.seriesLinks.push({ masterId: own.occurrence.masterId, eventId: event.id!, iCalUId: event.iCalUId!, hash: own.state.hash });
		else {
			item.exchange.push({
				op: 'patch',
				eventId: event.id!,
				body: { singleValueExtendedProperties: [{ id: LN_STATE_PROPERTY, value: encodeState(signedState(context, activity, { ...own.state, linkedAt: own.state.linkedAt }, { iCalUId: event.iCalUId })) }] },
			});
		}
		item.warnings.push(`Event ${event.id} in ${mailbox}: the link to LN activity ${activity.id} ${own.trust === 'mismatch' ? 'had another signature (the Graph credential\'s secret changed?)' : 'was not signed'}; LN confirms it, so it is signed now`);
		if (item.action === 'unchanged') item.action = 'update';
	}

	if (mode === 'meeting' && event.iCalUId && activity.reference !== event.iCalUId) {
		// The run that created the event stopped before LN got its reference: the event's link decides.
		item.update ??= { activity: activity.id, fields: {}, etag: activity.etag };
		item.update.fields = { ...item.update.fields, reference: event.iCalUId };
		item.reason ??= 'LN did not have the reference of its event yet';
		if (item.action === 'unchanged') item.action = 'update';
	}

	// A past LN activity is never flagged; a future one is, even when its event went into the past.
	if (!activityPast && mode === 'meeting') {
		// Responses, and the flags of the lines this run decides, whatever happened to the content. A new
		// time (or an attendee added now) asks again: Exchange forgets the answers, and so does LN.
		const attendees = new Map((event.attendees ?? []).map((a) => [normalizeEmail(a.emailAddress?.address ?? ''), a]));
		const newTime = toExchange.some((f) => f === 'start' || f === 'end' || f === 'allDay');
		const attendeesWritten = toExchange.includes('attendees');
		for (const attendee of eventPast ? [] : invitedAttendees(activity)) {
			const entry = attendees.get(normalizeEmail(attendee.email!));
			if (!entry && !attendeesWritten) continue;
			const status = newTime || !entry ? 'None' : responseToStatus(entry.status?.response);
			if (status !== attendee.status) item.attendance.push({ activity: activity.id, sequence: attendee.sequence, status });
		}
		// After a patch of the attendees the event lists exactly LN's invited attendees; Exchange sends it
		// to those added, and to everyone when what attendees see changed (a deleted copy comes back).
		const listedNow = listedOn(event);
		const listed = (a: LnAttendee): Existence => attendeesWritten || listedNow(a);
		const resent = toExchange.some((f) => RESENT_FIELDS.includes(f));
		const sentNow = (a: LnAttendee) => resent || (attendeesWritten && !listedNow(a));
		decideLines(activity, roles, 'meeting', item, users, { wanted: true, organizerExists: true, listed, sentNow });
	} else if (!activityPast && mode === 'copy' && roles.mine) {
		item.lines.push({ sequence: roles.mine.sequence, inScope: true, exists: true });
	}
	if (item.action === 'unchanged' && (item.attendance.length || item.exchange.length || item.seriesLinks.length)) item.action = 'update';
	return item;
}

/** The attendees with their answers on the event. */
export function withResponses(attendees: CanonicalAttendee[], event: Event): ExchangeAttendee[] {
	const answers = new Map((event.attendees ?? []).map((a) => [normalizeEmail(a.emailAddress?.address ?? ''), responseToStatus(a.status?.response)]));
	return attendees.map((a) => ({ ...a, status: answers.get(a.email) }));
}

/** Attendees to add to LN (in Exchange, not invited in LN), to un-invite (gone from Exchange), and whose role changed. */
export function attendeeChanges(
	activity: LnActivity,
	exchangeAttendees: ExchangeAttendee[],
): Pick<ActivityUpdate, 'addAttendees' | 'uninviteAttendees' | 'reinviteAttendees' | 'changeRoles'> {
	const roleOf = (type: string): AttendeeToAdd['role'] => (type === 'optional' ? 'Optional' : type === 'resource' ? 'Resource' : 'Required');
	const exchange = new Map(exchangeAttendees.map((a) => [a.email, a]));
	const invited = invitedAttendees(activity);
	const invitedEmails = new Set(invited.map((a) => normalizeEmail(a.email!)));
	const addAttendees: AttendeeToAdd[] = [];
	const reinviteAttendees: number[] = [];
	for (const [email, attendee] of exchange) {
		if (invitedEmails.has(email)) continue;
		// One line per person: someone LN lists without inviting is invited on that line, and LN's
		// organizer (whom Exchange may list as an attendee) keeps the organizer line alone.
		const lines = activity.attendees.filter((a) => normalizeEmail(a.email ?? '') === email);
		const line = lines.find((a) => a.role !== 'MeetingOrganizer');
		if (line) reinviteAttendees.push(line.sequence);
		else if (lines.length === 0) addAttendees.push({ email, role: roleOf(attendee.type), ...(attendee.status && attendee.status !== 'None' ? { status: attendee.status } : {}) });
	}
	const uninviteAttendees = invited.filter((a) => !exchange.has(normalizeEmail(a.email!))).map((a) => a.sequence);
	const changeRoles = invited.flatMap((a) => {
		const entry = exchange.get(normalizeEmail(a.email!));
		return entry && roleOf(entry.type) !== a.role ? [{ sequence: a.sequence, role: roleOf(entry.type) }] : [];
	});
	return { addAttendees, uninviteAttendees, ...(reinviteAttendees.length ? { reinviteAttendees } : {}), ...(changeRoles.length ? { changeRoles } : {}) };
}

interface EditDecision {
	/** What both sides should hold. */
	target: CanonicalEvent;
	toExchange: Array<keyof CanonicalEvent>;
	toLn: Array<keyof CanonicalEvent>;
	/** Fields LN changed since the last sync. */
	byLn: Array<keyof CanonicalEvent>;
	/** Fields both sides changed, to different values. */
	conflicting: Array<keyof CanonicalEvent>;
	conflictWinner?: Origin;
}

/**
 * Which side's edits stand, field by field: a field changed on one side since the last
 * sync takes that side's value; a field changed on both to different values is a conflict the policy
 * decides (origin wins: the side the event came from). A direct copy always follows LN; a meeting
 * organized outside LN is always followed. Links from before field digests: the whole event decides.
 */
function mergeEdits(input: {
	lnCanonical: CanonicalEvent;
	exCanonical: CanonicalEvent;
	/** Both sides hold the same content (their hashes say so). */
	same: boolean;
	stored: string;
	lnChanged: boolean;
	exChanged: boolean;
	mode: TargetMode;
	origin: Origin;
	policy: ConflictPolicy;
}): EditDecision {
	const { lnCanonical, exCanonical, same, stored, lnChanged, exChanged, mode, origin, policy } = input;
	const differing = same ? [] : changedFields(exCanonical, lnCanonical);
	const policyWinner: Origin = mode === 'copy' ? 'ln' : mode === 'follow' ? 'exchange' : policy === 'lnWins' ? 'ln' : policy === 'exchangeWins' ? 'exchange' : origin;
	const byLn = lnChanged ? (fieldsChangedSince(stored, lnCanonical) ?? differing) : [];
	const byExchange = exChanged ? (fieldsChangedSince(stored, exCanonical) ?? differing) : [];
	const target: CanonicalEvent = { ...exCanonical };
	const conflicting: Array<keyof CanonicalEvent> = [];
	for (const field of differing) {
		const lnEdited = byLn.includes(field);
		const exEdited = byExchange.includes(field);
		let side: Origin;
		if (lnEdited && exEdited) {
			side = policyWinner;
			conflicting.push(field);
		} else if (lnEdited) side = 'ln';
		else if (exEdited) side = mode === 'copy' ? 'ln' : 'exchange';
		else side = mode === 'copy' ? 'ln' : 'exchange';
		if (side === 'ln') Object.assign(target, { [field]: lnCanonical[field] });
	}
	return {
		target,
		toExchange: differing.length > 0 ? changedFields(exCanonical, target) : [],
		toLn: differing.length > 0 ? changedFields(lnCanonical, target) : [],
		byLn,
		conflicting,
		conflictWinner: conflicting.length > 0 ? policyWinner : undefined,
	};
}

/** The facts behind a line decision once the item's writes went through (settle.ts). */
export function factsOf(decision: LineDecision, copyFound: (sequence: number) => boolean): AttendeeFacts {
	const exists = decision.exists === 'copyAfterWrite' ? copyFound(decision.sequence) : decision.exists;
	return { inScope: decision.inScope, exists };
}
