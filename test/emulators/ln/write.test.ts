import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import type { LnEmulator } from './emulator';
import { call, expectLnError, sampleSeed, serviceUrl, startEmulator, values, type ODataClient, type Reply } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;
let token: string;

beforeAll(async () => {
	({ emu, odata, token } = await startEmulator());
});
afterAll(() => emu.stop());
beforeEach(() => {
	emu.clockOffsetMs = 0;
	emu.seed(sampleSeed());
});

const ACT1 = "Activities('ACT000001')";
const ATT12 = "Attendees(Activity='ACT000001',Sequence=2)";

async function etagOf(path: string): Promise<string> {
	return (await odata(path)).body['@odata.etag'] as string;
}

function patch(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
	return odata(path, { method: 'PATCH', body, headers });
}

async function patchWithEtag(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
	return patch(path, body, { 'if-match': await etagOf(path), ...headers });
}

const newActivity = (extra: Record<string, unknown> = {}) => ({
	Type: 'Appointment',
	Subject: 'New meeting',
	StartDate: '2026-05-01T09:00:00Z',
	EndDate: '2026-05-01T10:00:00Z',
	...extra,
});

describe('ETags and optimistic concurrency', () => {
	it('every change gives a new weak ETag; LastModifiedDate follows the emulator clock', async () => {
		await call(`${emu.url}/_control/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: '2026-05-01T12:00:00Z' }) });
		const before = await etagOf(ACT1);
		const reply = await patch(ACT1, { Location: 'Room 2' }, { 'if-match': before });
		expect(reply.status).toBe(204);
		expect(reply.text).toBe('');
		const after = reply.headers.get('etag');
		expect(after).toMatch(/^W\/"[0-9a-f]{40}"$/);
		expect(after).not.toBe(before);
		const read = await odata(ACT1);
		expect(read.body['@odata.etag']).toBe(after);
		expect(read.body.Location).toBe('Room 2');
		expect(read.body.LastModifiedDate).toMatch(/^2026-05-01T12:00:0\dZ$/);
		// A second change with the same values still is a new version.
		const again = await patch(ACT1, { Location: 'Room 2' }, { 'if-match': after! });
		expect(again.headers.get('etag')).not.toBe(after);
	});

	it('PATCH and DELETE without If-Match → 428 and nothing changes', async () => {
		const before = await odata(ACT1);
		expectLnError(await patch(ACT1, { Location: 'x' }), 428, /If-Match is required/);
		expectLnError(await odata(ACT1, { method: 'DELETE' }), 428);
		const after = await odata(ACT1);
		expect(after.body).toEqual(before.body);
	});

	it('a stale ETag → 412 with LN’s body (InnerError.Error 201)', async () => {
		const stale = await etagOf(ATT12);
		emu.update('100', 'attendees', { activity: 'ACT000001', sequence: 2 }, { status: 'Accepted' });
		const reply = await patch(ATT12, { Synchronized: 'Yes' }, { 'if-match': stale });
		expectLnError(reply, 412, /changed by another user/);
		expect((reply.body.InnerError as Record<string, unknown>).Error).toBe(201);
		expect((await odata(ATT12)).body.Synchronized).toBe('No');
		expectLnError(await odata(ATT12, { method: 'DELETE', headers: { 'if-match': stale } }), 412);
	});

	it('If-Match: * matches anything; the strong form and the bare value of the current tag match too', async () => {
		expect((await patch(ATT12, { Synchronized: 'Yes' }, { 'if-match': '*' })).status).toBe(204);
		const weak = await etagOf(ATT12);
		const strong = weak.replace(/^W\//, '');
		expect((await patch(ATT12, { SentToSynchronizer: 'Yes' }, { 'if-match': strong })).status).toBe(204);
		const bare = (await etagOf(ATT12)).replace(/^W\/"(.*)"$/, '$1');
		expect((await patch(ATT12, { AttendanceStatus: 'Accepted' }, { 'if-match': bare })).status).toBe(204);
		expect((await patch(ATT12, { AttendanceStatus: 'Declined' }, { 'if-match': `W/"0000", ${await etagOf(ATT12)}` })).status).toBe(204);
		expect((await odata(ATT12)).body).toMatchObject({ Synchronized: 'Yes', SentToSynchronizer: 'Yes', AttendanceStatus: 'Declined' });
	});
});

describe('PATCH', () => {
	it('204 by default; 200 with the representation on Prefer: return=representation', async () => {
		const minimal = await patchWithEtag(ATT12, { Synchronized: 'Yes' });
		expect(minimal.status).toBe(204);
		const full = await patchWithEtag(ATT12, { AttendanceStatus: 'Tentative' }, { prefer: 'return=representation' });
		expect(full.status).toBe(200);
		expect(full.headers.get('preference-applied')).toBe('return=representation');
		expect(full.body).toMatchObject({ Activity: 'ACT000001', Sequence: 2, Synchronized: 'Yes', AttendanceStatus: 'Tentative' });
		expect(full.headers.get('etag')).toBe(full.body['@odata.etag']);
	});

	it('Status Cancelled is allowed; LastModifiedDate is server-maintained', async () => {
		const reply = await patchWithEtag(ACT1, { Status: 'Cancelled', LastModifiedDate: '2000-01-01T00:00:00Z' }, { prefer: 'return=representation' });
		expect(reply.status).toBe(200);
		expect(reply.body.Status).toBe('Cancelled');
		expect(reply.body.LastModifiedDate).not.toBe('2000-01-01T00:00:00Z');
	});

	it('keys cannot change, unknown fields and wrong types or enum values → 400', async () => {
		expectLnError(await patchWithEtag(ACT1, { Activity: 'ACT000099' }), 400, /key property 'Activity'.*cannot be changed/);
		expect((await patchWithEtag(ACT1, { Activity: 'ACT000001', Location: 'same key is fine' })).status).toBe(204);
		expectLnError(await patchWithEtag(ATT12, { Sequence: 7 }), 400, /cannot be changed/);
		expectLnError(await patchWithEtag(ACT1, { Colour: 'red' }), 400, /'Colour' does not exist in type 'Activity_'/);
		expectLnError(await patchWithEtag(ATT12, { Invite: 'Maybe' }), 400, /"Maybe" is not valid.*Yes, No/);
		expectLnError(await patchWithEtag(ACT1, { Type: 'Meeting' }), 400, /"Meeting" is not valid/);
		expectLnError(await patchWithEtag(ACT1, { ReminderMinutes: '15' }), 400, /Edm.Int32/);
		expectLnError(await patchWithEtag(ACT1, { StartDate: 'tomorrow' }), 400, /Edm.DateTimeOffset/);
		expectLnError(await patchWithEtag(ACT1, { Attendees: [] }), 400, /navigation property/);
		const notJson = await call(`${serviceUrl(emu)}/${ACT1}`, {
			method: 'PATCH',
			headers: {
				authorization: `Bearer ${token}`,
				'x-infor-lncompany': '100',
				'content-type': 'application/json',
				'if-match': '*',
			},
			body: '{not json',
		});
		expectLnError(notJson, 400, /not a JSON object/);
	});

	it('functional rules → 422: end before start, subject too long, opted-out contact invited, organizer not an employee', async () => {
		expectLnError(await patchWithEtag(ACT1, { EndDate: '2026-03-01T08:00:00Z' }), 422, /EndDate .* is before StartDate/);
		const long = 'x'.repeat(256);
		const tooLong = await patchWithEtag(ACT1, { Subject: long });
		expectLnError(tooLong, 422, /256 characters.*at most 255/);
		expect(tooLong.body.Code).toBe('ERROR:FunctionalError');
		expect((await patchWithEtag(ACT1, { Subject: 'x'.repeat(255) })).status).toBe(204);
		expectLnError(await patchWithEtag(ATT12, { Attendee: 'C002', Invite: 'Yes' }), 422, /C002 has opted out/);
		expectLnError(await patchWithEtag("Attendees(Activity='ACT000001',Sequence=1)", { AttendeeType: 'Contact' }), 422, /organizer must be .* Employee/);
	});
});

describe('POST', () => {
	it('201 with representation, Location and ETag; ids ACT000005, ACT000006…', async () => {
		const reply = await odata('Activities', { method: 'POST', body: newActivity() });
		expect(reply.status).toBe(201);
		expect(reply.body).toMatchObject({
			Activity: 'ACT000005',
			Subject: 'New meeting',
			Status: 'Planned',
			Synchronize: 'No',
			AllDay: 'No',
			Reference: '',
			LastModifiedDate: expect.stringMatching(/Z$/),
		});
		expect(reply.headers.get('location')).toBe(`${serviceUrl(emu)}/Activities('ACT000005')`);
		expect(reply.headers.get('etag')).toBe(reply.body['@odata.etag']);
		const read = await odata(reply.headers.get('location')!);
		expect(read.body['@odata.etag']).toBe(reply.body['@odata.etag']);
		expect((await odata('Activities', { method: 'POST', body: newActivity() })).body.Activity).toBe('ACT000006');
	});

	it('a given id is used; an existing one → 409', async () => {
		expect((await odata('Activities', { method: 'POST', body: newActivity({ Activity: 'EXT-1' }) })).body.Activity).toBe('EXT-1');
		expectLnError(await odata('Activities', { method: 'POST', body: newActivity({ Activity: 'ACT000002' }) }), 409, /already exists/);
	});

	it('Reference is not unique, like in LN', async () => {
		for (let i = 0; i < 2; i++) {
			expect((await odata('Activities', { method: 'POST', body: newActivity({ Reference: 'ical-uid-1' }) })).status).toBe(201);
		}
		const found = await odata(`Activities?$filter=${encodeURIComponent("Reference eq 'ical-uid-1'")}`);
		expect(values(found)).toHaveLength(2);
	});

	it('validation and functional rules apply to POST too', async () => {
		expectLnError(await odata('Activities', { method: 'POST', body: newActivity({ Type: 'Meeting' }) }), 400, /Meeting/);
		expectLnError(await odata('Activities', { method: 'POST', body: newActivity({ EndDate: '2026-05-01T08:00:00Z' }) }), 422, /before/);
		expectLnError(await odata('Activities', { method: 'POST', body: { Subject: 'no type' } }), 422, /type .* mandatory/);
		expectLnError(await odata('Activities', { method: 'POST', body: newActivity({ Colour: 'red' }) }), 400, /Colour/);
		expect(emu.list('100', 'activities')).toHaveLength(4);
	});

	it('deep insert creates the attendees with sequences and defaults', async () => {
		const reply = await odata('Activities', {
			method: 'POST',
			body: newActivity({
				Attendees: [
					{ Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Attendee: 'E001', Email: 'john.doe@acme.example' },
					{ Attendance: 'Required', AttendeeType: 'Contact', Attendee: 'C001', Invite: 'Yes' },
				],
			}),
		});
		expect(reply.status).toBe(201);
		expect(reply.body.Attendees).toEqual([
			expect.objectContaining({ Activity: 'ACT000005', Sequence: 1, Attendee: 'E001', Invite: 'No', Synchronized: 'No', SentToSynchronizer: 'No', AttendanceStatus: 'None' }),
			expect.objectContaining({ Activity: 'ACT000005', Sequence: 2, Attendee: 'C001', Invite: 'Yes' }),
		]);
		expect(values(await odata("Activities('ACT000005')/Attendees")).map((a) => a.Attendee)).toEqual(['E001', 'C001']);
	});

	it('a bad deep-inserted attendee rejects the whole insert', async () => {
		const reply = await odata('Activities', {
			method: 'POST',
			body: newActivity({ Attendees: [{ AttendeeType: 'Contact', Attendee: 'C002', Invite: 'Yes' }] }),
		});
		expectLnError(reply, 422, /opted out/);
		expect(emu.list('100', 'activities')).toHaveLength(4);
		expectLnError(await odata('Activities', { method: 'POST', body: newActivity({ Attendees: [{ Invite: 'Maybe' }] }) }), 400, /Maybe/);
		expect(emu.list('100', 'attendees')).toHaveLength(5);
	});

	it('attendees get the next sequence of their activity, by entity set or by navigation', async () => {
		const bySet = await odata('Attendees', { method: 'POST', body: { Activity: 'ACT000001', AttendeeType: 'Other', FullName: 'Visitor', Email: 'v@example.org' } });
		expect(bySet.status).toBe(201);
		expect(bySet.body).toMatchObject({ Sequence: 3, Invite: 'No', Synchronized: 'No', SentToSynchronizer: 'No', AttendanceStatus: 'None' });
		expect(bySet.headers.get('location')).toBe(`${serviceUrl(emu)}/Attendees(Activity='ACT000001',Sequence=3)`);
		const byNav = await odata("Activities('ACT000001')/Attendees", { method: 'POST', body: { AttendeeType: 'Employee', Attendee: 'E003' } });
		expect(byNav.status).toBe(201);
		expect(byNav.body).toMatchObject({ Activity: 'ACT000001', Sequence: 4 });
		expect((await odata("Activities('ACT000003')/Attendees", { method: 'POST', body: { Attendee: 'E001' } })).body.Sequence).toBe(1);
	});

	it('attendee errors: unknown activity → 404 (navigation) / 422 (entity set); missing activity → 400; taken sequence → 409', async () => {
		expectLnError(await odata("Activities('ACT999999')/Attendees", { method: 'POST', body: { Attendee: 'E001' } }), 404);
		expectLnError(await odata('Attendees', { method: 'POST', body: { Activity: 'ACT999999', Attendee: 'E001' } }), 422, /ACT999999 does not exist/);
		expectLnError(await odata('Attendees', { method: 'POST', body: { Attendee: 'E001' } }), 400, /'Activity' of an attendee is mandatory/);
		expectLnError(await odata('Attendees', { method: 'POST', body: { Activity: 'ACT000001', Sequence: 2 } }), 409);
		expectLnError(
			await odata("Activities('ACT000001')/Attendees", { method: 'POST', body: { Activity: 'ACT000002', Attendee: 'E001' } }),
			400,
			/must be 'ACT000001'/,
		);
		expectLnError(await odata('Attendees', { method: 'POST', body: { Activity: 'ACT000001', AttendeeType: 'Contact', Attendee: 'C002', Invite: 'Yes' } }), 422, /opted out/);
	});

	it('Prefer: return=minimal → 204 with Location and ETag', async () => {
		const reply = await odata('Activities', { method: 'POST', body: newActivity(), headers: { prefer: 'return=minimal' } });
		expect(reply.status).toBe(204);
		expect(reply.headers.get('location')).toMatch(/Activities\('ACT000005'\)$/);
		expect(reply.headers.get('etag')).toMatch(/^W\//);
	});

	it('a contact PATCH bumps the contact’s LastModifiedDate', async () => {
		emu.clockOffsetMs = Date.parse('2026-07-01T10:00:00Z') - Date.now();
		const contacts = { service: DEFAULT_SERVICES.contactService };
		const reply = await odata("Contacts('C001')", { ...contacts, method: 'PATCH', body: { JobTitle: 'CFO' }, headers: { 'if-match': '*', prefer: 'return=representation' } });
		expect(reply.body).toMatchObject({ JobTitle: 'CFO', LastModifiedDate: expect.stringMatching(/^2026-07-01T10:00:0\dZ$/) });
		const changed = await odata(`Contacts?$filter=${encodeURIComponent('LastModifiedDate ge 2026-07-01T00:00:00Z')}`, contacts);
		expect(values(changed).map((c) => c.Contact)).toEqual(['C001']);
	});

	it('contacts: key mandatory, duplicates 409; lookups are read-only (405)', async () => {
		const contacts = { service: DEFAULT_SERVICES.contactService };
		expectLnError(await odata('Contacts', { ...contacts, method: 'POST', body: { FirstName: 'No key' } }), 400, /'Contact'.*mandatory/);
		expectLnError(await odata('Contacts', { ...contacts, method: 'POST', body: { Contact: 'C001' } }), 409);
		const created = await odata('Contacts', { ...contacts, method: 'POST', body: { Contact: 'C010', FirstName: 'New' } });
		expect(created.body).toMatchObject({ Contact: 'C010', Synchronize: 'No', Active: 'Yes', OptedOut: 'No', LastModifiedDate: expect.any(String) });
		const bp = await odata('BusinessPartners', { ...contacts, method: 'POST', body: { BusinessPartner: 'BP9' } });
		expect(bp.status).toBe(405);
		expect(bp.body.Code).toBe('ERROR:MethodNotAllowed');
	});
});

describe('DELETE', () => {
	it('deletes an activity with its attendees (204)', async () => {
		const reply = await odata(ACT1, { method: 'DELETE', headers: { 'if-match': await etagOf(ACT1) } });
		expect(reply.status).toBe(204);
		expectLnError(await odata(ACT1), 404);
		expect(values(await odata(`Attendees?$filter=${encodeURIComponent("Activity eq 'ACT000001'")}`))).toEqual([]);
		expect(emu.list('100', 'attendees')).toHaveLength(3);
	});

	it('deletes a single attendee', async () => {
		const reply = await odata(ATT12, { method: 'DELETE', headers: { 'if-match': '*' } });
		expect(reply.status).toBe(204);
		expect(values(await odata(`${ACT1}/Attendees`)).map((a) => a.Sequence)).toEqual([1]);
		expectLnError(await odata(ATT12, { method: 'DELETE', headers: { 'if-match': '*' } }), 404);
		// The next sequence follows the highest that is left; $expand and any() see the attendees as they are now.
		expect((await odata(`${ACT1}/Attendees`, { method: 'POST', body: { AttendeeType: 'Employee', Attendee: 'E003' } })).body.Sequence).toBe(2);
		const expanded = await odata(`${ACT1}?$expand=Attendees`);
		expect((expanded.body.Attendees as Array<{ Sequence: number; Attendee: string }>).map((a) => [a.Sequence, a.Attendee])).toEqual([
			[1, 'E001'],
			[2, 'E003'],
		]);
		const attending = (code: string) => odata(`Activities?$filter=${encodeURIComponent(`Attendees/any(x: x/Attendee eq '${code}')`)}`);
		expect(values(await attending('E003')).map((a) => a.Activity)).toContain('ACT000001');
		expect(values(await attending('E002')).map((a) => a.Activity)).not.toContain('ACT000001');
	});
});
