import type { IDataObject } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { resolveMapping } from '../../lib/ln/contract';
import type { RunReport } from '../../lib/sync/report';
import type { LnSeed } from '../emulators/ln/emulator';
import { ourNode, runNode, startEnvironment, type Environment } from '../harness/environment';

const NOW = DateTime.utc();
const iso = (d: DateTime) => d.toUTC().set({ millisecond: 0 }).toISO({ suppressMilliseconds: true })!;

function seed(): LnSeed {
	return {
		companies: {
			'100': {
				syncUsers: [
					{ User: 'ann', Name: 'Ann Archer', Email: 'ann@contoso.com', Active: 'Yes', Employee: 'E001', EmployeeEmail: 'ann@contoso.com' },
					{ User: 'bob', Name: 'Bob Baker', Email: 'bob@contoso.com', Active: 'Yes', Employee: 'E002', EmployeeEmail: 'bob@contoso.com' },
					{ User: 'gone', Name: 'Gone', Email: 'gone@contoso.com', Active: 'No', Employee: 'E009', EmployeeEmail: 'gone@contoso.com' },
				],
				businessPartners: [{ BusinessPartner: 'BP1', Name: 'Fabrikam Ltd' }],
				addresses: [{ Address: 'AD1', Street: 'Main Street', HouseNumber: '5', City: 'Leeds', PostalCode: 'LS1 1AA', Country: 'GB' }],
				contacts: Array.from({ length: 12 }, (_, i) => ({
					Contact: `C${String(i + 1).padStart(3, '0')}`,
					FirstName: `First${i}`,
					LastName: `Last${i}`,
					FullName: `First${i} Last${i}`,
					Email: i === 11 ? 'xena@fabrikam.com' : `c${i}@fabrikam.com`,
					BusinessPartner: 'BP1',
					WorkAddress: 'AD1',
					Synchronize: i < 10 ? 'Yes' : 'No',
					Active: 'Yes',
					OptedOut: i === 9 ? 'Yes' : 'No',
				})),
				activities: [
					activity('ACT000001', NOW.plus({ days: 2 }), { Subject: 'Review with Fabrikam' }),
					activity('ACT000002', NOW.minus({ days: 3 }), { Subject: 'Past meeting' }),
					activity('ACT000003', NOW.plus({ days: 400 }), { Subject: 'Far away, not linked' }),
					activity('ACT000004', NOW.plus({ days: 400 }), { Subject: 'Far away, linked', Reference: 'uid-4' }),
					activity('ACT000005', NOW.plus({ days: 5 }), { Subject: 'A task', Type: 'Task' }),
					activity('ACT000006', NOW.plus({ days: 6 }), { Subject: 'Bob only' }, 'E002'),
				],
			},
		},
	};
}

function activity(id: string, start: DateTime, fields: Record<string, unknown>, organizer = 'E001') {
	return {
		Activity: id,
		Type: 'Appointment',
		StartDate: iso(start),
		EndDate: iso(start.plus({ hours: 1 })),
		AllDay: 'No',
		Location: 'Room 1',
		ShowTimeAs: 'Busy',
		Reminder: 'Yes',
		ReminderMinutes: 15,
		Text: 'Agenda',
		Status: 'Planned',
		Synchronize: 'Yes',
		Sensitivity: 'Normal',
		...fields,
		Attendees: [
			{ Sequence: 1, Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Attendee: organizer, Email: organizer === 'E001' ? 'ann@contoso.com' : 'bob@contoso.com', Invite: 'No' },
			{ Sequence: 2, Attendance: 'Required', AttendeeType: 'Contact', Attendee: 'C012', Email: 'xena@fabrikam.com', Invite: 'Yes' },
		],
	};
}

let env: Environment;
beforeAll(async () => {
	env = await startEnvironment({ lnSeed: seed(), lnPageSize: 5 });
});
afterAll(() => env.stop());
beforeEach(() => {
	env.ln.seed(seed());
	env.ln.faults.clear();
	env.ln.log.clear();
});

const ln = (parameters: Record<string, unknown>, extra = {}) => ourNode('inforLn', parameters as IDataObject, extra);
const lnRequests = (method: string, kind: string) => env.ln.log.all().filter((r) => r.method === method && r.path.includes(kind));

describe('Sync User → Get Many', () => {
	it('gives one item per active sync user from LN, and attaches the full list on request', async () => {
		const result = await runNode(env, ln({ resource: 'syncUser', operation: 'getMany', source: 'api', attachAll: true }));
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.email)).toEqual(['ann@contoso.com', 'bob@contoso.com']);
		expect((result.items[0].json.syncUsers as unknown[]).length).toBe(2);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
	});

	it('takes the users typed into the node when the tenant has no such API', async () => {
		const result = await runNode(
			env,
			ln({ resource: 'syncUser', operation: 'getMany', source: 'list', users: { user: [{ user: 'zed', email: 'Zed@Contoso.com', employee: 'E077' }] } }),
		);
		expect(result.items.map((i) => [i.json.user, i.json.email, i.json.employee])).toEqual([['zed', 'Zed@Contoso.com', 'E077']]);
		expect(env.ln.log.all()).toHaveLength(0);
	});
});

describe('Sync User → Get Involved', () => {
	it('gives one item per sync user an activity concerns, every sync user for a deleted one, and none for an activity no sync user takes part in', async () => {
		const users = (await runNode(env, ln({ resource: 'syncUser', operation: 'getMany', source: 'api' }))).items.map((item) => item.json);
		const read = await runNode(env, ln({ resource: 'activity', operation: 'get', activityId: '={{ $json.id }}', notFound: 'marker' }), [{ id: 'ACT000001' }, { id: 'ACT000006' }, { id: 'ACT000099' }]);
		const meeting = { ...read.items[0].json, attendees: [...(read.items[0].json.attendees as IDataObject[]), { activity: 'ACT000001', sequence: 3, role: 'Required', type: 'Employee', code: 'E002', email: 'bob@contoso.com', invite: true }] };
		const nobodys = { ...read.items[1].json, attendees: [{ activity: 'ACT000006', sequence: 1, role: 'MeetingOrganizer', type: 'Employee', code: 'E009', email: 'gone@contoso.com', invite: false }] };
		const involved = await runNode(env, ln({ resource: 'syncUser', operation: 'getInvolved', syncUsers: JSON.stringify(users) }), [meeting, nobodys, read.items[2].json]);
		expect(involved.error).toBeUndefined();
		expect(involved.items.map((item) => [item.json.id, item.json.mailbox, item.pairedItem])).toEqual([
			['ACT000001', 'ann@contoso.com', { item: 0 }],
			['ACT000001', 'bob@contoso.com', { item: 0 }],
			['ACT000099', 'ann@contoso.com', { item: 2 }],
			['ACT000099', 'bob@contoso.com', { item: 2 }],
		]);
		expect(involved.items[0].json).toMatchObject({ subject: 'Review with Fabrikam' });
	});
});

describe('Contact → Get Many for Sync', () => {
	it('reads every page of the contacts marked Synchronize, with partner name and work address', async () => {
		const result = await runNode(env, ln({ resource: 'contact', operation: 'getManyForSync' }));
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(10);
		expect(lnRequests('GET', 'Contacts').length).toBeGreaterThanOrEqual(2);
		expect(result.items[0].json).toMatchObject({ company: '100', id: 'C001', businessPartnerName: 'Fabrikam Ltd', workAddress: { city: 'Leeds', street: 'Main Street' }, synchronize: true });
	});

	it('needs a modification date field for "changed since", and uses it when mapped', async () => {
		const refused = await runNode(env, ln({ resource: 'contact', operation: 'getManyForSync', changedSince: '2020-01-01T00:00:00Z' }));
		expect(String(refused.error?.message)).toMatch(/contact\.modifiedAt/);
		// An hour after the seed, someone edits one contact in LN.
		const seededAt = env.ln.now();
		env.ln.clockOffsetMs = 3_600_000;
		env.ln.update('100', 'contacts', { id: 'C003' }, { jobTitle: 'CFO' });
		env.ln.clockOffsetMs = 0;
		const changed = await runNode(
			env,
			ln({
				resource: 'contact',
				operation: 'getManyForSync',
				changedSince: new Date(seededAt + 1_800_000).toISOString(),
				apiMapping: JSON.stringify({ contact: { modifiedAt: 'LastModifiedDate' } }),
			}),
		);
		expect(changed.error).toBeUndefined();
		expect(changed.items.map((i) => i.json.id)).toEqual(['C003']);
	});
});

describe('Activity → Get Many for Sync', () => {
	it('reads the calendar activities of the window with attendees, and linked ones beyond the horizon', async () => {
		const result = await runNode(env, ln({ resource: 'activity', operation: 'getManyForSync', employee: 'E001', horizonDays: 365 }));
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.id)).toEqual(['ACT000001', 'ACT000004']);
		const first = result.items[0].json as { attendees: Array<Record<string, unknown>>; readAt: string };
		expect(first.attendees.map((a) => [a.role, a.type, a.email, a.invite])).toEqual([
			['MeetingOrganizer', 'Employee', 'ann@contoso.com', false],
			['Required', 'Contact', 'xena@fabrikam.com', true],
		]);
		expect(typeof first.readAt).toBe('string');
		const all = await runNode(env, ln({ resource: 'activity', operation: 'getManyForSync', horizonDays: 365 }));
		expect(all.items.map((i) => i.json.id)).toEqual(['ACT000001', 'ACT000006', 'ACT000004']);
	});

	it('gives one item per input item, its activities in a list, when asked (an empty list for none)', async () => {
		const perUser = ln({ resource: 'activity', operation: 'getManyForSync', employee: '={{ $json.employee }}', horizonDays: 365, output: 'perInput' });
		const result = await runNode(env, perUser, [{ employee: 'E001' }, { employee: 'E999' }]);
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => [i.json.employee, (i.json.activities as Array<{ id: string }>).map((a) => a.id)])).toEqual([
			['E001', ['ACT000001', 'ACT000004']],
			['E999', []],
		]);
		expect(result.items.map((i) => (i.pairedItem as { item: number }).item)).toEqual([0, 1]);
		const one = await runNode(env, ln({ resource: 'activity', operation: 'getManyForSync', employee: 'E001', horizonDays: 365 }));
		expect((result.items[0].json.activities as unknown[])).toEqual(one.items.map((i) => ({ ...i.json, readAt: expect.any(String) })));
	});
});

describe('Activity → Get and Update', () => {
	it('gets one activity, and marks a missing one as deleted', async () => {
		const found = await runNode(env, ln({ resource: 'activity', operation: 'get', activityId: 'ACT000001' }));
		expect(found.items[0].json).toMatchObject({ id: 'ACT000001', subject: 'Review with Fabrikam' });
		const missing = await runNode(env, ln({ resource: 'activity', operation: 'get', activityId: 'ACT999999', notFound: 'marker' }));
		expect(missing.items[0].json).toEqual({ company: '100', id: 'ACT999999', deleted: true });
		const failing = await runNode(env, ln({ resource: 'activity', operation: 'get', activityId: 'ACT999999', notFound: 'error' }));
		expect(String(failing.error?.message)).toMatch(/Activity ACT999999: LN has no activity ACT999999 in company 100/);
	});

	it('refuses an activity id that is not an LN code, before anything reaches LN', async () => {
		const injected = "NOPE/../Activities(%27ACT000001%27)#";
		const before = env.ln.get('100', 'activities', { id: 'ACT000001' });
		const sent = env.ln.log.all().length;
		const read = await runNode(env, ln({ resource: 'activity', operation: 'get', activityId: injected }));
		expect(String(read.error?.message)).toContain(`field Activity "${injected}" is not an LN code`);
		const write = await runNode(env, ln({ resource: 'activity', operation: 'update', activityId: injected, updateFields: { location: 'Taken over' } }));
		expect(String(write.error?.message)).toContain(`field Activity "${injected}" is not an LN code`);
		const attendee = await runNode(env, ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: "ACT000001',Sequence=1)/x", sequence: 1, sentToSynchronizer: 'yes', synchronized: 'yes' }));
		expect(String(attendee.error?.message)).toContain('is not an LN code');
		expect(env.ln.log.all().slice(sent).filter((r) => !r.path.includes('token'))).toEqual([]);
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })).toEqual(before);
	});

	it('updates fields and status with If-Match, from parameters or from a planned update', async () => {
		const result = await runNode(env, ln({ resource: 'activity', operation: 'update', activityId: 'ACT000001', changes: '={{ $json.update }}' }), [
			{ update: { activity: 'ACT000001', fields: { location: 'Room 9', status: 'Cancelled' } } },
		]);
		expect(result.error).toBeUndefined();
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })).toMatchObject({ location: 'Room 9', status: 'Cancelled' });
		const patches = lnRequests('PATCH', 'Activities');
		expect(patches).toHaveLength(1);
	});

	it('adds attendees from Exchange in scope only when a sync user organizes the meeting (LN follows one organized outside it)', async () => {
		const added = (activity: string) => env.ln.list('100', 'attendees').filter((a) => a.activity === activity && a.email === 'c0@fabrikam.com');
		const addC0 = (activity: string, organizerIsSyncUser: boolean) =>
			runNode(env, ln({ resource: 'activity', operation: 'update', activityId: activity, changes: '={{ $json.update }}' }), [
				{ update: { activity, fields: {}, addAttendees: [{ email: 'c0@fabrikam.com', role: 'Required' }], organizerIsSyncUser } },
			]);
		expect((await addC0('ACT000001', true)).error).toBeUndefined();
		expect(added('ACT000001')).toEqual([expect.objectContaining({ type: 'Contact', code: 'C001', invite: 'Yes', sentToSynchronizer: 'Yes', synchronized: 'Yes' })]);
		// Nobody can invite a contact to a meeting no sync user organizes: the line is there, No and No.
		expect((await addC0('ACT000006', false)).error).toBeUndefined();
		expect(added('ACT000006')).toEqual([expect.objectContaining({ type: 'Contact', code: 'C001', invite: 'Yes', sentToSynchronizer: 'No', synchronized: 'No' })]);
	});

	it("shows LN's 422 message, and with Continue On Fail gives an error item while the other items go on", async () => {
		const node = ln({ resource: 'activity', operation: 'update', activityId: '={{ $json.id }}', updateFields: { end: '={{ $json.end }}' } }, { continueOnFail: true });
		const result = await runNode(env, node, [
			{ id: 'ACT000001', end: NOW.minus({ days: 10 }).toISO() },
			{ id: 'ACT000006', end: NOW.plus({ days: 6, hours: 2 }).toISO() },
		]);
		expect(result.error).toBeUndefined();
		expect(String(result.items[0].json.error)).toMatch(/422 Unprocessable Entity .* EndDate .* is before StartDate/);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(result.items[1].json).toMatchObject({ activity: 'ACT000006', action: 'updated' });
		const stopped = await runNode(env, ln({ resource: 'activity', operation: 'update', activityId: 'ACT000001', updateFields: { end: NOW.minus({ days: 10 }).toISO() } }));
		expect(String(stopped.error?.message)).toMatch(/Activity ACT000001: LN answered 422/);
	});

	it('outputs the request instead of writing in a dry run', async () => {
		const result = await runNode(env, ln({ resource: 'activity', operation: 'update', activityId: 'ACT000001', updateFields: { subject: 'Changed' }, dryRun: true }));
		expect(result.items[0].json).toMatchObject({ dryRun: true, request: { method: 'PATCH', body: { Subject: 'Changed' } } });
		expect(lnRequests('PATCH', '')).toHaveLength(0);
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })).toMatchObject({ subject: 'Review with Fabrikam' });
	});
});

describe('Attendee → Update Sync Flags and Update Attendance Status', () => {
	it('sets the flags, re-reading once after a 412, and surfaces a second 412', async () => {
		env.ln.faults.add({ kind: 'status', status: 412, match: { method: 'PATCH', path: 'Attendees' }, body: { Code: 'ERROR:ttstps0110', Message: 'Record modified by other user' } });
		const result = await runNode(env, ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: 'ACT000001', sequence: 2, sentToSynchronizer: 'yes', synchronized: 'no' }));
		expect(result.error).toBeUndefined();
		expect(env.ln.get('100', 'attendees', { activity: 'ACT000001', sequence: 2 })).toMatchObject({ sentToSynchronizer: 'Yes', synchronized: 'No' });
		expect(lnRequests('PATCH', 'Attendees')).toHaveLength(2);

		env.ln.faults.add({ kind: 'status', status: 412, times: 2, match: { method: 'PATCH', path: 'Attendees' }, body: { Code: 'ERROR:ttstps0110', Message: 'Record modified by other user' } });
		const failed = await runNode(env, ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: 'ACT000001', sequence: 2, synchronized: 'yes' }));
		expect(String(failed.error?.message)).toMatch(/412 Precondition Failed .*Record modified by other user/);
	});

	it('leaves a line that changed since its flags were decided (ETag given) to be decided again, and sends nothing twice', async () => {
		const etag = String(env.ln.get('100', 'attendees', { activity: 'ACT000001', sequence: 2 })?.['@odata.etag'] ?? 'W/"stale"');
		env.ln.update('100', 'attendees', { activity: 'ACT000001', sequence: 2 }, { status: 'Tentative' });
		const stale = await runNode(env, ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: 'ACT000001', sequence: 2, synchronized: 'yes', etag }));
		expect(stale.error).toBeUndefined();
		expect(stale.items.map((i) => i.json.action)).toEqual(['stale']);
		expect(lnRequests('PATCH', 'Attendees')).toHaveLength(1);
	});

	it('writes an Exchange response back as the attendance status', async () => {
		const result = await runNode(env, ln({ resource: 'attendee', operation: 'updateAttendanceStatus', activityId: '={{ $json.activity }}', sequence: '={{ $json.sequence }}', status: '={{ $json.status }}' }), [
			{ activity: 'ACT000001', sequence: 2, status: 'tentativelyAccepted' },
		]);
		expect(result.error).toBeUndefined();
		expect(env.ln.get('100', 'attendees', { activity: 'ACT000001', sequence: 2 })).toMatchObject({ status: 'Tentative' });
		const bad = await runNode(env, ln({ resource: 'attendee', operation: 'updateAttendanceStatus', activityId: 'ACT000001', sequence: 2, status: 'Maybe' }));
		expect(String(bad.error?.message)).toMatch(/Attendance Status "Maybe" is not one of/);
	});
});

describe('Appointment → Create', () => {
	const appointment = {
		subject: 'Exchange meeting',
		start: iso(NOW.plus({ days: 3 })),
		end: iso(NOW.plus({ days: 3, hours: 1 })),
		allDay: false,
		location: 'Teams',
		text: 'Hello',
		showTimeAs: 'Busy',
		reminder: true,
		reminderMinutes: 10,
		sensitivity: 'Normal',
		reference: '040000008200E00074C5B7101A82E008000000001',
		attendees: [
			{ email: 'ann@contoso.com', role: 'MeetingOrganizer', status: 'Accepted', invite: false },
			{ email: 'bob@contoso.com', role: 'Required', status: 'Tentative', invite: true },
			{ email: 'xena@fabrikam.com', role: 'Optional', status: 'None', invite: true },
			{ email: 'c9@fabrikam.com', role: 'Required', status: 'None', invite: true },
			{ email: 'walter@elsewhere.org', name: 'Walter', role: 'Required', status: 'Declined', invite: true },
		],
	};
	const users = JSON.stringify([
		{ user: 'ann', email: 'ann@contoso.com', employee: 'E001', active: true },
		{ user: 'bob', email: 'bob@contoso.com', employee: 'E002', active: true },
	]);
	const create = (extra: Record<string, unknown> = {}) =>
		ln({ resource: 'appointment', operation: 'create', appointment: '={{ $json.appointment }}', mailbox: 'ann@contoso.com', syncUsers: users, ...extra });

	it('creates an appointment with attendees matched to employees, contacts and others, once', async () => {
		const first = await runNode(env, create(), [{ appointment }]);
		expect(first.error).toBeUndefined();
		expect(first.items[0].json).toMatchObject({ action: 'created', company: '100', linkOrigin: 'exchange' });
		const id = String(first.items[0].json.activity);
		const stored = env.ln.get('100', 'activities', { id });
		expect(stored).toMatchObject({ type: 'Appointment', subject: 'Exchange meeting', reference: appointment.reference, synchronize: 'Yes' });
		const attendees = env.ln.list('100', 'attendees').filter((a) => a.activity === id);
		expect(attendees.map((a) => [a.role, a.type, a.code ?? '', a.email, a.invite])).toEqual([
			['MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'],
			['Required', 'Employee', 'E002', 'bob@contoso.com', 'Yes'],
			['Optional', 'Contact', 'C012', 'xena@fabrikam.com', 'Yes'],
			['Required', 'Other', '', 'c9@fabrikam.com', 'Yes'],
			['Required', 'Other', '', 'walter@elsewhere.org', 'Yes'],
		]);
		expect((first.items[0].json.warnings as string[]).join(' ')).toMatch(/C010, which is opted out/);

		const again = await runNode(env, create(), [{ appointment }]);
		expect(again.items[0].json).toMatchObject({ action: 'existing', activity: id, linkOrigin: 'exchange' });
		expect(env.ln.list('100', 'activities').filter((a) => a.reference === appointment.reference)).toHaveLength(1);
		// Bob's invitation finds the appointment LN already has: where it came from is not his to say (LN's data decides).
		const invitation = await runNode(env, create({ mailbox: 'bob@contoso.com' }), [{ appointment: { ...appointment, mailbox: 'bob@contoso.com' } }]);
		expect(invitation.items[0].json).toMatchObject({ action: 'existing', activity: id, linkOrigin: 'ln' });
	});

	it('does not create a second activity when the answer to the create is lost', async () => {
		env.ln.faults.add({ kind: 'lostResponse', match: { method: 'POST', path: '^/ACME_TST/LN/lnapi/odata/txcom.exchangeSync/Activities$' } });
		const result = await runNode(env, create(), [{ appointment }]);
		expect(result.error).toBeUndefined();
		expect(env.ln.list('100', 'activities').filter((a) => a.reference === appointment.reference)).toHaveLength(1);
		expect(env.ln.list('100', 'attendees').filter((a) => a.activity === result.items[0].json.activity)).toHaveLength(5);
	});

	it('reads LN for 15 appointments at once, and a later item of the same meeting sees what the first made', async () => {
		const count = 32;
		const many = Array.from({ length: count }, (_, n) => ({ appointment: { ...appointment, subject: `Meeting ${n}`, reference: `REF-${n}` } }));
		// REF-3 is in LN already; REF-5 comes twice (from two mailboxes of one run): created once, then found.
		const existing = await runNode(env, create(), [{ appointment: { ...appointment, reference: 'REF-3' } }]);
		many.push({ appointment: { ...many[5].appointment, subject: 'Meeting 5, again' } });
		env.ln.log.clear();
		const result = await runNode(env, create({ mailbox: 'bob@contoso.com' }), many);
		expect(result.error).toBeUndefined();
		const actions = result.items.map((item) => item.json.action);
		expect(actions.filter((action) => action === 'created')).toHaveLength(count - 1);
		expect(actions[3]).toBe('updated');
		expect(result.items[3].json.activity).toBe(existing.items[0].json.activity);
		expect(result.items[count].json).toMatchObject({ action: 'updated', activity: result.items[5].json.activity });
		for (let n = 0; n < count; n++) expect(env.ln.list('100', 'activities').filter((a) => a.reference === `REF-${n}`)).toHaveLength(1);
		// 32 references in three reads (15, 15, 2), their contacts (three e-mails to look up) in three, and
		// the meeting that came twice reads both for itself — not two reads for every item.
		expect(lnRequests('GET', 'Activities')).toHaveLength(4);
		expect(lnRequests('GET', 'Contacts')).toHaveLength(4);
	});

	it('fails the items of a read-ahead that LN refused, naming each, and the others go on', async () => {
		const many = Array.from({ length: 20 }, (_, n) => ({ appointment: { ...appointment, reference: `FAIL-${n}` } }));
		env.ln.faults.add({ kind: 'status', status: 400, times: 1, match: { method: 'GET', path: '/Activities?' } });
		const node = ln({ resource: 'appointment', operation: 'create', appointment: '={{ $json.appointment }}', mailbox: 'ann@contoso.com', syncUsers: users }, { continueOnFail: true });
		const result = await runNode(env, node, many);
		const failed = result.items.filter((item) => item.json.error);
		expect(failed).toHaveLength(15);
		expect(String(failed[0].json.error)).toMatch(/Appointment for Exchange event FAIL-0/);
		expect(result.items.filter((item) => item.json.action === 'created')).toHaveLength(5);
	});

	it('refuses an appointment with a bad field, naming it', async () => {
		const result = await runNode(env, create(), [{ appointment: { ...appointment, end: iso(NOW.plus({ days: 2 })) } }]);
		expect(String(result.error?.message)).toMatch(/Exchange event "Exchange meeting" .*: field end .* is before start/);
		expect(env.ln.list('100', 'activities').filter((a) => a.reference === appointment.reference)).toHaveLength(0);
	});
});

describe('API mapping', () => {
	it('works against a tenant whose custom API uses other names', async () => {
		const overrides = {
			services: { syncService: 'txcrm.calendar', activityEntitySet: 'Appointments', activityAttendeesNavigation: 'Participants', syncUserEntitySet: 'ExchangeUsers' },
			activity: { subject: 'Title', reference: 'ExchangeUid' },
			attendee: { invite: 'SendInvite' },
			syncUser: { email: 'Mailbox' },
		};
		const other = await startEnvironment({ lnSeed: seed(), lnMapping: resolveMapping(overrides) });
		try {
			const apiMapping = JSON.stringify(overrides);
			const users = await runNode(other, ln({ resource: 'syncUser', operation: 'getMany', source: 'api', apiMapping }));
			expect(users.items.map((i) => i.json.email)).toEqual(['ann@contoso.com', 'bob@contoso.com']);
			const activities = await runNode(other, ln({ resource: 'activity', operation: 'getManyForSync', employee: 'E001', apiMapping }));
			expect(activities.items.map((i) => [i.json.id, i.json.subject])).toEqual([
				['ACT000001', 'Review with Fabrikam'],
				['ACT000004', 'Far away, linked'],
			]);
			const flags = await runNode(other, ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: 'ACT000001', sequence: 2, synchronized: 'yes', apiMapping }));
			expect(flags.error).toBeUndefined();
			const wrong = await runNode(other, ln({ resource: 'syncUser', operation: 'getMany', source: 'api', apiMapping: '{"activity": {"nope": "X"}}' }));
			expect(String(wrong.error?.message)).toMatch(/Unknown API mapping name "activity.nope"/);
		} finally {
			await other.stop();
		}
	});
});

describe('Sync Report → Build', () => {
	it('counts what the nodes of this execution did, with LN requests', async () => {
		const workflow = {
			id: 'report-test',
			nodes: [
				{ id: 'm', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} },
				ln({ resource: 'attendee', operation: 'updateSyncFlags', activityId: 'ACT000001', sequence: 2, synchronized: 'yes' }, { name: 'Flags' }),
				ln({ resource: 'report', operation: 'build', scope: 'user', mailbox: 'ann@contoso.com', user: 'ann' }, { name: 'Report' }),
			],
			connections: {
				Start: { main: [[{ node: 'Flags', type: 'main' as const, index: 0 }]] },
				Flags: { main: [[{ node: 'Report', type: 'main' as const, index: 0 }]] },
			},
		};
		const result = await env.runner.run(workflow);
		expect(result.error).toBeUndefined();
		const [report] = result.output('Report');
		expect(report.json).toMatchObject({ kind: 'user', mailbox: 'ann@contoso.com', user: 'ann', status: 'ok', counts: { flagsSet: 1 } });
		expect((report.json.requests as { byKind: Record<string, number> }).byKind).toMatchObject({ 'LN GET Attendees': 1, 'LN PATCH Attendees': 1 });
	});

	it('reports each user of a shard, and names a sync user that brought no report', async () => {
		const shard = await runNode(env, ln({ resource: 'report', operation: 'build', scope: 'user', mailbox: '={{ $json.email }}', user: '={{ $json.user }}' }), [
			{ email: 'ann@contoso.com', user: 'ann' },
			{ email: 'bob@contoso.com', user: 'bob' },
		]);
		expect(shard.items.map((i) => i.json.mailbox)).toEqual(['ann@contoso.com', 'bob@contoso.com']);
		const run = await runNode(
			env,
			ln({ resource: 'report', operation: 'build', scope: 'run', failedMailbox: "={{ $json.mailbox ?? '' }}", expectedMailboxes: '["ann@contoso.com", "bob@contoso.com", "Cat@contoso.com"]' }),
			shard.items.map((i) => i.json),
		);
		const cat = run.items.find((i) => i.json.mailbox === 'cat@contoso.com')!.json as unknown as RunReport;
		expect(cat.status).toBe('errors');
		expect(cat.errors[0].message).toMatch(/no report came back for this user/);
		expect(run.items.filter((i) => i.json.kind === 'user').map((i) => [i.json.mailbox, i.json.status])).toEqual([
			['ann@contoso.com', 'ok'],
			['bob@contoso.com', 'ok'],
			['cat@contoso.com', 'errors'],
		]);
		// A report from a job that wrote Cat's contact folder only is merged, and does not stand for her calendar run.
		const catsFolder = { ...(shard.items[0].json as object), mailbox: 'cat@contoso.com', user: 'cat', part: 'contacts' };
		const withFolder = await runNode(
			env,
			ln({ resource: 'report', operation: 'build', scope: 'run', failedMailbox: "={{ $json.mailbox ?? '' }}", expectedMailboxes: '["ann@contoso.com", "bob@contoso.com", "cat@contoso.com"]' }),
			[...shard.items.map((i) => i.json), catsFolder],
		);
		const catAgain = withFolder.items.find((i) => i.json.mailbox === 'cat@contoso.com')!.json as unknown as RunReport;
		expect(catAgain.user).toBe('cat');
		expect(catAgain.errors.map((e) => e.message)).toEqual([expect.stringMatching(/no report came back for this user/)]);
		const wrong = await runNode(env, ln({ resource: 'report', operation: 'build', scope: 'run', expectedMailboxes: '{"a": 1}' }));
		expect(String(wrong.error?.message)).toMatch(/Every Sync User must be a list of mailboxes/);
	});
});
