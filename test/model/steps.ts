import fc from 'fast-check';
import { DateTime } from 'luxon';

import type { FaultRule } from '../emulators/common/faults';
import { LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY, LN_STATE_PROPERTY } from '../../lib/sync/link';
import { MAILBOXES, PEOPLE, SYNC_USERS, type World } from './world';

/**
 * What users do on both sides, as plain data (fast-check shrinks and prints it): each step names
 * the things it touches by index, taken modulo what exists when it runs, so every sequence is valid.
 */
export type Step =
	| { kind: 'pull'; fault: number | null }
	| { kind: 'push' }
	| { kind: 'wait'; minutes: number }
	| { kind: 'lnSubject'; a: number }
	| { kind: 'lnMove'; a: number; to: 'later' | 'past' | 'back' }
	| { kind: 'lnStatus'; a: number; status: 'Cancelled' | 'Planned' }
	| { kind: 'lnDelete'; a: number }
	| { kind: 'lnSynchronize'; a: number }
	| { kind: 'lnInvite'; a: number; l: number }
	| { kind: 'lnAddAttendee'; a: number; p: number }
	| { kind: 'lnRemoveAttendee'; a: number; l: number }
	| { kind: 'lnOrganizer'; a: number; p: number }
	| { kind: 'lnCreate'; organizer: number; invitees: number[] }
	| { kind: 'lnUserActive'; u: number; active: boolean }
	| { kind: 'lnMassCancel'; u: number }
	| { kind: 'lnContact'; c: number; what: 'edit' | 'unmark' | 'mark' | 'delete' }
	| { kind: 'exCreate'; organizer: number; invitees: number[]; private: boolean; series: boolean }
	| { kind: 'exSubject'; m: number; e: number }
	| { kind: 'exMove'; m: number; e: number; to: 'later' | 'past' | 'back' }
	| { kind: 'exDelete'; m: number; e: number }
	| { kind: 'exRespond'; m: number; e: number; response: 'accept' | 'tentativelyAccept' | 'decline' }
	| { kind: 'exDeleteCopy'; m: number; e: number }
	| { kind: 'exAttendee'; m: number; e: number; p: number; add: boolean }
	| { kind: 'exOccurrence'; m: number; e: number; o: number; what: 'edit' | 'cancel' }
	| { kind: 'attack'; variant: 'single' | 'occurrence'; target: number };

/** Faults from the set the fault tests use, one at a time, somewhere in a run. */
export const FAULTS: Array<{ system: 'graph' | 'ln'; label: string; rule: (nth: number) => FaultRule }> = [
	{ system: 'graph', label: 'Graph 429 MailboxConcurrency', rule: (nth) => ({ kind: 'status', status: 429, nth, headers: { 'Retry-After': '0' }, body: { error: { code: 'ApplicationThrottled', message: 'MailboxConcurrency' } } }) },
	{ system: 'graph', label: 'Graph 503', rule: (nth) => ({ kind: 'status', status: 503, nth, headers: { 'Retry-After': '0' } }) },
	{ system: 'graph', label: 'Graph 504 on $batch', rule: (nth) => ({ kind: 'status', status: 504, nth, match: { path: '$batch' } }) },
	{ system: 'graph', label: 'Graph connection reset', rule: (nth) => ({ kind: 'reset', nth }) },
	{ system: 'graph', label: 'Graph answer lost after a create', rule: () => ({ kind: 'lostResponse', match: { method: 'POST', path: '/events' } }) },
	{ system: 'ln', label: 'LN 503', rule: (nth) => ({ kind: 'status', status: 503, nth }) },
	{ system: 'ln', label: 'LN answer lost after a write', rule: (nth) => ({ kind: 'lostResponse', nth, match: { method: 'PATCH' } }) },
	{ system: 'ln', label: 'LN 401 once', rule: (nth) => ({ kind: 'status', status: 401, nth, match: { path: 'odata' } }) },
];

const index = fc.nat({ max: 40 });
const move = fc.constantFrom('later' as const, 'past' as const, 'back' as const);

/** Push steps are no-ops in a sequence that runs without push. */
export function stepArbitrary(): fc.Arbitrary<Step> {
	const runs: Array<fc.Arbitrary<Step>> = [
		fc.record({ kind: fc.constant('pull' as const), fault: fc.oneof(fc.constant(null), fc.nat({ max: FAULTS.length * 10 - 1 })) }),
		fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 240 }) }),
		fc.record({ kind: fc.constant('push' as const) }),
	];
	const ln: Array<fc.Arbitrary<Step>> = [
		fc.record({ kind: fc.constant('lnSubject' as const), a: index }),
		fc.record({ kind: fc.constant('lnMove' as const), a: index, to: move }),
		fc.record({ kind: fc.constant('lnStatus' as const), a: index, status: fc.constantFrom('Cancelled' as const, 'Planned' as const) }),
		fc.record({ kind: fc.constant('lnDelete' as const), a: index }),
		fc.record({ kind: fc.constant('lnSynchronize' as const), a: index }),
		fc.record({ kind: fc.constant('lnInvite' as const), a: index, l: index }),
		fc.record({ kind: fc.constant('lnAddAttendee' as const), a: index, p: fc.nat({ max: PEOPLE.length - 1 }) }),
		fc.record({ kind: fc.constant('lnRemoveAttendee' as const), a: index, l: index }),
		fc.record({ kind: fc.constant('lnOrganizer' as const), a: index, p: fc.nat({ max: 3 }) }),
		fc.record({ kind: fc.constant('lnCreate' as const), organizer: fc.nat({ max: 3 }), invitees: fc.uniqueArray(fc.nat({ max: PEOPLE.length - 1 }), { maxLength: 3 }) }),
		fc.record({ kind: fc.constant('lnUserActive' as const), u: fc.nat({ max: 2 }), active: fc.boolean() }),
		fc.record({ kind: fc.constant('lnMassCancel' as const), u: fc.nat({ max: 2 }) }),
		fc.record({ kind: fc.constant('lnContact' as const), c: index, what: fc.constantFrom('edit' as const, 'unmark' as const, 'mark' as const, 'delete' as const) }),
	];
	const exchange: Array<fc.Arbitrary<Step>> = [
		fc.record({ kind: fc.constant('exCreate' as const), organizer: fc.nat({ max: 3 }), invitees: fc.uniqueArray(fc.nat({ max: PEOPLE.length - 1 }), { maxLength: 3 }), private: fc.boolean(), series: fc.boolean() }),
		fc.record({ kind: fc.constant('exSubject' as const), m: fc.nat({ max: 3 }), e: index }),
		fc.record({ kind: fc.constant('exMove' as const), m: fc.nat({ max: 3 }), e: index, to: move }),
		fc.record({ kind: fc.constant('exDelete' as const), m: fc.nat({ max: 3 }), e: index }),
		fc.record({ kind: fc.constant('exRespond' as const), m: fc.nat({ max: 2 }), e: index, response: fc.constantFrom('accept' as const, 'tentativelyAccept' as const, 'decline' as const) }),
		fc.record({ kind: fc.constant('exDeleteCopy' as const), m: fc.nat({ max: 2 }), e: index }),
		fc.record({ kind: fc.constant('exAttendee' as const), m: fc.nat({ max: 3 }), e: index, p: fc.nat({ max: PEOPLE.length - 1 }), add: fc.boolean() }),
		fc.record({ kind: fc.constant('exOccurrence' as const), m: fc.nat({ max: 3 }), e: index, o: index, what: fc.constantFrom('edit' as const, 'cancel' as const) }),
		fc.record({ kind: fc.constant('attack' as const), variant: fc.constantFrom('single' as const, 'occurrence' as const), target: index }),
	];
	return fc.oneof({ arbitrary: fc.oneof(...runs), weight: 3 }, { arbitrary: fc.oneof(...ln), weight: 4 }, { arbitrary: fc.oneof(...exchange), weight: 4 });
}

/** What the model remembers about the edits, to judge the runs. */
export class Model {
	/** LN activities edited since the last clean pull (and everything before the first). */
	readonly touched = new Set<string>();
	/** Of those, edited in what attendees see (subject, times, status). */
	readonly contentTouched = new Set<string>();
	/** LN activities deleted in LN (they may be cancelled in Exchange). */
	readonly deletedInLn = new Set<string>();
	/** Activities a forged link named, and the mailbox that forged it. */
	readonly forgedTargets = new Map<string, string>();
	/** Events the attacker forged links on (they are no one's duplicates). */
	readonly forgedEvents = new Set<string>();
	/** Direct copies their owners invited people to: each owner's own meeting, which the sync leaves be. */
	readonly ownersMeetings = new Set<string>();
	/** LN activities that users created in LN (the others come from Exchange). */
	readonly lnCreated = new Set<string>();
	/** Meetings users made in Exchange (by iCalUId): each belongs in LN. */
	readonly exCreated = new Set<string>();
	/** Last subject given by an edit: per LN activity and per Exchange iCalUId. */
	readonly lnSubjects = new Map<string, string>();
	readonly exSubjects = new Map<string, string>();
	/** LN activities pushed from LN since the last push step. */
	readonly lnMessages = new Map<string, 'created' | 'updated' | 'deleted'>();
	counter = 0;
	firstPullDone = false;

	constructor(world: World) {
		for (const activity of world.snapshot().activities) {
			this.touched.add(activity.id);
			this.contentTouched.add(activity.id);
			this.lnCreated.add(activity.id);
		}
	}

	touch(activity: string, content: boolean, change: 'created' | 'updated' | 'deleted' = 'updated'): void {
		this.touched.add(activity);
		if (content) this.contentTouched.add(activity);
		this.lnMessages.set(activity, change);
	}

	/**
	 * A clean pull has brought LN's edits to Exchange: what comes later needs new edits. Cancellations
	 * the brake held back are still asked for (a later run may carry them out).
	 */
	settledAfterCleanPull(braked: Set<string>): void {
		for (const id of [...this.touched]) if (!braked.has(id)) this.touched.delete(id);
		for (const id of [...this.contentTouched]) if (!braked.has(id)) this.contentTouched.delete(id);
	}
}

const lnIso = (d: DateTime) => d.toUTC().set({ second: 0, millisecond: 0 }).toISO({ suppressMilliseconds: true })!;
const graphTime = (d: DateTime) => ({ dateTime: d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });
const pick = <T>(list: T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);

/** Applies an edit step to the world and tells the model. Runs are done by the property itself. */
export function applyEdit(step: Step, world: World, model: Model): string {
	const { ln, graph } = world.env;
	const snap = world.snapshot();
	const activity = 'a' in step ? pick(snap.activities, step.a) : undefined;
	const when = (to: 'later' | 'past' | 'back', start: number) => {
		const base = DateTime.fromMillis(start, { zone: 'UTC' });
		const now = DateTime.utc().set({ minute: 0, second: 0, millisecond: 0 });
		if (to === 'later') return base.plus({ days: 1 });
		if (to === 'past') return now.minus({ days: 1 }).set({ hour: 9 });
		return now.plus({ days: 2 }).set({ hour: 16 });
	};
	const n = ++model.counter;
	switch (step.kind) {
		case 'lnSubject': {
			if (!activity) return 'no activity';
			const subject = `${activity.subject.replace(/ \(LN \d+\)$/, '')} (LN ${n})`;
			ln.update('100', 'activities', { id: activity.id }, { subject });
			model.lnSubjects.set(activity.id, subject);
			model.touch(activity.id, true);
			return `LN: ${activity.id} renamed "${subject}"`;
		}
		case 'lnMove': {
			if (!activity) return 'no activity';
			const start = when(step.to, Date.parse(activity.start));
			ln.update('100', 'activities', { id: activity.id }, { start: lnIso(start), end: lnIso(start.plus({ hours: 1 })) });
			model.touch(activity.id, true);
			return `LN: ${activity.id} moved ${step.to} to ${lnIso(start)}`;
		}
		case 'lnStatus':
			if (!activity) return 'no activity';
			ln.update('100', 'activities', { id: activity.id }, { status: step.status });
			model.touch(activity.id, true);
			return `LN: ${activity.id} status ${step.status}`;
		case 'lnDelete':
			if (!activity) return 'no activity';
			ln.remove('100', 'activities', { id: activity.id });
			model.deletedInLn.add(activity.id);
			model.touch(activity.id, true, 'deleted');
			return `LN: ${activity.id} deleted`;
		case 'lnSynchronize':
			if (!activity) return 'no activity';
			ln.update('100', 'activities', { id: activity.id }, { synchronize: activity.synchronize ? 'No' : 'Yes' });
			model.touch(activity.id, true);
			return `LN: ${activity.id} Synchronize ${activity.synchronize ? 'off' : 'on'}`;
		case 'lnInvite': {
			const line = activity && pick(activity.lines.filter((l) => l.role !== 'MeetingOrganizer'), step.l);
			if (!activity || !line) return 'no attendee line';
			ln.update('100', 'attendees', { activity: activity.id, sequence: line.sequence }, { invite: line.invite ? 'No' : 'Yes' });
			model.touch(activity.id, false);
			return `LN: ${activity.id} invite of ${line.email} ${line.invite ? 'off' : 'on'}`;
		}
		case 'lnAddAttendee': {
			const person = PEOPLE[step.p];
			if (!activity || activity.lines.some((l) => l.email === person.email)) return 'already an attendee';
			const sequence = Math.max(0, ...activity.lines.map((l) => l.sequence)) + 1;
			ln.insert('100', 'attendees', { activity: activity.id, sequence, role: 'Required', type: person.type, code: person.code, email: person.email, name: person.name, invite: 'Yes', status: 'None', synchronized: 'No', sentToSynchronizer: 'No' });
			model.touch(activity.id, false);
			return `LN: ${activity.id} invites ${person.email}`;
		}
		case 'lnRemoveAttendee': {
			const line = activity && pick(activity.lines.filter((l) => l.role !== 'MeetingOrganizer'), step.l);
			if (!activity || !line) return 'no attendee line';
			ln.remove('100', 'attendees', { activity: activity.id, sequence: line.sequence });
			model.touch(activity.id, false);
			return `LN: ${activity.id} attendee ${line.email} removed`;
		}
		case 'lnOrganizer': {
			const person = PEOPLE[step.p];
			if (!activity) return 'no activity';
			const current = activity.lines.find((l) => l.role === 'MeetingOrganizer');
			if (current?.email === person.email) return 'already the organizer';
			if (current) ln.update('100', 'attendees', { activity: activity.id, sequence: current.sequence }, { role: 'Required', invite: 'Yes' });
			const existing = activity.lines.find((l) => l.email === person.email);
			// LN's organizer is an Employee line (LN refuses another): a line that named her otherwise becomes her employee line.
			if (existing) ln.update('100', 'attendees', { activity: activity.id, sequence: existing.sequence }, { role: 'MeetingOrganizer', invite: 'No', type: 'Employee', code: person.code });
			else {
				const sequence = Math.max(0, ...activity.lines.map((l) => l.sequence)) + 1;
				ln.insert('100', 'attendees', { activity: activity.id, sequence, role: 'MeetingOrganizer', type: 'Employee', code: person.code, email: person.email, name: person.name, invite: 'No', status: 'None', synchronized: 'No', sentToSynchronizer: 'No' });
			}
			model.touch(activity.id, true);
			return `LN: ${activity.id} organizer ${current?.email ?? 'none'} → ${person.email}`;
		}
		case 'lnCreate': {
			const organizer = PEOPLE[step.organizer];
			const id = `ACTM${String(n).padStart(4, '0')}`;
			const start = DateTime.utc().plus({ days: 1 + (n % 9) }).set({ hour: 8 + (n % 8), minute: 0, second: 0, millisecond: 0 });
			const invitees = step.invitees.map((i) => PEOPLE[i]).filter((p) => p.email !== organizer.email);
			const line = (sequence: number, person: (typeof PEOPLE)[number], role: string, invite: string) => ({
				sequence, role, type: person.type, code: person.code, email: person.email, name: person.name, invite, status: 'None', synchronized: 'No', sentToSynchronizer: 'No',
			});
			ln.insert('100', 'activities', {
				id, type: 'Appointment', subject: `Model meeting ${n}`, start: lnIso(start), end: lnIso(start.plus({ hours: 1 })), allDay: 'No', location: 'HQ', showTimeAs: 'Busy',
				reminder: 'No', reminderMinutes: 0, text: '', status: 'Planned', synchronize: 'Yes', sensitivity: 'Normal',
				attendees: [line(1, organizer, 'MeetingOrganizer', 'No'), ...invitees.map((p, i) => line(i + 2, p, 'Required', 'Yes'))],
			});
			model.lnCreated.add(id);
			model.touch(id, true, 'created');
			return `LN: ${id} created by ${organizer.email} with ${invitees.map((p) => p.email).join(', ') || 'nobody'}`;
		}
		case 'lnUserActive': {
			const user = SYNC_USERS[step.u];
			ln.update('100', 'syncUsers', { user }, { active: step.active ? 'Yes' : 'No' });
			// Activities the user takes part in change how they are synchronized.
			for (const a of snap.activities) if (a.lines.some((l) => l.email === `${user}@contoso.com`)) model.touch(a.id, true);
			return `LN: sync user ${user} ${step.active ? 'active' : 'inactive'}`;
		}
		case 'lnMassCancel': {
			const email = `${SYNC_USERS[step.u]}@contoso.com`;
			const organized = snap.activities.filter((a) => a.lines.some((l) => l.role === 'MeetingOrganizer' && l.email === email));
			for (const a of organized) {
				ln.update('100', 'activities', { id: a.id }, { status: 'Cancelled' });
				model.touch(a.id, true);
			}
			return `LN: ${organized.length} activities of ${email} cancelled at once`;
		}
		case 'lnContact': {
			const contact = pick(ln.list('100', 'contacts'), step.c);
			if (!contact) return 'no contact';
			const key = { id: String(contact.id) };
			if (step.what === 'delete') ln.remove('100', 'contacts', key);
			else ln.update('100', 'contacts', key, step.what === 'edit' ? { jobTitle: `Title ${n}` } : { synchronize: step.what === 'mark' ? 'Yes' : 'No' });
			return `LN: contact ${contact.id} ${step.what}`;
		}
		case 'exCreate': {
			const organizer = MAILBOXES[step.organizer];
			const start = DateTime.utc().plus({ days: 1 + (n % 11) }).set({ hour: 7 + (n % 9), minute: 30, second: 0, millisecond: 0 });
			const subject = `Exchange meeting ${n}`;
			const created = graph.createEvent(organizer, {
				subject,
				start: graphTime(start),
				end: graphTime(start.plus({ hours: 1 })),
				location: { displayName: 'Room' },
				sensitivity: step.private ? 'private' : 'normal',
				attendees: step.invitees.map((i) => PEOPLE[i]).filter((p) => p.email !== organizer).map((p) => ({ emailAddress: { address: p.email, name: p.name }, type: 'required' as const })),
				...(step.series
					? { recurrence: { pattern: { type: 'daily' as const, interval: 2 }, range: { type: 'numbered' as const, startDate: start.toISODate()!, numberOfOccurrences: 3, recurrenceTimeZone: 'UTC' } } }
					: {}),
			});
			model.exSubjects.set(created.iCalUId!, subject);
			if (!step.series) model.exCreated.add(created.iCalUId!);
			return `Exchange: ${organizer} creates "${subject}"${step.series ? ' (series of 3)' : ''}${step.private ? ' (private)' : ''} with ${step.invitees.map((i) => PEOPLE[i].email).join(', ') || 'nobody'}`;
		}
		case 'exSubject':
		case 'exMove':
		case 'exDelete':
		case 'exAttendee': {
			const mailbox = MAILBOXES[step.m];
			const event = pick(snap.events.filter((e) => e.mailbox === mailbox && e.isOrganizer && e.type !== 'exception' && !model.forgedEvents.has(e.id)), step.e);
			if (!event) return 'no event organized there';
			if (step.kind === 'exSubject') {
				const subject = `${event.subject.replace(/ \(EX \d+\)$/, '')} (EX ${n})`;
				graph.updateEvent(mailbox, event.id, { subject });
				model.exSubjects.set(event.iCalUId, subject);
				if (event.type === 'seriesMaster') {
					// A series' subject is every occurrence's, but not an exception's: an occurrence edited on its
					// own keeps what it has (MS-OXOCAL: the organizer's client updates each exception separately).
					for (const occurrence of graph.occurrences(mailbox, event.id, Date.now() - 86_400_000, Date.now() + 400 * 86_400_000)) {
						if (occurrence.type !== 'exception') model.exSubjects.set(occurrence.iCalUId!, subject);
					}
				}
				const linked = /^ln:100:activity:(.+)$/.exec(event.lnKey ?? '')?.[1] ?? snap.activities.find((a) => a.reference === event.iCalUId)?.id;
				// An edit reaches LN from the meeting organizer's calendar only: a direct copy in an
				// attendee's calendar follows LN.
				const organizer = snap.activities.find((a) => a.id === linked)?.lines.find((l) => l.role === 'MeetingOrganizer')?.email;
				const copy = Boolean(event.lnKey) && event.attendees.length === 0 && organizer !== undefined && organizer !== mailbox;
				if (linked && !copy) model.exSubjects.set(`activity:${linked}`, subject);
				return `Exchange: ${mailbox} renames "${event.subject}" to "${subject}"`;
			}
			if (step.kind === 'exMove') {
				if (event.type === 'seriesMaster') return 'a series is moved by its occurrences';
				const start = when(step.to, event.start);
				graph.updateEvent(mailbox, event.id, { start: graphTime(start), end: graphTime(start.plus({ hours: 1 })) });
				return `Exchange: ${mailbox} moves "${event.subject}" ${step.to}`;
			}
			if (step.kind === 'exDelete') {
				graph.deleteEvent(mailbox, event.id);
				return `Exchange: ${mailbox} deletes "${event.subject}"`;
			}
			const person = PEOPLE[step.p];
			const attendees = event.attendees.filter((a) => a.email !== person.email).map((a) => ({ emailAddress: { address: a.email }, type: 'required' as const }));
			if (step.add) attendees.push({ emailAddress: { address: person.email }, type: 'required' });
			if (person.email === mailbox) return 'the organizer';
			graph.updateEvent(mailbox, event.id, { attendees });
			const linkedTo = /^ln:100:activity:(.+)$/.exec(event.lnKey ?? '')?.[1];
			const organizerOfLinked = snap.activities.find((a) => a.id === linkedTo)?.lines.find((l) => l.role === 'MeetingOrganizer')?.email;
			if (step.add && linkedTo && organizerOfLinked !== mailbox) model.ownersMeetings.add(event.id);
			return `Exchange: ${mailbox} ${step.add ? 'invites' : 'removes'} ${person.email} on "${event.subject}"`;
		}
		case 'exRespond':
		case 'exDeleteCopy': {
			const mailbox = MAILBOXES[step.m];
			const copy = pick(snap.events.filter((e) => e.mailbox === mailbox && !e.isOrganizer && e.type !== 'exception'), step.e);
			if (!copy) return 'no invitation there';
			if (step.kind === 'exRespond') {
				graph.respond(mailbox, copy.id, step.response);
				return `Exchange: ${mailbox} answers ${step.response} to "${copy.subject}"`;
			}
			graph.deleteEvent(mailbox, copy.id);
			return `Exchange: ${mailbox} deletes the invitation "${copy.subject}"`;
		}
		case 'exOccurrence': {
			const mailbox = MAILBOXES[step.m];
			const master = pick(snap.events.filter((e) => e.mailbox === mailbox && e.isOrganizer && e.type === 'seriesMaster'), step.e);
			if (!master) return 'no series there';
			const occurrence = pick(graph.occurrences(mailbox, master.id, Date.now(), Date.now() + 60 * 86_400_000), step.o);
			if (!occurrence) return 'no occurrence ahead';
			if (step.what === 'cancel') {
				graph.deleteEvent(mailbox, occurrence.id!);
				return `Exchange: ${mailbox} cancels an occurrence of "${master.subject}"`;
			}
			const subject = `${master.subject} (occurrence ${n})`;
			graph.updateEvent(mailbox, occurrence.id!, { subject });
			model.exSubjects.set(occurrence.iCalUId!, subject);
			return `Exchange: ${mailbox} renames an occurrence of "${master.subject}"`;
		}
		case 'attack':
			return attack(step, world, model, snap.activities.map((a) => ({ id: a.id, emails: a.lines.map((l) => l.email) })), n);
		default:
			return `not an edit: ${step.kind}`;
	}
}

/**
 * Ann writes our link properties on events in her own calendar, naming an activity she has no part
 * in (the property names are public; a mailbox owner can set them through Graph, EWS or MAPI).
 */
function attack(step: Extract<Step, { kind: 'attack' }>, world: World, model: Model, activities: Array<{ id: string; emails: string[] }>, n: number): string {
	const attacker = 'ann@contoso.com';
	const foreign = activities.filter((a) => !a.emails.includes(attacker));
	const target = pick(foreign, step.target);
	if (!target) return 'no activity Ann takes no part in';
	const { graph } = world.env;
	const start = DateTime.utc().plus({ days: 3 }).set({ hour: 6, minute: 0, second: 0, millisecond: 0 });
	if (step.variant === 'single') {
		const forged = graph.createEvent(attacker, {
			subject: `Forged by Ann ${n}`,
			start: graphTime(start),
			end: graphTime(start.plus({ hours: 2 })),
			singleValueExtendedProperties: [
				{ id: LN_KEY_PROPERTY, value: `ln:100:activity:${target.id}` },
				{ id: LN_STATE_PROPERTY, value: `exchange|${'ab'.repeat(16)}|${Math.floor(Date.now() / 1000) - 86_400}` },
			],
		});
		model.forgedEvents.add(forged.id!);
		model.forgedTargets.set(target.id, attacker);
		return `ATTACK: Ann links her own event to ${target.id}`;
	}
	const series = graph.createEvent(attacker, {
		subject: `Ann's series ${n}`,
		start: graphTime(start),
		end: graphTime(start.plus({ hours: 1 })),
		recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 2, recurrenceTimeZone: 'UTC' } },
	});
	const [occurrence] = graph.occurrences(attacker, series.id!, Date.now(), Date.now() + 30 * 86_400_000);
	graph.updateEvent(attacker, series.id!, {
		singleValueExtendedProperties: [
			{ id: LN_KEY_PROPERTY, value: 'ln:100:series' },
			{ id: LN_OCCURRENCES_PROPERTY, value: JSON.stringify([[occurrence.iCalUId, occurrence.id, target.id, 'ab'.repeat(16)]]) },
		],
	});
	// Then she changes and deletes the occurrence, which would rewrite and cancel the foreign activity.
	graph.updateEvent(attacker, occurrence.id!, { subject: `Forged by Ann ${n}` });
	model.forgedEvents.add(series.id!);
	model.forgedTargets.set(target.id, attacker);
	return `ATTACK: Ann lists ${target.id} as an occurrence of her own series`;
}

export function describeStep(step: Step): string {
	return JSON.stringify(step);
}
