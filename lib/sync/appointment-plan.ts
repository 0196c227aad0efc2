import { isValidEmail, normalizeEmail } from './canonical';
import type { AppointmentAttendee, AppointmentPayload } from './exchange-plan';
import { attendeeFlags, type AttendeeFacts } from './flags';
import type { Origin, SyncUser } from './model';
import { SyncUserIndex } from './sync-users';

/**
 * An LN appointment for an event that originated in Exchange, decided before anything is
 * written: which attendee lines it gets (employees through the sync users, then LN contacts, else
 * type Other), their flags (flags.ts), and whether LN may mark it Synchronize. Pure; the contacts come
 * from an LN read by e-mail.
 */

/** An attendee record to create in LN (logical field names). */
export interface AttendeeRecord {
	role: string;
	type: 'Employee' | 'Contact' | 'Other';
	code?: string;
	name?: string;
	email: string;
	status: string;
	invite: boolean;
	synchronized: boolean;
	sentToSynchronizer: boolean;
}

export interface FoundContact {
	id: string;
	name?: string;
	optedOut: boolean;
}

export interface AppointmentPlan {
	fields: Record<string, unknown>;
	attendees: AttendeeRecord[];
	warnings: string[];
}

/**
 * The attendee lines for Exchange attendees. `organizerIsSyncUser`: the meeting is kept by a sync
 * user (every invited attendee is then in the synchronizer's scope); otherwise it comes from an
 * organizer outside the sync users and only sync users who got the invitation are.
 */
export function attendeeRecords(
	candidates: AppointmentAttendee[],
	users: SyncUserIndex,
	contacts: Map<string, FoundContact>,
	context: { owner: string; organizerIsSyncUser: boolean },
	warnings: string[],
): AttendeeRecord[] {
	const unique = new Map<string, AppointmentAttendee>();
	for (const candidate of candidates) {
		if (!isValidEmail(candidate.email)) {
			warnings.push(`Attendee "${candidate.name ?? candidate.email}": e-mail "${candidate.email}" is not valid; not added`);
			continue;
		}
		const email = normalizeEmail(candidate.email);
		if (!unique.has(email)) unique.set(email, { ...candidate, email });
	}
	const records: AttendeeRecord[] = [];
	for (const candidate of unique.values()) {
		const user = users.byMailbox(candidate.email);
		const isOrganizer = candidate.role === 'MeetingOrganizer';
		// Whether the event is in the attendee's calendar (a sync user) or on the organizer's meeting (anyone else).
		const facts: AttendeeFacts = isOrganizer
			? { inScope: context.organizerIsSyncUser, exists: true }
			: user
				? { inScope: candidate.invite, exists: candidate.email === context.owner || !candidate.notInCalendar }
				: { inScope: candidate.invite && context.organizerIsSyncUser, exists: true };
		const base = { role: candidate.role as string, name: candidate.name, email: candidate.email, status: candidate.status ?? 'None', invite: candidate.invite, ...attendeeFlags(facts) };
		if (user?.employee) {
			records.push({ ...base, type: 'Employee', code: user.employee, email: user.email });
			continue;
		}
		const contact = contacts.get(candidate.email);
		if (isOrganizer) {
			// LN's meeting organizer must be an employee of a sync user here: anyone else is recorded, not invited.
			records.push({ ...base, role: 'Required', type: contact && !contact.optedOut ? 'Contact' : 'Other', code: contact && !contact.optedOut ? contact.id : undefined, invite: false });
			continue;
		}
		if (contact && !(contact.optedOut && candidate.invite)) {
			records.push({ ...base, type: 'Contact', code: contact.id, name: candidate.name ?? contact.name });
			continue;
		}
		if (contact?.optedOut) {
			warnings.push(`Attendee ${candidate.email} is LN contact ${contact.id}, which is opted out and cannot be invited; added as type Other`);
		}
		records.push({ ...base, type: 'Other' });
	}
	return records;
}

export function planAppointment(payload: AppointmentPayload, syncUsers: SyncUser[], contacts: Map<string, FoundContact>): AppointmentPlan {
	const users = new SyncUserIndex(syncUsers);
	const warnings: string[] = [];
	const organizer = payload.attendees.find((a) => a.role === 'MeetingOrganizer');
	const organizerIsSyncUser = Boolean(organizer && users.byMailbox(organizer.email)?.employee);
	const attendees = attendeeRecords(payload.attendees, users, contacts, { owner: normalizeEmail(payload.mailbox ?? ''), organizerIsSyncUser }, warnings);
	const hasOrganizer = attendees.some((a) => a.role === 'MeetingOrganizer');
	const hasInvitee = attendees.some((a) => a.role !== 'MeetingOrganizer' && a.invite);
	// LN's Appointment session allows Synchronize only with a meeting organizer and an invited attendee.
	const synchronize = hasOrganizer && hasInvitee;
	if (organizer && !organizerIsSyncUser) {
		warnings.push(
			`Exchange meeting "${payload.subject}" is organized by ${organizer.email}, who is not a sync user: LN records the organizer as an attendee that is not invited, has no meeting organizer for it and so keeps Synchronize No; the appointment follows the meeting`,
		);
	}
	return {
		fields: {
			type: 'Appointment',
			subject: String(payload.subject).trim(),
			start: payload.start,
			end: payload.end,
			allDay: Boolean(payload.allDay),
			location: payload.location ?? '',
			text: (payload.text ?? '').replace(/\u0000/g, ''),
			showTimeAs: payload.showTimeAs ?? 'Busy',
			reminder: Boolean(payload.reminder),
			reminderMinutes: Number(payload.reminderMinutes ?? 0),
			sensitivity: payload.sensitivity ?? 'Normal',
			status: 'Planned',
			synchronize,
			reference: payload.reference,
		},
		attendees,
		warnings,
	};
}

/**
 * The origin the link of an Exchange event taken into LN records. An appointment the event made (in
 * this run, or in one that stopped before adding its attendees) came from Exchange, and so does any the
 * mailbox's own meeting stands for. An invitation that found an appointment LN already had (made in LN,
 * or from the meeting by its organizer's run before she left the sync users): only that appointment's
 * first link knew where it came from, so LN's data decides — origin LN, and LN's Synchronize says
 * whether LN follows the meeting.
 */
export function linkOriginOf(payload: AppointmentPayload, madeFromThisEvent: boolean): Origin {
	const organizer = payload.attendees.find((a) => a.role === 'MeetingOrganizer');
	const ownMeeting = organizer !== undefined && normalizeEmail(organizer.email) === normalizeEmail(payload.mailbox);
	return madeFromThisEvent || ownMeeting ? 'exchange' : 'ln';
}
