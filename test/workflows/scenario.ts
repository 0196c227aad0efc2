import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import type { GraphSeed } from '../emulators/graph/emulator';
import type { LnSeed } from '../emulators/ln/emulator';

/**
 * A small tenant where every rule of SPEC §3–§4 shows: three sync users (Ann, Bob, Cat), an
 * employee who is not one (Zoe, who has a mailbox that must never be touched), LN contacts,
 * LN activities (a meeting Ann organizes, one Zoe organizes, a call, a past one, a task, one not
 * marked Synchronize) and Exchange events (a meeting, a private one, a past one, a weekly series).
 */
export function scenario(now = DateTime.utc()) {
	const at = (days: number, hour = 10) => now.plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 });
	const ln = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
	const graph = (d: DateTime) => ({ dateTime: d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });
	const users = [
		{ User: 'ann', Name: 'Ann Archer', Email: 'ann@contoso.com', Active: 'Yes', Employee: 'E001', EmployeeEmail: 'ann@contoso.com' },
		{ User: 'bob', Name: 'Bob Baker', Email: 'bob@contoso.com', Active: 'Yes', Employee: 'E002', EmployeeEmail: 'bob@contoso.com' },
		{ User: 'cat', Name: 'Cat Cole', Email: 'cat@contoso.com', Active: 'Yes', Employee: 'E003', EmployeeEmail: 'cat@contoso.com' },
		{ User: 'zoe', Name: 'Zoe Zimmer', Email: 'zoe@contoso.com', Active: 'No', Employee: 'E099', EmployeeEmail: 'zoe@contoso.com' },
	];
	const attendee = (Sequence: number, Attendance: string, AttendeeType: string, Attendee: string, Email: string, Invite = 'Yes', FullName?: string) => ({
		Sequence, Attendance, AttendeeType, Attendee, Email, Invite, FullName: FullName ?? Email, AttendanceStatus: 'None', Synchronized: 'No', SentToSynchronizer: 'No',
	});
	const activity = (id: string, type: string, subject: string, start: DateTime, attendees: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) => ({
		Activity: id, Type: type, Subject: subject, StartDate: ln(start), EndDate: ln(start.plus({ hours: 1 })), AllDay: 'No', Location: 'HQ', ShowTimeAs: 'Busy',
		Reminder: 'Yes', ReminderMinutes: 15, Text: `Agenda of ${subject}`, Status: 'Planned', Synchronize: 'Yes', Sensitivity: 'Normal', Attendees: attendees, ...extra,
	});
	const lnSeed: LnSeed = {
		companies: {
			'100': {
				syncUsers: users,
				businessPartners: [{ BusinessPartner: 'BP1', Name: 'Fabrikam Ltd' }],
				addresses: [{ Address: 'AD1', Street: 'Main Street', HouseNumber: '5', City: 'Leeds', PostalCode: 'LS1 1AA', Country: 'GB' }],
				contacts: [
					...['Xena', 'Yuri', 'Walt', 'Vera', 'Uma'].map((first, i) => ({
						Contact: `C00${i + 1}`, FirstName: first, LastName: 'Fabrikam', FullName: `${first} Fabrikam`, Email: `${first.toLowerCase()}@fabrikam.com`,
						OfficePhone: '+44 113 496 000' + i, BusinessPartner: 'BP1', WorkAddress: 'AD1', Synchronize: 'Yes', Active: 'Yes', OptedOut: 'No', Text: 'Key account',
					})),
					{ Contact: 'C006', FirstName: 'Not', LastName: 'Synced', FullName: 'Not Synced', Email: 'not@fabrikam.com', Synchronize: 'No', Active: 'Yes' },
					{ Contact: 'C007', FirstName: 'In', LastName: 'Active', FullName: 'In Active', Email: 'in@fabrikam.com', Synchronize: 'Yes', Active: 'No' },
				],
				activities: [
					activity('ACT000001', 'Appointment', 'Quarterly review', at(2), [
						attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'),
						attendee(2, 'Required', 'Employee', 'E002', 'bob@contoso.com'),
						attendee(3, 'Optional', 'Contact', 'C001', 'xena@fabrikam.com'),
					]),
					activity('ACT000002', 'Appointment', 'Zoe briefs the team', at(3), [
						attendee(1, 'MeetingOrganizer', 'Employee', 'E099', 'zoe@contoso.com', 'No'),
						attendee(2, 'Required', 'Employee', 'E002', 'bob@contoso.com'),
						attendee(3, 'Required', 'Employee', 'E003', 'cat@contoso.com'),
					]),
					activity('ACT000003', 'Appointment', 'Last week', at(-7), [
						attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'),
						attendee(2, 'Required', 'Employee', 'E002', 'bob@contoso.com'),
					]),
					activity('ACT000004', 'Call', 'Call with Ann', at(4, 14), [
						attendee(1, 'MeetingOrganizer', 'Employee', 'E003', 'cat@contoso.com', 'No'),
						attendee(2, 'Required', 'Employee', 'E001', 'ann@contoso.com'),
					]),
					activity('ACT000005', 'Task', 'Prepare slides', at(5), [attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No')]),
					activity('ACT000006', 'Appointment', 'Not marked Synchronize', at(6), [
						attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'),
						attendee(2, 'Required', 'Employee', 'E002', 'bob@contoso.com'),
					], { Synchronize: 'No' }),
				],
			},
		},
	};
	const event = (subject: string, start: DateTime, extra: Partial<Event> = {}): Event => ({
		subject, start: graph(start), end: graph(start.plus({ hours: 1 })), location: { displayName: 'Teams' }, body: { contentType: 'text', content: `Notes on ${subject}` }, ...extra,
	});
	const graphSeed: GraphSeed = {
		users: [
			{ mail: 'ann@contoso.com', displayName: 'Ann Archer' },
			{ mail: 'bob@contoso.com', displayName: 'Bob Baker' },
			{ mail: 'cat@contoso.com', displayName: 'Cat Cole' },
			{ mail: 'zoe@contoso.com', displayName: 'Zoe Zimmer' },
			// The service mailbox the alert workflow sends from (its default sender).
			{ mail: 'ln-sync@contoso.com', displayName: 'LN Sync service' },
		],
		events: {
			'ann@contoso.com': [
				event('Customer workshop', at(8), { attendees: [{ emailAddress: { address: 'bob@contoso.com', name: 'Bob Baker' }, type: 'required' }, { emailAddress: { address: 'walter@elsewhere.org', name: 'Walter' }, type: 'optional' }] }),
				event('Weekly sync', at(1, 9), {
					recurrence: {
						pattern: { type: 'weekly', interval: 1, daysOfWeek: [at(1).toFormat('cccc').toLowerCase() as 'monday'] },
						range: { type: 'numbered', startDate: at(1).toISODate()!, numberOfOccurrences: 3, recurrenceTimeZone: 'UTC' },
					},
				}),
			],
			'cat@contoso.com': [event('Dentist', at(2, 8), { sensitivity: 'private' }), event('Yesterday', at(-1, 8))],
		},
		contacts: { 'bob@contoso.com': [{ givenName: 'Bob\'s', surname: 'Own', displayName: "Bob's own contact" }] },
	};
	return { lnSeed, graphSeed, at };
}
