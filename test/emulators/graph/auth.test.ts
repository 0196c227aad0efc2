import { labelOf, type GraphEmulator } from './emulator';
import { ALICE, BOB, DENIED, RawGraph, control, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;

beforeAll(async () => {
	emulator = await startEmulator();
	graph = new RawGraph(emulator);
});

afterAll(async () => {
	await emulator.stop();
});

beforeEach(async () => {
	emulator.reset();
	emulator.seed({
		users: [
			{ mail: ALICE, displayName: 'Alice' },
			{ mail: BOB, displayName: 'Bob', id: '11111111-2222-4333-8444-555555555555' },
			{ mail: DENIED, displayName: 'Denied', accessDenied: true },
		],
	});
	await graph.getToken();
});

function tokenRequest(fields: Record<string, string>, tenant = emulator.tenantId): Promise<Response> {
	return fetch(`${emulator.loginUrl}/${tenant}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(fields),
	});
}

const goodFields = (): Record<string, string> => ({
	client_id: emulator.app.clientId,
	client_secret: emulator.app.clientSecret,
	scope: 'https://graph.microsoft.com/.default',
	grant_type: 'client_credentials',
});

describe('token endpoint', () => {
	it('issues a bearer token for client credentials and counts it', async () => {
		const before = (emulator.state() as { tokensIssued: number }).tokensIssued;
		const res = await tokenRequest(goodFields());
		expect(res.status).toBe(200);
		const body = (await res.json()) as Record<string, unknown>;
		expect(body.token_type).toBe('Bearer');
		expect(body.expires_in).toBe(3599);
		expect(body.ext_expires_in).toBe(3599);
		expect(String(body.access_token).split('.')).toHaveLength(3);
		expect((emulator.state() as { tokensIssued: number }).tokensIssued).toBe(before + 1);
	});

	it('accepts the tenant domain of the default tenant', async () => {
		expect((await tokenRequest(goodFields(), 'contoso.onmicrosoft.com')).status).toBe(200);
	});

	it('rejects a wrong secret with AADSTS7000215 without echoing the secret', async () => {
		const res = await tokenRequest({ ...goodFields(), client_secret: 'wrong-secret-value' });
		expect(res.status).toBe(401);
		const text = await res.text();
		const body = JSON.parse(text) as Record<string, unknown>;
		expect(body.error).toBe('invalid_client');
		expect(body.error_codes).toEqual([7000215]);
		expect(String(body.error_description)).toMatch(/^AADSTS7000215: Invalid client secret provided\. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '[0-9a-f-]{36}'\.\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: .+/);
		expect(String(body.error_description)).toContain(emulator.app.clientId);
		expect(body.trace_id).toBeTruthy();
		expect(body.correlation_id).toBeTruthy();
		expect(body.timestamp).toBeTruthy();
		expect(text).not.toContain('wrong-secret-value');
	});

	it('rejects an unknown client (AADSTS700016), tenant (AADSTS90002) and grant type', async () => {
		const client = await tokenRequest({ ...goodFields(), client_id: '00000000-0000-0000-0000-000000000001' });
		expect(client.status).toBe(400);
		expect(((await client.json()) as { error_codes: number[] }).error_codes).toEqual([700016]);
		const tenant = await tokenRequest(goodFields(), 'fabrikam.onmicrosoft.com');
		expect(tenant.status).toBe(400);
		expect(((await tenant.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
		const grant = await tokenRequest({ ...goodFields(), grant_type: 'password' });
		expect(grant.status).toBe(400);
		expect(((await grant.json()) as { error: string }).error).toBe('unsupported_grant_type');
	});

	it('requires a scope ending with /.default', async () => {
		const res = await tokenRequest({ ...goodFields(), scope: 'https://graph.microsoft.com/Calendars.ReadWrite' });
		expect(res.status).toBe(400);
		expect(((await res.json()) as { error: string }).error).toBe('invalid_scope');
	});

	it('uses a seeded tenant and apps', async () => {
		emulator.seed({ tenantId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', apps: [{ clientId: 'app-2', clientSecret: 's2' }], users: [] });
		expect(emulator.tenantId).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
		expect((await tokenRequest({ ...goodFields(), client_id: 'app-2', client_secret: 's2' })).status).toBe(200);
		expect((await tokenRequest({ ...goodFields(), client_id: 'app-2', client_secret: 's2' }, 'contoso.onmicrosoft.com')).status).toBe(400);
	});
});

describe('bearer tokens on Graph', () => {
	it('answers 401 InvalidAuthenticationToken without a token or with an unknown one', async () => {
		const none = await graph.call('GET', '/users', { token: null });
		expect(none.status).toBe(401);
		expect((none.body as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
		const bogus = await graph.call('GET', '/users', { token: 'a.b.c' });
		expect(bogus.status).toBe(401);
	});

	it('rejects tokens after expireTokens() and after their lifetime on the emulator clock', async () => {
		const token = await graph.getToken();
		expect((await graph.call('GET', '/users', { token })).status).toBe(200);
		emulator.expireTokens();
		const expired = await graph.call('GET', '/users', { token });
		expect(expired.status).toBe(401);
		expect((expired.body as { error: { message: string } }).error.message).toBe('Lifetime validation failed, the token is expired.');

		const fresh = await graph.getToken();
		expect((await graph.call('GET', '/users', { token: fresh })).status).toBe(200);
		emulator.clockOffsetMs = 3600 * 1000;
		expect((await graph.call('GET', '/users', { token: fresh })).status).toBe(401);
		emulator.clockOffsetMs = 0;
	});

	it('expires tokens through the control route too', async () => {
		const token = await graph.getToken();
		expect((await control(emulator, 'POST', 'expire-tokens')).status).toBe(204);
		expect((await graph.call('GET', '/users', { token })).status).toBe(401);
	});

	it('honours a short token lifetime option', async () => {
		const short = await startEmulator({ tokenLifetimeSeconds: 60 });
		try {
			const client = new RawGraph(short);
			const token = await client.getToken();
			short.clockOffsetMs = 61000;
			expect((await client.call('GET', '/users', { token })).status).toBe(401);
		} finally {
			await short.stop();
		}
	});
});

describe('users', () => {
	it('lists users with $select, $top paging and $filter on mail', async () => {
		await graph.getToken();
		const page1 = await graph.get<{ value: Array<Record<string, unknown>>; '@odata.nextLink'?: string }>('/users?$top=2&$select=id,mail');
		expect(page1.status).toBe(200);
		expect(page1.body.value).toHaveLength(2);
		expect(Object.keys(page1.body.value[0]).sort()).toEqual(['id', 'mail']);
		expect(page1.body['@odata.nextLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\?.*\$skiptoken=/);
		const page2 = await graph.get<{ value: unknown[]; '@odata.nextLink'?: string }>(page1.body['@odata.nextLink']!);
		expect(page2.body.value).toHaveLength(1);
		expect(page2.body['@odata.nextLink']).toBeUndefined();

		const filtered = await graph.get<{ value: Array<{ mail: string }> }>(`/users?$filter=${encodeURIComponent("mail eq 'BOB@contoso.com'")}`);
		expect(filtered.body.value.map((u) => u.mail)).toEqual([BOB]);
	});

	it('gets a user by id or by mail, case-insensitively', async () => {
		const byMail = await graph.get<{ id: string; mail: string; userPrincipalName: string }>('/users/Bob@Contoso.com');
		expect(byMail.status).toBe(200);
		expect(byMail.body.id).toBe('11111111-2222-4333-8444-555555555555');
		expect(byMail.body.userPrincipalName).toBe(BOB);
		const byId = await graph.get<{ mail: string }>('/users/11111111-2222-4333-8444-555555555555');
		expect(byId.body.mail).toBe(BOB);
		const unknown = await graph.get<{ error: { code: string } }>('/users/nobody@contoso.com');
		expect(unknown.status).toBe(404);
	});

	it('answers ErrorInvalidUser for unknown mailboxes and ErrorAccessDenied for denied ones', async () => {
		const unknown = await graph.get<{ error: { code: string; message: string } }>('/users/nobody@contoso.com/events');
		expect(unknown.status).toBe(404);
		expect(unknown.body.error.code).toBe('ErrorInvalidUser');
		expect(unknown.body.error.message).toBe("The requested user 'nobody@contoso.com' is invalid.");
		const denied = await graph.get<{ error: { code: string; message: string } }>(`/users/${DENIED}/calendarView?startDateTime=2026-01-01&endDateTime=2026-01-02`);
		expect(denied.status).toBe(403);
		expect(denied.body.error).toMatchObject({ code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' });
		const deniedContacts = await graph.get(`/users/${DENIED}/contacts`);
		expect(deniedContacts.status).toBe(403);
	});
});

describe('headers and request log', () => {
	it('sends request-id, echoes client-request-id and applied preferences', async () => {
		const res = await graph.get(`/users/${ALICE}/events`, {
			'client-request-id': 'my-id-1',
			Prefer: 'IdType="ImmutableId", outlook.timezone="Pacific Standard Time"',
		});
		expect(res.status).toBe(200);
		expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
		expect(res.headers.get('client-request-id')).toBe('my-id-1');
		const applied = res.headers.get('preference-applied') ?? '';
		expect(applied).toContain('IdType="ImmutableId"');
		expect(applied).toContain('outlook.timezone="Pacific Standard Time"');
		const plain = await graph.get(`/users/${ALICE}/events`);
		expect(plain.headers.get('client-request-id')).toBe(plain.headers.get('request-id'));
		expect(plain.headers.get('preference-applied')).toBeNull();
	});

	it('logs requests with the resolved mailbox and a kind label', async () => {
		const bob = await graph.get<{ id: string }>(`/users/${BOB}`);
		emulator.log.clear();
		await graph.getToken();
		await graph.get(`/users/${bob.body.id}/events`);
		await graph.get(`/users/${BOB.toUpperCase()}/calendarView?startDateTime=2026-01-01&endDateTime=2026-01-02`);
		await graph.get(`/users/${BOB}/calendar/calendarView/delta?startDateTime=2026-01-01&endDateTime=2026-01-02`);
		await graph.get(`/users/${BOB}/contactFolders`);
		const counts = emulator.log.counts();
		expect(counts.byKind).toMatchObject({
			'POST token': 1,
			'GET events': 1,
			'GET calendarView': 1,
			'GET calendarView/delta': 1,
			'GET contactFolders': 1,
		});
		expect(counts.byMailbox[BOB]).toBe(4);
	});
});

describe('kind labels and control routes', () => {
	it('labels every kind of request', () => {
		const u = '/v1.0/users/a@contoso.com';
		expect(labelOf('/contoso.onmicrosoft.com/oauth2/v2.0/token')).toBe('token');
		expect(labelOf('/v1.0/users')).toBe('users');
		expect(labelOf(u)).toBe('users');
		expect(labelOf(`${u}/events`)).toBe('events');
		expect(labelOf(`${u}/calendar/events/ID`)).toBe('events');
		expect(labelOf(`${u}/events/ID/cancel`)).toBe('events/cancel');
		expect(labelOf(`${u}/events/ID/accept`)).toBe('events/accept');
		expect(labelOf(`${u}/events/ID/instances`)).toBe('events/instances');
		expect(labelOf(`${u}/calendarView`)).toBe('calendarView');
		expect(labelOf(`${u}/calendar/calendarView/delta`)).toBe('calendarView/delta');
		expect(labelOf(`${u}/contactFolders`)).toBe('contactFolders');
		expect(labelOf(`${u}/contactFolders/F`)).toBe('contactFolders');
		expect(labelOf(`${u}/contactFolders/F/contacts`)).toBe('contacts');
		expect(labelOf(`${u}/contactFolders/F/contacts/C`)).toBe('contacts');
		expect(labelOf(`${u}/contactFolders/F/contacts/delta`)).toBe('contacts/delta');
		expect(labelOf(`${u}/contacts`)).toBe('contacts');
		expect(labelOf(`${u}/contacts/delta`)).toBe('contacts/delta');
		expect(labelOf('/v1.0/$batch')).toBe('$batch');
		expect(labelOf('/v1.0/subscriptions/ID')).toBe('subscriptions');
	});

	it('counts writes by kind in the request log', async () => {
		emulator.log.clear();
		const created = await graph.post<{ id: string }>(`/users/${ALICE}/events`, { subject: 'x', start: { dateTime: '2026-03-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-03-01T10:00:00', timeZone: 'UTC' } });
		await graph.patch(`/users/${ALICE}/events/${created.body.id}`, { subject: 'y' });
		await graph.post(`/users/${ALICE}/events/${created.body.id}/cancel`, {});
		await graph.post(`/users/${ALICE}/contacts`, { givenName: 'Jane' });
		await graph.post('/$batch', { requests: [{ id: '1', method: 'GET', url: '/users' }] });
		await graph.post('/subscriptions', {});
		expect(emulator.log.counts().byKind).toEqual({
			'POST events': 1,
			'PATCH events': 1,
			'POST events/cancel': 1,
			'POST contacts': 1,
			'POST $batch': 1,
			'POST subscriptions': 1,
		});
		const viaControl = await control(emulator, 'GET', 'requests');
		expect((viaControl.body as { counts: { total: number } }).counts.total).toBe(6);
	});

	it('seeds through POST /_control/seed and reports the state', async () => {
		const res = await control(emulator, 'POST', 'seed', {
			users: [{ mail: 'eve@contoso.com', displayName: 'Eve' }, { mail: 'frank@contoso.com', displayName: 'Frank' }],
			events: { 'eve@contoso.com': [{ subject: 'Seeded', start: { dateTime: '2026-03-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-03-01T10:00:00', timeZone: 'UTC' }, attendees: [{ emailAddress: { address: 'frank@contoso.com' } }] }] },
			contacts: { 'frank@contoso.com': [{ givenName: 'Jane', surname: 'Doe', folder: 'LN CRM' }] },
		});
		expect(res.status).toBe(204);
		expect(emulator.events('frank@contoso.com')[0].subject).toBe('Seeded');
		const state = (await control(emulator, 'GET', 'state')).body as { users: Array<{ mail: string; events: number; contacts: number; contactFolders: number }>; tokensIssued: number };
		expect(state.users).toEqual([
			expect.objectContaining({ mail: 'eve@contoso.com', events: 1, contacts: 0 }),
			expect.objectContaining({ mail: 'frank@contoso.com', events: 1, contacts: 1, contactFolders: 1 }),
		]);
		expect(state.tokensIssued).toBeGreaterThan(0);
		const bad = await control(emulator, 'POST', 'seed', { users: [{ mail: 'x@contoso.com', displayName: 'X' }], events: { 'x@contoso.com': [{ subject: 'bad', start: { dateTime: 'nope', timeZone: 'UTC' }, end: { dateTime: 'nope', timeZone: 'UTC' } }] } });
		expect(bad.status).toBe(400);
	});
});
