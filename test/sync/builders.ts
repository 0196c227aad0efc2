import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { canonicalFromActivity, canonicalFromEvent, graphEventFields, hashCanonical, syncHash } from '../../lib/sync/canonical';
import type { LinkedEvent } from '../../lib/sync/event-plan';
import { activityKey, linkKey, signLink, type LinkState } from '../../lib/sync/link';
import type { LnActivity, LnAttendee, SyncUser } from '../../lib/sync/model';

export const NOW = DateTime.fromISO('2026-11-23T10:00:00Z', { zone: 'UTC' });
/** The key links are signed with in these tests (as if derived from the Graph credential's secret). */
export const LINK_KEY = linkKey('test-client-secret');

export const USERS: SyncUser[] = [
	{ user: 'ann', email: 'ann@contoso.com', employee: 'E001', employeeEmail: 'ann@contoso.com', active: true },
	{ user: 'bob', email: 'bob@contoso.com', employee: 'E002', employeeEmail: 'bob@contoso.com', active: true },
	{ user: 'cat', email: 'cat@contoso.com', employee: 'E003', employeeEmail: 'cat@contoso.com', active: true },
];

export function attendee(partial: Partial<LnAttendee> & Pick<LnAttendee, 'role'>): LnAttendee {
	return {
		activity: 'A1',
		sequence: 0,
		type: 'Other',
		status: 'None',
		invite: true,
		synchronized: false,
		sentToSynchronizer: false,
		...partial,
	};
}

export function employee(code: string, email: string, role: LnAttendee['role'] = 'Required', extra: Partial<LnAttendee> = {}): LnAttendee {
	return attendee({ role, type: 'Employee', code, email, ...extra });
}

export function activity(partial: Partial<LnActivity> = {}): LnActivity {
	const base: LnActivity = {
		company: '100',
		id: 'A1',
		type: 'Appointment',
		subject: 'Quarterly review',
		start: NOW.plus({ days: 2 }).toISO({ suppressMilliseconds: true })!,
		end: NOW.plus({ days: 2, hours: 1 }).toISO({ suppressMilliseconds: true })!,
		allDay: false,
		location: 'Room 1',
		showTimeAs: 'Busy',
		reminder: true,
		reminderMinutes: 15,
		text: 'Agenda',
		status: 'Planned',
		synchronize: true,
		attendees: [],
		...partial,
	};
	base.attendees = (partial.attendees ?? [
		employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false }),
		employee('E002', 'bob@contoso.com'),
		attendee({ role: 'Required', type: 'Contact', code: 'C9', email: 'xena@fabrikam.com' }),
	]).map((a, index) => ({ ...a, activity: base.id, sequence: index + 1 }));
	return base;
}

/** The Graph event that Exchange holds for an activity, as read back (UTC). */
export function eventFor(
	source: LnActivity,
	options: { id?: string; mailbox?: string; includeAttendees?: boolean; state?: Partial<LinkState>; changes?: Partial<Event>; isOrganizer?: boolean } = {},
): LinkedEvent {
	const includeAttendees = options.includeAttendees ?? true;
	const canonical = canonicalFromActivity(source, includeAttendees);
	const fields = graphEventFields(canonical, 'UTC');
	const event: Event = {
		id: options.id ?? `ev-${source.id}`,
		iCalUId: `uid-${source.id}`,
		isOrganizer: options.isOrganizer ?? true,
		isCancelled: false,
		organizer: { emailAddress: { address: options.mailbox ?? 'ann@contoso.com' } },
		type: 'singleInstance',
		...fields,
		start: { dateTime: `${canonical.start.replace('Z', '')}:00.0000000`, timeZone: 'UTC' },
		end: { dateTime: `${canonical.end.replace('Z', '')}:00.0000000`, timeZone: 'UTC' },
		attendees: (fields.attendees ?? []).map((a) => ({ ...a, status: { response: 'none', time: '0001-01-01T00:00:00Z' } })),
		...options.changes,
	};
	const hash = syncHash(canonicalFromActivity(source, includeAttendees));
	const signature = signLink(LINK_KEY, { company: source.company, activity: source.id, mailbox: options.mailbox ?? 'ann@contoso.com', iCalUId: event.iCalUId }, 'iCalUId');
	return {
		event,
		key: activityKey(source.company, source.id),
		state: { origin: 'ln', hash, linkedAt: NOW.minus({ days: 1 }).toSeconds(), signature, ...options.state },
	};
}

export function hashOfEvent(event: Event, includeAttendees = true): string {
	return hashCanonical(canonicalFromEvent(event, includeAttendees));
}
