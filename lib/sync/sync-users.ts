import type { Event } from '@microsoft/microsoft-graph-types';

import { eventOrganizer, isValidEmail, normalizeEmail, organizerOf } from './canonical';
import type { LnActivity, LnAttendee, LnDeletedActivity, SyncUser } from './model';

/**
 * The active sync users (MS Exchange Synchronization Users, ttaad2141m000), looked up by mailbox
 * and by employee. Exchange addresses are case-insensitive, so matching is too; a casing mismatch
 * is kept as a warning for the run report.
 */
export class SyncUserIndex {
	private readonly byEmail = new Map<string, SyncUser>();
	private readonly byEmployee = new Map<string, SyncUser>();
	readonly warnings: string[] = [];

	constructor(users: SyncUser[]) {
		for (const user of users) {
			if (!user.active) continue;
			if (!isValidEmail(user.email)) {
				this.warnings.push(`Sync user ${user.user} has no valid e-mail address ("${user.email ?? ''}") and is skipped`);
				continue;
			}
			const email = normalizeEmail(user.email);
			if (this.byEmail.has(email)) {
				this.warnings.push(`Sync users ${this.byEmail.get(email)!.user} and ${user.user} share the mailbox ${email}; ${user.user} is skipped`);
				continue;
			}
			this.byEmail.set(email, user);
			if (!user.employee) continue;
			if (user.employeeEmail && normalizeEmail(user.employeeEmail) !== email) {
				// LN's rule: the employee's own e-mail (Employees - People) must be the sync address.
				this.warnings.push(
					`Sync user ${user.user}: employee ${user.employee} has the e-mail "${user.employeeEmail}" in Employees - People, not the sync address "${user.email}"; the calendars of activities that employee attends are not synchronized for ${user.email}`,
				);
				continue;
			}
			this.byEmployee.set(user.employee, user);
		}
	}

	get size(): number {
		return this.byEmail.size;
	}

	all(): SyncUser[] {
		return [...this.byEmail.values()];
	}

	byMailbox(email: string | undefined | null): SyncUser | undefined {
		return email ? this.byEmail.get(normalizeEmail(email)) : undefined;
	}

	isSyncMailbox(email: string | undefined | null): boolean {
		return this.byMailbox(email) !== undefined;
	}

	forEmployee(employee: string | undefined): SyncUser | undefined {
		return employee ? this.byEmployee.get(employee) : undefined;
	}

	/**
	 * The sync user an attendee stands for: an Employee attendee whose employee belongs to a sync user
	 * whose employee e-mail (Employees - People) is the sync e-mail (LN's rule; where the sync users
	 * come without employee e-mails, the attendee line's e-mail stands in). Other attendees never count.
	 */
	forAttendee(attendee: LnAttendee, warnings?: string[]): SyncUser | undefined {
		if (attendee.type !== 'Employee') return undefined;
		const user = this.forEmployee(attendee.code);
		if (!user) return undefined;
		const employeeEmail = user.employeeEmail ?? attendee.email;
		if (!employeeEmail || normalizeEmail(employeeEmail) !== normalizeEmail(user.email)) return undefined;
		if (employeeEmail.trim() !== user.email.trim()) {
			warnings?.push(
				`Employee ${attendee.code} (attendee of activity ${attendee.activity}) has the e-mail "${employeeEmail}" while sync user ${user.user} has "${user.email}" (matched without regard to case)`,
			);
		}
		return user;
	}

	/** The employee code of a mailbox, for matching attendees of Exchange events to LN employees. */
	employeeOfMailbox(email: string): string | undefined {
		return this.byMailbox(email)?.employee;
	}
}

/** Whether the activity's meeting organizer is a sync user (the synchronizer keeps her meeting). */
export function organizedBySyncUser(activity: LnActivity, index: SyncUserIndex): boolean {
	const organizer = organizerOf(activity);
	return organizer !== undefined && index.forAttendee(organizer) !== undefined;
}

/**
 * The mailboxes an LN activity concerns: its organizer's and its attendees' who are sync users. A
 * deleted activity names no one any more, so its event is looked for in every sync user's calendar.
 */
export function involvedMailboxes(activity: LnActivity | LnDeletedActivity, index: SyncUserIndex): string[] {
	if ((activity as LnDeletedActivity).deleted) return index.all().map((user) => normalizeEmail(user.email));
	const mailboxes = ((activity as LnActivity).attendees ?? [])
		.map((attendee) => index.forAttendee(attendee)?.email)
		.filter((email): email is string => Boolean(email))
		.map((email) => normalizeEmail(email));
	return [...new Set(mailboxes)];
}

/**
 * The mailbox that creates an Exchange meeting in LN: its organizer when a sync user, else the first
 * sync-user attendee by address whose calendar holds it (`lacking`: attendees known to have declined
 * or deleted their invitation; the mailbox asking holds it).
 */
export function ownerOf(event: Event, mailbox: string, users: SyncUserIndex, lacking: ReadonlySet<string> = new Set()): string | undefined {
	const organizer = eventOrganizer(event);
	if (event.isOrganizer) return normalizeEmail(mailbox);
	if (organizer && users.isSyncMailbox(organizer)) return organizer;
	const self = normalizeEmail(mailbox);
	const candidates = [self, ...(event.attendees ?? []).map((a) => normalizeEmail(a.emailAddress?.address ?? ''))]
		.filter((email) => email && users.isSyncMailbox(email) && (email === self || !lacking.has(email)))
		.sort();
	return candidates[0];
}
