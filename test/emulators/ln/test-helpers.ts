import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import { DEFAULT_LN_CLIENT, LnEmulator, type LnEmulatorOptions, type LnSeed } from './emulator';

/** Raw-HTTP helpers for the LN emulator tests (no node code involved on purpose). */

export type Entity = Record<string, unknown>;

export interface Reply {
	status: number;
	headers: Headers;
	text: string;
	/** Parsed JSON, or {} when the body is empty or not JSON. */
	body: Record<string, unknown>;
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
	const response = await fetch(url, init);
	const text = await response.text();
	let body: Record<string, unknown> = {};
	try {
		const parsed = JSON.parse(text) as unknown;
		if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
	} catch {
		// not JSON
	}
	return { status: response.status, headers: response.headers, text, body };
}

export const values = (reply: Reply): Entity[] => (reply.body.value ?? []) as Entity[];

export function basic(clientId: string, secret: string): string {
	return `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
}

export function tokenUrl(emu: LnEmulator): string {
	const file = emu.ionapi();
	return `${file.pu}${file.ot}`;
}

/** The password grant of the default client, as the node does it. */
export async function passwordToken(emu: LnEmulator): Promise<string> {
	const reply = await call(tokenUrl(emu), {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(DEFAULT_LN_CLIENT.clientId, DEFAULT_LN_CLIENT.clientSecret) },
		body: new URLSearchParams({
			grant_type: 'password',
			username: DEFAULT_LN_CLIENT.serviceAccountAccessKey,
			password: DEFAULT_LN_CLIENT.serviceAccountSecretKey,
		}).toString(),
	});
	if (reply.status !== 200) throw new Error(`token request failed: ${reply.status} ${reply.text}`);
	return reply.body.access_token as string;
}

export function serviceUrl(emu: LnEmulator, service: string = DEFAULT_SERVICES.syncService): string {
	return `${emu.url}/${emu.tenant}/LN/lnapi/odata/${service}`;
}

export interface ODataInit {
	method?: string;
	body?: unknown;
	headers?: Record<string, string>;
	/** X-Infor-LnCompany; null = send none. Default '100'. */
	company?: string | null;
	service?: string;
}

/** A client bound to one emulator and token: `odata('Activities?$top=1')`. */
export function client(emu: LnEmulator, token: string) {
	return (path: string, init: ODataInit = {}): Promise<Reply> => {
		const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}`, ...(init.headers ?? {}) };
		const company = init.company === undefined ? '100' : init.company;
		if (company !== null) headers['x-infor-lncompany'] = company;
		if (init.body !== undefined) headers['content-type'] = 'application/json';
		const url = /^https?:/.test(path) ? path : `${serviceUrl(emu, init.service)}/${path}`;
		return call(url, {
			method: init.method ?? 'GET',
			headers,
			body: init.body === undefined ? undefined : JSON.stringify(init.body),
		});
	};
}

export type ODataClient = ReturnType<typeof client>;

/** Starts an emulator with the sample seed and a token; for beforeAll. */
export async function startEmulator(options: LnEmulatorOptions = {}, seed: LnSeed = sampleSeed()) {
	const emu = new LnEmulator(options);
	await emu.start();
	emu.seed(seed);
	const token = await passwordToken(emu);
	return { emu, token, odata: client(emu, token) };
}

/** LN's error body shape, as every 4xx of the OData API must carry it. */
export function expectLnError(reply: Reply, status: number, message?: RegExp): void {
	expect(reply.status).toBe(status);
	expect(reply.body).toEqual({
		Code: expect.stringMatching(/^ERROR:/),
		Message: expect.any(String),
		Details: expect.arrayContaining([{ Code: expect.any(String), Message: expect.any(String) }]),
		InnerError: {
			StatusCode: status,
			Error: expect.any(Number),
			LastDBError: 0,
			LastIOError: 0,
			RequestId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
			TenantId: expect.any(String),
			PackageCombination: expect.any(String),
			LnUser: 'svc_ln',
			Company: expect.any(Number),
		},
	});
	if (message) expect(reply.body.Message).toMatch(message);
}

/** Company 100: contacts, partners, addresses, sync users, four activities; company 200: a little. */
export function sampleSeed(): LnSeed {
	return {
		companies: {
			'100': {
				businessPartners: [
					{ BusinessPartner: 'BP001', Name: 'Acme Corp' },
					{ BusinessPartner: 'BP002', Name: 'Globex' },
				],
				addresses: [
					{ Address: 'ADR001', Street: 'Main Street', HouseNumber: '1', City: 'Springfield', PostalCode: '12345', State: 'IL', Country: 'US' },
				],
				contacts: [
					{
						Contact: 'C001', FirstName: 'Ann', LastName: 'Archer', FullName: 'Ann Archer', Email: 'ann@acme.example',
						BusinessPartner: 'BP001', WorkAddress: 'ADR001', Synchronize: 'Yes', LastModifiedDate: '2026-01-10T08:00:00Z',
					},
					{
						Contact: 'C002', FirstName: 'Bob', LastName: "O'Brien", FullName: "Bob O'Brien", Email: 'bob@globex.example',
						BusinessPartner: 'BP002', Synchronize: 'No', OptedOut: 'Yes', LastModifiedDate: '2026-02-01T12:30:00Z',
					},
					{
						Contact: 'C003', FirstName: 'Cara', LastName: 'Diaz', FullName: 'Cara Diaz', Email: 'CARA@Acme.example',
						BusinessPartner: 'BP001', Synchronize: 'Yes', Active: 'No', LastModifiedDate: '2026-02-15T00:00:00Z',
					},
				],
				syncUsers: [
					{ User: 'jdoe', Name: 'John Doe', Email: 'John.Doe@acme.example', Active: 'Yes', Employee: 'E001', EmployeeEmail: 'john.doe@acme.example' },
					{ User: 'msmith', Name: 'Mary Smith', Email: 'mary.smith@acme.example', Active: 'No', Employee: 'E002', EmployeeEmail: 'mary.smith@acme.example' },
				],
				activities: [
					{
						Activity: 'ACT000001', Type: 'Appointment', Subject: 'Quarterly review', StartDate: '2026-03-01T09:00:00Z',
						EndDate: '2026-03-01T10:00:00Z', Location: 'Room 1', Synchronize: 'Yes', LastModifiedDate: '2026-01-05T10:00:00Z',
						Attendees: [
							{ Sequence: 1, Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Attendee: 'E001', FullName: 'John Doe', Email: 'john.doe@acme.example' },
							{ Sequence: 2, Attendance: 'Required', AttendeeType: 'Contact', Attendee: 'C001', FullName: 'Ann Archer', Email: 'ann@acme.example', Invite: 'Yes' },
						],
					},
					{
						Activity: 'ACT000002', Type: 'Call', Subject: 'Call Globex', StartDate: '2026-03-02T14:00:00Z', EndDate: '2026-03-02T14:30:00Z',
						Synchronize: 'No', LastModifiedDate: '2026-01-20T10:00:00Z',
						Attendees: [{ Sequence: 1, Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Attendee: 'E002', FullName: 'Mary Smith', Email: 'mary.smith@acme.example' }],
					},
					{ Activity: 'ACT000003', Type: 'Task', Subject: 'Prepare offer', Status: 'Completed', LastModifiedDate: '2026-02-01T00:00:00Z' },
					{
						Activity: 'ACT000004', Type: 'Appointment', Subject: "O'Neil's visit", StartDate: '2026-04-10T08:00:00+02:00',
						EndDate: '2026-04-10T09:00:00+02:00', Status: 'Cancelled', Synchronize: 'Yes', LastModifiedDate: '2026-02-20T10:00:00Z',
						Attendees: [
							{ Sequence: 1, Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Attendee: 'E001', FullName: 'John Doe', Email: 'john.doe@acme.example' },
							{ Sequence: 2, Attendance: 'Optional', AttendeeType: 'Other', FullName: 'Guest', Email: 'guest@example.org', Invite: 'Yes' },
						],
					},
				],
			},
			'200': {
				contacts: [{ Contact: 'C900', FirstName: 'Zoe', LastName: 'Other', Synchronize: 'Yes' }],
				activities: [{ Activity: 'ACT000001', Type: 'Appointment', Subject: 'Company 200 meeting', StartDate: '2026-03-05T09:00:00Z', EndDate: '2026-03-05T09:30:00Z' }],
			},
		},
	};
}

/** `count` activities ACT000001… for paging tests. */
export function manyActivities(count: number): LnSeed {
	return {
		companies: {
			'100': {
				activities: Array.from({ length: count }, (_, i) => ({
					Activity: `ACT${String(i + 1).padStart(6, '0')}`,
					Type: i % 2 ? 'Call' : 'Appointment',
					Subject: `Meeting ${i + 1}`,
					StartDate: new Date(Date.UTC(2026, 2, 1, 8) + i * 3600_000).toISOString().replace(/\.000Z$/, 'Z'),
				})),
			},
		},
	};
}
