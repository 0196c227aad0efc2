import { resolveMapping } from '../../../lib/ln/contract';
import { LnEmulator } from './emulator';
import { call, client, expectLnError, passwordToken, sampleSeed, values, type ODataClient } from './test-helpers';

/** A tenant whose custom API uses other names than the contract's defaults. */
const mapping = resolveMapping({
	services: {
		syncService: 'txcrm.calendar',
		activityEntitySet: 'Appointments',
		attendeeEntitySet: 'Participants',
		activityAttendeesNavigation: 'Participants',
		syncUserEntitySet: 'CalendarUsers',
		contactService: 'txcrm.people',
		contactEntitySet: 'People',
	},
	activity: { id: 'AppointmentId', subject: 'Title', start: 'From', end: 'Until' },
	attendee: { activity: 'AppointmentId', sequence: 'Line', invite: 'Invited' },
	contact: { id: 'PersonId', email: 'MailAddress', modifiedAt: 'ChangedOn' },
	syncUser: { email: 'Mailbox' },
});

let emu: LnEmulator;
let cal: ODataClient;
let token: string;

beforeAll(async () => {
	emu = new LnEmulator({ mapping });
	await emu.start();
	// The sample seed uses the default names; the emulator translates them.
	emu.seed(sampleSeed());
	token = await passwordToken(emu);
	const odata = client(emu, token);
	cal = (path, init = {}) => odata(path, { service: 'txcrm.calendar', ...init });
});
afterAll(() => emu.stop());

describe('an emulator with a mapping override', () => {
	it('serves the mapped service, entity set and field names only', async () => {
		const reply = await cal("Appointments('ACT000001')");
		expect(reply.status).toBe(200);
		expect(reply.body).toMatchObject({ AppointmentId: 'ACT000001', Title: 'Quarterly review', From: '2026-03-01T09:00:00Z', Until: '2026-03-01T10:00:00Z' });
		expect(reply.body).not.toHaveProperty('Subject');
		expect(reply.body).not.toHaveProperty('StartDate');
		expectLnError(await client(emu, token)('Activities'), 404, /txcom\.exchangeSync/);
		expectLnError(await cal('Activities'), 404, /'Activities' does not exist/);
	});

	it('filters, selects, orders and expands by the mapped names', async () => {
		const filter = encodeURIComponent("From ge 2026-03-01T00:00:00Z and Participants/any(p: p/Invited eq 'Yes' and p/Line eq 2)");
		const reply = await cal(`Appointments?$filter=${filter}&$select=Title&$orderby=Title asc&$expand=Participants($select=Invited)`);
		expect(reply.status).toBe(200);
		expect(values(reply)).toEqual([
			{
				'@odata.etag': expect.any(String),
				AppointmentId: 'ACT000004',
				Title: "O'Neil's visit",
				Participants: [
					{ '@odata.etag': expect.any(String), AppointmentId: 'ACT000004', Line: 1, Invited: 'No' },
					{ '@odata.etag': expect.any(String), AppointmentId: 'ACT000004', Line: 2, Invited: 'Yes' },
				],
			},
			expect.objectContaining({ AppointmentId: 'ACT000001', Title: 'Quarterly review' }),
		]);
		expectLnError(await cal(`Appointments?$filter=${encodeURIComponent("Subject eq 'x'")}`), 400, /'Subject' does not exist/);
		expectLnError(await cal('Appointments?$select=Subject'), 400, /'Subject'/);
		expect(values(await cal("CalendarUsers?$filter=Mailbox eq 'John.Doe@acme.example'")).map((u) => u.User)).toEqual(['jdoe']);
	});

	it('writes by the mapped names and stores logical names', async () => {
		const created = await cal('Appointments', {
			method: 'POST',
			body: { Type: 'Appointment', Title: 'Mapped', From: '2026-06-01T09:00:00Z', Until: '2026-06-01T10:00:00Z', Participants: [{ Attendee: 'E001', Invited: 'Yes' }] },
		});
		expect(created.status).toBe(201);
		expect(created.headers.get('location')).toMatch(/\/txcrm\.calendar\/Appointments\('ACT000005'\)$/);
		expect(created.body.Participants).toEqual([expect.objectContaining({ AppointmentId: 'ACT000005', Line: 1, Invited: 'Yes' })]);
		expect(emu.get('100', 'activities', { id: 'ACT000005' })).toMatchObject({ subject: 'Mapped', start: '2026-06-01T09:00:00Z' });

		const path = "Participants(AppointmentId='ACT000005',Line=1)";
		const etag = (await cal(path)).body['@odata.etag'] as string;
		expect((await cal(path, { method: 'PATCH', body: { Synchronized: 'Yes' }, headers: { 'if-match': etag } })).status).toBe(204);
		expect(emu.get('100', 'attendees', { activity: 'ACT000005', sequence: 1 })).toMatchObject({ synchronized: 'Yes' });
		const tooLong = await cal("Appointments('ACT000005')", { method: 'PATCH', body: { Title: 'y'.repeat(300) }, headers: { 'if-match': '*' } });
		expectLnError(tooLong, 422, /^Title is 300 characters/);
		expectLnError(await cal("Appointments('ACT000005')", { method: 'PATCH', body: { Subject: 'old name' }, headers: { 'if-match': '*' } }), 400, /'Subject'/);
	});

	it('the contact service: mapped names and the mapped modification date', async () => {
		const people = await client(emu, token)(`People?$filter=${encodeURIComponent('ChangedOn gt 2026-02-01T00:00:00Z')}&$select=MailAddress`, {
			service: 'txcrm.people',
		});
		expect(values(people)).toEqual([
			{ '@odata.etag': expect.any(String), PersonId: 'C002', MailAddress: 'bob@globex.example' },
			{ '@odata.etag': expect.any(String), PersonId: 'C003', MailAddress: 'CARA@Acme.example' },
		]);
	});

	it('$metadata and request kinds use the mapped names', async () => {
		const xml = (await cal('$metadata')).text;
		expect(xml).toContain('Namespace="txcrm.calendar"');
		expect(xml).toContain('<EntitySet Name="Appointments"');
		expect(xml).toContain('<PropertyRef Name="AppointmentId"/>');
		expect(xml).toContain('<Property Name="Title" Type="Edm.String"/>');
		expect(xml).toContain('<NavigationProperty Name="Participants" Type="Collection(txcrm.calendar.Attendee_)"/>');
		expect(xml).not.toContain('"Subject"');
		const counts = (await call(`${emu.url}/_control/requests`)).body.counts as { byKind: Record<string, number> };
		expect(counts.byKind['GET Appointments']).toBeGreaterThan(0);
		expect(counts.byKind['PATCH Participants']).toBe(1);
	});
});
