import type { LnApiMapping } from '../../../lib/ln/contract';
import { odataString, toSyncUser, yesNo } from '../../../lib/ln/records';
import type { LnTransport } from '../../../lib/ln/transport';
import { isValidEmail, normalizeEmail } from '../../../lib/sync/canonical';
import type { SyncUser } from '../../../lib/sync/model';
import { SyncUserIndex } from '../../../lib/sync/sync-users';

export interface AttendeeCandidate {
	email: string;
	name?: string;
	role: 'Required' | 'Optional' | 'Resource' | 'MeetingOrganizer';
	status?: string;
	invite: boolean;
}

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
 * Matches attendees of an Exchange meeting to LN by e-mail (SPEC §4.2): employees through the sync
 * users, then LN contacts, else type Other. An opted-out contact cannot be invited in LN, so it is
 * added as type Other with a warning.
 */
export async function matchAttendees(
	transport: LnTransport,
	mapping: LnApiMapping,
	candidates: AttendeeCandidate[],
	syncUsers: SyncUser[],
	warnings: string[],
): Promise<AttendeeRecord[]> {
	const users = new SyncUserIndex(syncUsers);
	const unique = new Map<string, AttendeeCandidate>();
	for (const candidate of candidates) {
		if (!isValidEmail(candidate.email)) {
			warnings.push(`Attendee "${candidate.name ?? candidate.email}": e-mail "${candidate.email}" is not valid; not added`);
			continue;
		}
		const email = normalizeEmail(candidate.email);
		if (unique.has(email)) continue;
		unique.set(email, { ...candidate, email });
	}
	const contactLookups = [...unique.keys()].filter((email) => !users.byMailbox(email));
	const contacts = await findContactsByEmail(transport, mapping, contactLookups);
	const records: AttendeeRecord[] = [];
	for (const candidate of unique.values()) {
		const base = {
			role: candidate.role,
			name: candidate.name,
			email: candidate.email,
			status: candidate.status ?? 'None',
			invite: candidate.invite,
			synchronized: candidate.invite,
			sentToSynchronizer: candidate.invite,
		};
		const user = users.byMailbox(candidate.email);
		if (user?.employee) {
			records.push({ ...base, type: 'Employee', code: user.employee, email: user.email });
			continue;
		}
		const contact = contacts.get(candidate.email);
		if (contact && !(contact.optedOut && candidate.invite)) {
			records.push({ ...base, type: 'Contact', code: contact.id, name: candidate.name ?? contact.name });
			continue;
		}
		if (contact?.optedOut) {
			warnings.push(`Attendee ${candidate.email} is LN contact ${contact.id}, which is opted out and cannot be invited; added as type Other`);
		}
		if (candidate.role === 'MeetingOrganizer') {
			// LN's meeting organizer must be an employee; an outside organizer is recorded, not invited.
			records.push({ ...base, role: 'Required', type: 'Other', invite: false, synchronized: false, sentToSynchronizer: false });
			continue;
		}
		records.push({ ...base, type: 'Other' });
	}
	return records;
}

interface FoundContact {
	id: string;
	name?: string;
	optedOut: boolean;
}

async function findContactsByEmail(transport: LnTransport, mapping: LnApiMapping, emails: string[]): Promise<Map<string, FoundContact>> {
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
