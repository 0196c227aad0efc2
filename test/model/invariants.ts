import type { Model } from './steps';
import { SYNC_MAILBOXES, type ActivitySnap, type EventSnap, type RunRecord, type Snapshot } from './world';

/**
 * The invariants of the sync, each a named function returning what it found wrong (nothing when it
 * holds). After every run: no duplicates, nothing deleted in LN, past records untouched, no mail
 * without an edit asking for it, the brake, forged links change nothing. After the final two pulls:
 * the second writes nothing, LN and Exchange agree as the rules say, the flags say what exists.
 */
export type Invariant = (record: RunRecord, model: Model) => string[];

const CALENDAR = new Set(['Appointment', 'Call']);
const SYNC_CODES: Record<string, string> = { E001: 'ann@contoso.com', E002: 'bob@contoso.com', E003: 'cat@contoso.com' };
const keyOf = (activity: string) => `ln:100:activity:${activity}`;
const activityOfKey = (key: string | undefined) => /^ln:100:activity:(.+)$/.exec(key ?? '')?.[1];
const invitedEmails = (a: ActivitySnap) => a.lines.filter((l) => l.invite && l.role !== 'MeetingOrganizer' && l.email.includes('@')).map((l) => l.email);
const minute = (iso: string) => Math.floor(Date.parse(iso) / 60_000);

/** The mailbox of the sync user an LN line stands for (Employee of an active sync user), if any. */
function syncMailboxOf(line: { type: string; code?: string }, snapshot: Snapshot): string | undefined {
	if (line.type !== 'Employee' || !line.code) return undefined;
	const mailbox = SYNC_CODES[line.code];
	return mailbox && snapshot.syncUsersActive[mailbox] ? mailbox : undefined;
}

/** One Exchange meeting per LN activity and organizer, one LN appointment per iCalUId, one line per person, one contact per folder. */
export const noDuplicates: Invariant = (record, model) => {
	const found: string[] = [];
	const { after } = record;
	const ours = after.events.filter((e) => e.lnKey && !model.forgedEvents.has(e.id) && e.type !== 'exception');
	const perMailboxKey = new Map<string, number>();
	for (const event of ours) perMailboxKey.set(`${event.mailbox}|${event.lnKey}`, (perMailboxKey.get(`${event.mailbox}|${event.lnKey}`) ?? 0) + 1);
	for (const [key, count] of perMailboxKey) if (count > 1 && !key.endsWith(':series')) found.push(`${count} events linked to ${key}`);
	const meetings = new Map<string, string[]>();
	// A mailbox whose user is no longer an active sync user is never touched again: what it holds is its own.
	// Nor is a meeting in the past (pastUntouched): one its organizer moved there as LN gave the activity
	// to someone else stays hers, beside the new organizer's meeting.
	const managed = ours.filter((e) => after.syncUsersActive[e.mailbox] && e.end >= after.at);
	// A direct copy its owner invited people to is her meeting, not one the sync made (it is left be, so as
	// not to mail those people): two attendees may each make one of their copies.
	const syncMeetings = managed.filter((e) => e.isOrganizer && e.attendees.length > 0 && !e.isCancelled && !e.lnKey!.endsWith(':series') && !model.ownersMeetings.has(e.id));
	for (const event of syncMeetings) meetings.set(event.lnKey!, [...(meetings.get(event.lnKey!) ?? []), event.mailbox]);
	for (const [key, mailboxes] of meetings) if (mailboxes.length > 1) found.push(`${key} has meetings in ${mailboxes.join(' and ')}`);
	const references = new Map<string, string[]>();
	for (const activity of after.activities) if (activity.reference) references.set(activity.reference, [...(references.get(activity.reference) ?? []), activity.id]);
	for (const [reference, ids] of references) if (ids.length > 1) found.push(`LN activities ${ids.join(', ')} share the reference ${reference.slice(-12)}`);
	for (const activity of after.activities) {
		const emails = activity.lines.map((l) => l.email).filter(Boolean);
		const repeated = emails.filter((e, i) => emails.indexOf(e) !== i);
		if (repeated.length) found.push(`LN activity ${activity.id} has ${repeated.join(', ')} twice`);
	}
	for (const [mailbox, contacts] of Object.entries(after.contacts)) {
		const keys = contacts.map((c) => c.lnKey).filter(Boolean);
		const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
		if (repeated.length) found.push(`${mailbox} has contact ${repeated[0]} twice`);
	}
	return found;
};

/** The product never deletes in LN. */
export const nothingDeletedInLn: Invariant = (record) => record.writes.ln.filter((w) => w.startsWith('DELETE')).map((w) => `LN delete: ${w}`);

/** What was past when the run started is exactly as it was: never changed, cancelled, re-created or re-flagged. */
export const pastUntouched: Invariant = (record) => {
	const found: string[] = [];
	const { before, after } = record;
	const start = before.at;
	for (const activity of before.activities) {
		if (!(Date.parse(activity.end) < start)) continue;
		const now = after.activities.find((a) => a.id === activity.id);
		if (JSON.stringify(now) !== JSON.stringify(activity)) found.push(`past LN activity ${activity.id} changed: ${JSON.stringify(activity)} → ${JSON.stringify(now)}`);
	}
	const single = (e: EventSnap) => e.type === 'singleInstance' || e.type === 'exception';
	for (const event of before.events.filter(single)) {
		if (!(event.end < start)) continue;
		const now = after.events.find((e) => e.mailbox === event.mailbox && e.id === event.id);
		const view = (e?: EventSnap) => (e ? JSON.stringify([e.subject, e.start, e.end, e.isCancelled, e.attendees.map((a) => a.email)]) : 'gone');
		if (view(now) !== view(event)) found.push(`past event "${event.subject}" in ${event.mailbox} changed: ${view(event)} → ${view(now)}`);
	}
	// Our items only: an attendee's copy that an organizer's update brings back is Exchange's doing.
	for (const event of after.events.filter((e) => single(e) && e.lnKey)) {
		if (event.end < start && !before.events.some((e) => e.mailbox === event.mailbox && e.id === event.id)) found.push(`past event "${event.subject}" created in ${event.mailbox}`);
	}
	return found;
};

function activityOfMeeting(iCalUId: string, record: RunRecord): string | undefined {
	for (const snapshot of [record.before, record.after]) {
		const byReference = snapshot.activities.find((a) => a.reference === iCalUId);
		if (byReference) return byReference.id;
		const linked = snapshot.events.find((e) => e.iCalUId === iCalUId && e.lnKey);
		if (linked) return activityOfKey(linked.lnKey);
	}
	return undefined;
}

/** No invitation, update or cancellation reaches anyone unless an LN edit since the last clean pull asked for it. */
export const mailOnlyWhenAskedFor: Invariant = (record, model) => {
	const found: string[] = [];
	for (const message of record.messages) {
		const what = `${message.kind} "${message.subject}" from ${message.from} to ${message.to}`;
		if (message.kind === 'response') {
			found.push(`${what}: the product never answers for an attendee`);
			continue;
		}
		const id = activityOfMeeting(message.iCalUId, record);
		if (!id) {
			found.push(`${what}: no LN activity stands for that meeting`);
			continue;
		}
		if (!model.touched.has(id)) {
			found.push(`${what}: LN activity ${id} was not edited since the last clean pull`);
			continue;
		}
		const now = record.after.activities.find((a) => a.id === id);
		const invited = now ? invitedEmails(now) : [];
		if (message.kind === 'invitation' && !invited.includes(message.to)) found.push(`${what}: ${message.to} is not invited to ${id}`);
		if (message.kind === 'update' && !model.contentTouched.has(id)) found.push(`${what}: nothing attendees see changed in ${id}`);
		if (message.kind === 'cancellation' && now && invited.includes(message.to) && now.status !== 'Cancelled' && now.synchronize && now.reference === message.iCalUId && CALENDAR.has(now.type)) {
			const organizer = now.lines.find((l) => l.role === 'MeetingOrganizer');
			if (organizer && syncMailboxOf(organizer, record.after) === message.from) found.push(`${what}: ${message.to} is still invited to ${id}`);
		}
	}
	return found;
};

/** No run cancels more than the brake share (20 %, from 5 on) of a mailbox's linked future events. */
export const brakeHolds: Invariant = (record, model) => {
	const found: string[] = [];
	const { before, after } = record;
	for (const mailbox of SYNC_MAILBOXES) {
		const linked = before.events.filter((e) => e.mailbox === mailbox && e.lnKey && !e.lnKey.endsWith(':series') && e.end > before.at && !model.forgedEvents.has(e.id));
		const removed = linked.filter((e) => !after.events.some((x) => x.mailbox === mailbox && x.id === e.id && !x.isCancelled));
		const organizerOf = (a: ActivitySnap) => a.lines.find((l) => l.role === 'MeetingOrganizer' && syncMailboxOf(l, before) === mailbox);
		const cancelledInLn = after.activities.filter((a) => a.status === 'Cancelled' && before.activities.find((b) => b.id === a.id)?.status !== 'Cancelled' && organizerOf(a) && !model.touched.has(a.id));
		const removals = removed.length + cancelledInLn.length;
		if (removals >= 5 && removals > 0.2 * (linked.length + cancelledInLn.length)) found.push(`${mailbox}: ${removals} of ${linked.length} linked future events cancelled in one run`);
	}
	return found;
};

/** A forged link changes nothing in LN: no forged subject, and the named activity keeps its status, times and invitations. */
export const forgedLinksChangeNothing: Invariant = (record, model) => {
	const found: string[] = [];
	for (const activity of record.after.activities) if (/Forged/.test(activity.subject)) found.push(`LN activity ${activity.id} got the forged subject "${activity.subject}"`);
	for (const [target] of model.forgedTargets) {
		if (model.touched.has(target)) continue;
		const before = record.before.activities.find((a) => a.id === target);
		const after = record.after.activities.find((a) => a.id === target);
		if (!before || !after) continue;
		// Its organizer's own rename in Exchange reaches LN whatever else names the activity (a forged subject is caught above).
		const renamedByOrganizer = model.exSubjects.get(`activity:${target}`) === after.subject;
		const view = (a: ActivitySnap) => JSON.stringify([renamedByOrganizer ? '' : a.subject, a.start, a.end, a.status, a.lines.map((l) => `${l.email}:${l.invite}`)]);
		if (view(before) !== view(after)) found.push(`LN activity ${target}, named by a forged link, changed: ${view(before)} → ${view(after)}`);
	}
	return found;
};

export const AFTER_EVERY_RUN: Record<string, Invariant> = { noDuplicates, nothingDeletedInLn, pastUntouched, mailOnlyWhenAskedFor, brakeHolds, forgedLinksChangeNothing };

// ---------------------------------------------------------------------------------------------
// Once edits stop
// ---------------------------------------------------------------------------------------------

/** The pull after the settling pull writes nothing on either side. */
export function convergesInOneRun(second: RunRecord): string[] {
	return [...second.writes.graph.map((w) => `Graph write: ${w}`), ...second.writes.ln.map((w) => `LN write: ${w}`)];
}

interface Roles {
	organizer?: ActivitySnap['lines'][number];
	organizerMailbox?: string;
	wanted: boolean;
}

/**
 * The rules' "kept": a calendar activity not cancelled, marked Synchronize, or made from an Exchange
 * event — which the organizer's calendar shows by a link of origin Exchange, and LN by a reference on
 * an appointment it could not mark (no meeting organizer, or nobody invited).
 */
function rolesOf(activity: ActivitySnap, snapshot: Snapshot): Roles {
	const organizer = activity.lines.find((l) => l.role === 'MeetingOrganizer');
	const organizerMailbox = organizer ? syncMailboxOf(organizer, snapshot) : undefined;
	const couldMark = Boolean(organizer) && activity.lines.some((l) => l.invite && l.role !== 'MeetingOrganizer');
	const originHeld = Boolean(organizerMailbox) && snapshot.events.some(
		(e) => e.mailbox === organizerMailbox && ((e.lnKey === keyOf(activity.id) && e.lnState?.startsWith('exchange|')) || ((e.type === 'occurrence' || e.type === 'exception') && e.iCalUId === activity.reference)),
	);
	const kept = activity.synchronize || originHeld || (!couldMark && Boolean(activity.reference));
	return { organizer, organizerMailbox, wanted: CALENDAR.has(activity.type) && activity.status !== 'Cancelled' && kept };
}

/** Whether the event stands for the activity in that mailbox: its meeting (by reference) or our copy (by key). */
function holds(snapshot: Snapshot, mailbox: string, activity: ActivitySnap, forged: Set<string>): EventSnap | undefined {
	return snapshot.events.find(
		(e) =>
			e.mailbox === mailbox &&
			!e.isCancelled &&
			!forged.has(e.id) &&
			((activity.reference && e.iCalUId === activity.reference) || (e.lnKey === keyOf(activity.id) && e.type === 'singleInstance')),
	);
}

/** Synchronized = Yes exactly when the event exists for that attendee; Sent = Yes when the synchronizer takes it (flags.ts). */
export function flagsSayWhatExists(snapshot: Snapshot, braked: Set<string>, forged: Set<string>): string[] {
	const found: string[] = [];
	for (const activity of snapshot.activities) {
		if (!(Date.parse(activity.end) > snapshot.at) || !activity.lines.some((l) => syncMailboxOf(l, snapshot)) || braked.has(activity.id)) continue;
		const { organizer, organizerMailbox, wanted } = rolesOf(activity, snapshot);
		const meeting = organizerMailbox ? holds(snapshot, organizerMailbox, activity, forged) : undefined;
		for (const line of activity.lines) {
			const mailbox = syncMailboxOf(line, snapshot);
			const isOrganizer = line === organizer;
			const inScope = wanted && (isOrganizer ? Boolean(organizerMailbox) : line.invite && (Boolean(organizerMailbox) || Boolean(mailbox)));
			const exists = mailbox ? Boolean(holds(snapshot, mailbox, activity, forged)) : Boolean(meeting?.attendees.some((a) => a.email === line.email));
			const want = { sent: inScope, synced: inScope && exists };
			// Lines nobody's run decides: no sync user organizes, and the line is no sync user's.
			if (!organizerMailbox && !mailbox && !activity.lines.some((l) => l.invite && syncMailboxOf(l, snapshot))) continue;
			if (line.sent !== want.sent || line.synced !== want.synced) {
				found.push(`${activity.id} line ${line.sequence} (${line.email}, ${line.role}, invite ${line.invite}): Sent ${line.sent} Synchronized ${line.synced}, expected ${want.sent} ${want.synced}`);
			}
		}
	}
	return found;
}

/** LN and Exchange agree on every pair the rules keep, and the subject is the last one an edit gave. */
export function bothSidesAgree(snapshot: Snapshot, model: Model, braked: Set<string>, horizonDays = 365): string[] {
	const found: string[] = [];
	const horizon = snapshot.at + horizonDays * 86_400_000;
	for (const activity of snapshot.activities) {
		const start = Date.parse(activity.start);
		if (!(Date.parse(activity.end) > snapshot.at) || !(start < horizon) || braked.has(activity.id)) continue;
		const { organizerMailbox, wanted } = rolesOf(activity, snapshot);
		if (!wanted) continue;
		const label = `${activity.id} "${activity.subject}"`;
		if (organizerMailbox) {
			// A meeting carries the activity's key; an occurrence of a series is known by its own iCalUId.
			const meetings = snapshot.events.filter(
				(e) =>
					e.mailbox === organizerMailbox &&
					e.isOrganizer &&
					!model.forgedEvents.has(e.id) &&
					(e.type === 'occurrence' || e.type === 'exception' ? e.iCalUId === activity.reference : e.lnKey === keyOf(activity.id) && e.type !== 'seriesMaster'),
			);
			if (meetings.length !== 1) {
				found.push(`${label}: ${meetings.length} meetings in ${organizerMailbox}`);
				continue;
			}
			const [meeting] = meetings;
			if (meeting.end < snapshot.at) continue; // LN moved back out of the past: a past event is never changed (reported)
			if (meeting.iCalUId !== activity.reference) found.push(`${label}: LN refers to ${activity.reference.slice(-12) || 'nothing'}, the meeting is ${meeting.iCalUId.slice(-12)}`);
			if (meeting.subject !== activity.subject) found.push(`${label}: the meeting says "${meeting.subject}"`);
			if (Math.floor(meeting.start / 60_000) !== minute(activity.start)) found.push(`${label}: the meeting starts at ${new Date(meeting.start).toISOString()}, LN at ${activity.start}`);
			const attendees = meeting.attendees.map((a) => a.email).sort().join(',');
			const invited = [...new Set(invitedEmails(activity))].filter((e) => e !== organizerMailbox).sort().join(',');
			if (attendees !== invited) found.push(`${label}: the meeting invites ${attendees || 'nobody'}, LN ${invited || 'nobody'}`);
			found.push(...lastEditWins(activity, meeting.subject, model));
		} else if (!activity.reference) {
			for (const line of activity.lines.filter((l) => l.invite && l.role !== 'MeetingOrganizer' && l.status !== 'Declined')) {
				const mailbox = syncMailboxOf(line, snapshot);
				if (!mailbox) continue;
				const copies = snapshot.events.filter((e) => e.mailbox === mailbox && e.lnKey === keyOf(activity.id) && !model.forgedEvents.has(e.id));
				if (copies.length !== 1) found.push(`${label}: ${copies.length} copies in ${mailbox}`);
				// A copy its owner invited people to keeps the owner's own edits (reported), not LN's; one its
				// owner moved into the past is never changed again.
				else if (copies[0].subject !== activity.subject && !(copies[0].isOrganizer && copies[0].attendees.length > 0) && copies[0].end >= snapshot.at) {
					found.push(`${label}: the copy in ${mailbox} says "${copies[0].subject}"`);
				}
			}
		}
	}
	// Exchange → LN: every meeting users made in Exchange that a sync user keeps or attends is in LN.
	for (const event of snapshot.events) {
		if (event.type !== 'singleInstance' || event.isCancelled || event.sensitivity === 'private' || event.end < snapshot.at || event.start > horizon) continue;
		if (!model.exCreated.has(event.iCalUId) || model.forgedEvents.has(event.id) || !snapshot.syncUsersActive[event.mailbox]) continue;
		if (!event.isOrganizer && snapshot.syncUsersActive[event.organizer]) continue;
		const activity = snapshot.activities.find((a) => a.reference === event.iCalUId);
		if (!activity) found.push(`Exchange meeting "${event.subject}" in ${event.mailbox} has no LN appointment`);
		else if (activity.status !== 'Cancelled' && Date.parse(activity.end) > snapshot.at && activity.subject !== event.subject && event.isOrganizer) {
			found.push(`Exchange meeting "${event.subject}" in ${event.mailbox}: LN ${activity.id} says "${activity.subject}"`);
		}
	}
	return found;
}

/** After conflicts, the value that survives is the last one an edit gave on one side, never an older one. */
function lastEditWins(activity: ActivitySnap, subject: string, model: Model): string[] {
	const candidates = [model.lnSubjects.get(activity.id), model.exSubjects.get(activity.reference), model.exSubjects.get(`activity:${activity.id}`)].filter((s): s is string => Boolean(s));
	if (candidates.length === 0 || candidates.includes(subject)) return [];
	return [`${activity.id}: the subject is "${subject}", but the last edits gave ${candidates.map((c) => `"${c}"`).join(' or ')}`];
}
