import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import type { LnEmulator } from './emulator';
import { call, expectLnError, passwordToken, client, sampleSeed, startEmulator, values, type ODataClient } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;

beforeAll(async () => {
	({ emu, odata } = await startEmulator());
});
afterAll(() => emu.stop());
beforeEach(async () => {
	emu.faults.clear();
	emu.clockOffsetMs = 0;
	emu.seed(sampleSeed());
	emu.log.clear();
});

const control = (action: string, body?: unknown, method = 'POST') =>
	call(`${emu.url}/_control/${action}`, {
		method,
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});

describe('seed, state and reset over HTTP', () => {
	it('POST /_control/seed replaces all data; GET /_control/state shows it by logical names', async () => {
		const seeded = await control('seed', {
			companies: { '300': { activities: [{ Activity: 'X1', Type: 'Call', Subject: 'seeded over HTTP', Attendees: [{ Attendee: 'E1' }] }] } },
		});
		expect(seeded.status).toBe(204);
		expect(values(await odata('Activities', { company: '300' })).map((a) => a.Subject)).toEqual(['seeded over HTTP']);
		expectLnError(await odata('Activities', { company: '100' }), 404);
		const state = (await control('state', undefined, 'GET')).body as {
			companies: Record<string, { activities: Array<Record<string, unknown>>; attendees: Array<Record<string, unknown>> }>;
			tokensIssued: number;
		};
		expect(Object.keys(state.companies)).toEqual(['300']);
		expect(state.companies['300'].activities[0]).toMatchObject({ id: 'X1', type: 'Call', subject: 'seeded over HTTP', '@odata.etag': expect.any(String) });
		expect(state.companies['300'].attendees[0]).toMatchObject({ activity: 'X1', sequence: 1, code: 'E1', invite: 'No' });
		expect(state.tokensIssued).toBeGreaterThanOrEqual(1);
	});

	it('an invalid seed → 400 naming the problem, and the old data stays', async () => {
		const bad = await control('seed', { companies: { '100': { activities: [{ Activity: 'X', Colour: 'red' }] } } });
		expect(bad.status).toBe(400);
		expect(bad.body.error).toMatch(/unknown property "Colour"/);
		const badCompany = await control('seed', { companies: { ACME: {} } });
		expect(badCompany.body.error).toMatch(/not a number/);
		expect(values(await odata('Activities'))).toHaveLength(4);
	});

	it('POST /_control/reset forgets data, tokens and settings', async () => {
		const token = await passwordToken(emu);
		await control('page-size', { size: 3 });
		expect((await control('reset')).status).toBe(204);
		expect((await client(emu, token)('Activities')).status).toBe(401);
		const fresh = client(emu, await passwordToken(emu));
		expectLnError(await fresh('Activities'), 404, /No company is active|not active/);
		expect(emu.state()).toMatchObject({ pageSize: 25, tenant: 'ACME_TST', tokensIssued: 1, companies: {} });
		emu.seed(sampleSeed());
		odata = fresh;
	});

	it('a seed can set the tenant and the clients', async () => {
		emu.seed({ ...sampleSeed(), tenant: 'OTHER_PRD', clients: [{ clientId: 'OTHER_PRD~x', clientSecret: 's1', serviceAccountAccessKey: 'a', serviceAccountSecretKey: 'b' }] });
		const file = emu.ionapi();
		expect(file).toMatchObject({ ti: 'OTHER_PRD', ci: 'OTHER_PRD~x', pu: `${emu.url}/OTHER_PRD/as/` });
		const reply = await call(`${file.pu}${file.ot}`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'password', username: 'a', password: 'b', client_id: 'OTHER_PRD~x', client_secret: 's1' }).toString(),
		});
		expect(reply.status).toBe(200);
		const other = await call(`${emu.url}/OTHER_PRD/LN/lnapi/odata/${DEFAULT_SERVICES.syncService}/Activities`, {
			headers: { authorization: `Bearer ${reply.body.access_token as string}`, 'x-infor-lncompany': '100' },
		});
		expect(values(other)).toHaveLength(4);
		emu.seed(sampleSeed());
	});
});

describe('direct access, like an LN user editing data', () => {
	it('update() bumps the ETag and LastModifiedDate; get() and list() use logical names', async () => {
		emu.clockOffsetMs = Date.parse('2026-06-01T08:00:00Z') - Date.now();
		const before = emu.get('100', 'activities', { id: 'ACT000001' })!;
		expect(before).toMatchObject({ id: 'ACT000001', subject: 'Quarterly review', modifiedAt: '2026-01-05T10:00:00Z' });
		const after = emu.update('100', 'activities', 'ACT000001', { subject: 'Renamed in LN' });
		expect(after['@odata.etag']).not.toBe(before['@odata.etag']);
		expect(after.modifiedAt).toMatch(/^2026-06-01T08:00:0\dZ$/);
		const read = await odata("Activities('ACT000001')");
		expect(read.body).toMatchObject({ Subject: 'Renamed in LN', '@odata.etag': after['@odata.etag'], LastModifiedDate: after.modifiedAt });
		expect(emu.list('100', 'attendees').map((a) => `${a.activity}/${a.sequence}`)).toEqual(['ACT000001/1', 'ACT000001/2', 'ACT000002/1', 'ACT000004/1', 'ACT000004/2']);
		expect(() => emu.update('100', 'activities', 'ACT000001', { status: 'Postponed' })).toThrow(/not valid/);
		expect(() => emu.update('100', 'activities', 'NOPE', { subject: 'x' })).toThrow(/does not exist/);
	});

	it('insert() assigns ids and sequences; remove() cascades', async () => {
		const created = emu.insert('100', 'activities', { type: 'Appointment', subject: 'direct', attendees: [{ code: 'E001', role: 'MeetingOrganizer', type: 'Employee' }] });
		expect(created.id).toBe('ACT000005');
		expect(emu.get('100', 'attendees', { activity: 'ACT000005', sequence: 1 })).toMatchObject({ code: 'E001' });
		expect(emu.insert('100', 'attendees', { activity: 'ACT000005', code: 'C001' }).sequence).toBe(2);
		emu.remove('100', 'activities', { id: 'ACT000005' });
		expect(emu.get('100', 'activities', { id: 'ACT000005' })).toBeUndefined();
		expect(emu.list('100', 'attendees').filter((a) => a.activity === 'ACT000005')).toEqual([]);
	});

	it('POST /_control/update, /insert and /remove do the same over HTTP', async () => {
		const etag = (await odata("Attendees(Activity='ACT000001',Sequence=2)")).body['@odata.etag'];
		const updated = await control('update', { company: '100', entitySet: 'attendees', key: { activity: 'ACT000001', sequence: 2 }, changes: { status: 'Accepted' } });
		expect(updated.status).toBe(200);
		expect(updated.body).toMatchObject({ status: 'Accepted' });
		const read = await odata("Attendees(Activity='ACT000001',Sequence=2)");
		expect(read.body.AttendanceStatus).toBe('Accepted');
		expect(read.body['@odata.etag']).not.toBe(etag);
		// The physical entity-set name works as well.
		expect((await control('update', { company: '100', entitySet: 'Contacts', key: 'C002', changes: { optedOut: 'No' } })).status).toBe(200);
		expect((await control('update', { company: '100', entitySet: 'activities', key: 'NOPE', changes: {} })).status).toBe(404);
		expect((await control('insert', { company: '100', entitySet: 'syncUsers', record: { user: 'new', email: 'new@acme.example' } })).status).toBe(201);
		expect((await control('remove', { company: '100', entitySet: 'syncUsers', key: 'new' })).status).toBe(204);
		expect((await control('update', { company: '100', entitySet: 'meetings', key: 'x', changes: {} })).status).toBe(400);
	});
});

describe('fault injection and the request log', () => {
	it('a 503 on the 2nd matching request only', async () => {
		expect((await control('faults', { kind: 'status', status: 503, nth: 2, match: { path: '/Activities' }, headers: { 'retry-after': '1' } })).status).toBe(204);
		const statuses = [];
		for (let i = 0; i < 3; i++) statuses.push((await odata('Activities')).status);
		expect(statuses).toEqual([200, 503, 200]);
		const log = (await control('requests', undefined, 'GET')).body as { value: Array<{ status: number; fault?: string }> };
		expect(log.value.map((e) => e.fault ?? '')).toEqual(['', 'status 503', '']);
	});

	it('a lostResponse on a POST still commits the write', async () => {
		await control('faults', { kind: 'lostResponse', match: { method: 'POST', path: '/Activities' } });
		await expect(odata('Activities', { method: 'POST', body: { Type: 'Call', Subject: 'lost answer' } })).rejects.toThrow();
		expect(emu.get('100', 'activities', 'ACT000005')).toMatchObject({ subject: 'lost answer' });
		const log = (await control('requests', undefined, 'GET')).body as { value: Array<{ status: number; fault?: string }> };
		expect(log.value[0]).toMatchObject({ status: 201, fault: 'lostResponse' });
		// The retry a client might make creates a second activity: idempotency is the node's job.
		expect((await odata('Activities', { method: 'POST', body: { Type: 'Call', Subject: 'lost answer' } })).body.Activity).toBe('ACT000006');
	});

	it('a reset drops the connection before anything is committed', async () => {
		await control('faults', { kind: 'reset', match: { method: 'POST' } });
		await expect(odata('Activities', { method: 'POST', body: { Type: 'Call', Subject: 'never' } })).rejects.toThrow();
		expect(emu.list('100', 'activities')).toHaveLength(4);
	});

	it('faults can target one company', async () => {
		await control('faults', { kind: 'status', status: 500, times: 0, match: { mailbox: '200' } });
		expect((await odata('Activities', { company: '100' })).status).toBe(200);
		expect((await odata('Activities', { company: '200' })).status).toBe(500);
		expect((await odata('Activities', { company: null })).status).toBe(200);
	});

	it('random faults repeat with the same seed', async () => {
		const pattern = async () => {
			emu.faults.clear();
			await control('faults', { kind: 'status', status: 503, probability: 0.5, seed: 7, times: 0 });
			const result: number[] = [];
			for (let i = 0; i < 12; i++) result.push((await odata('Activities?$top=1')).status);
			return result;
		};
		const first = await pattern();
		expect(first).toContain(503);
		expect(first).toContain(200);
		expect(await pattern()).toEqual(first);
	});

	it('counts requests by kind and by company', async () => {
		const token = await passwordToken(emu);
		const c = client(emu, token);
		await c('$metadata');
		await c('Activities');
		await c(`Activities?$filter=${encodeURIComponent("Type eq 'Call'")}`, { company: '200' });
		await c("Activities('ACT000001')/Attendees");
		await c("Attendees(Activity='ACT000001',Sequence=2)", { method: 'PATCH', body: { Invite: 'No' }, headers: { 'if-match': '*' } });
		await c('Activities', { method: 'POST', body: { Type: 'Call' } });
		await c("Activities('ACT000003')", { method: 'DELETE', headers: { 'if-match': '*' } });
		await c('Contacts', { service: DEFAULT_SERVICES.contactService });
		await c('Activities/$count');
		const { counts, value } = (await control('requests', undefined, 'GET')).body as {
			counts: { total: number; byKind: Record<string, number>; byMailbox: Record<string, number> };
			value: Array<{ company?: string; query: string }>;
		};
		expect(counts.byKind).toEqual({
			'POST token': 1,
			'GET $metadata': 1,
			'GET Activities': 2,
			'GET Attendees': 1,
			'PATCH Attendees': 1,
			'POST Activities': 1,
			'DELETE Activities': 1,
			'GET Contacts': 1,
			'GET Activities/$count': 1,
		});
		expect(counts.total).toBe(10);
		expect(counts.byMailbox).toEqual({ '100': 8, '200': 1 });
		expect(value.filter((e) => e.company === '200').map((e) => decodeURIComponent(e.query))).toEqual(["?$filter=Type eq 'Call'"]);
	});
});
