import type { LnApiMapping } from '../../../lib/ln/contract';
import { odataString, toSyncUser, yesNo } from '../../../lib/ln/records';
import type { LnTransport } from '../../../lib/ln/transport';
import { attendeeRecords, type AttendeeRecord, type FoundContact } from '../../../lib/sync/appointment-plan';
import type { AppointmentAttendee } from '../../../lib/sync/exchange-plan';
import { normalizeEmail } from '../../../lib/sync/canonical';
import type { SyncUser } from '../../../lib/sync/model';
import { SyncUserIndex } from '../../../lib/sync/sync-users';

/** The sync users given to the node, or, when none were given, read from LN. */
export async function syncUsersOrRead(transport: LnTransport, mapping: LnApiMapping, given: SyncUser[]): Promise<SyncUser[]> {
	if (given.length > 0) return given;
	const f = mapping.syncUser;
	const url = transport.url(mapping.services.syncService, mapping.services.syncUserEntitySet, {
		$filter: `${f.active} eq ${odataString('Yes')}`,
	});
	return (await transport.getAll(url)).map((raw) => toSyncUser(raw, mapping));
}

/**
 * Attendees added to a meeting in Exchange, as LN attendee lines (appointment-plan.ts decides; this
 * reads the LN contacts their e-mails match).
 */
export async function matchAttendees(
	transport: LnTransport,
	mapping: LnApiMapping,
	candidates: AppointmentAttendee[],
	syncUsers: SyncUser[],
	warnings: string[],
	organizerIsSyncUser: boolean,
): Promise<AttendeeRecord[]> {
	const users = new SyncUserIndex(syncUsers);
	const contacts = await contactsFor(transport, mapping, candidates, users);
	return attendeeRecords(candidates, users, contacts, { owner: '', organizerIsSyncUser }, warnings);
}

/** The LN contacts of the candidates' e-mails (sync users' mailboxes are employees, not looked up). */
export async function contactsFor(transport: LnTransport, mapping: LnApiMapping, candidates: AppointmentAttendee[], users: SyncUserIndex): Promise<Map<string, FoundContact>> {
	return findContactsByEmail(transport, mapping, contactEmailsOf(candidates, users));
}

/** The e-mails of the candidates to look up among LN's contacts (sync users' mailboxes are employees). */
export function contactEmailsOf(candidates: AppointmentAttendee[], users: SyncUserIndex): string[] {
	return [...new Set(candidates.map((c) => normalizeEmail(c.email ?? '')).filter((email) => email && !users.byMailbox(email)))];
}

/** LN's contacts with these e-mails (normalized), 15 e-mails to a request. */
export async function findContactsByEmail(transport: LnTransport, mapping: LnApiMapping, emails: string[]): Promise<Map<string, FoundContact>> {
	const found = new Map<string, FoundContact>();
	const f = mapping.contact;
	const s = mapping.services;
	for (let i = 0; i < emails.length; i += 15) {
		const chunk = emails.slice(i, i + 15);
		const url = transport.url(s.contactService, s.contactEntitySet, {
			$filter: chunk.map((email) => `tolower(${f.email}) eq ${odataString(email)}`).join(' or '),
			$select: [f.id, f.email, f.fullName, f.optedOut].filter(Boolean).join(','),
		});
		for (const raw of await transport.getAll(url)) {
			const email = normalizeEmail(String(raw[f.email] ?? ''));
			if (!found.has(email)) {
				found.set(email, { id: String(raw[f.id]), name: raw[f.fullName] ? String(raw[f.fullName]) : undefined, optedOut: f.optedOut ? yesNo(raw[f.optedOut]) : false });
			}
		}
	}
	return found;
}
