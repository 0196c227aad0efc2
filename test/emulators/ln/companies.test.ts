import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import type { LnEmulator } from './emulator';
import { call, expectLnError, sampleSeed, startEmulator, values, type ODataClient, type Reply } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;

beforeAll(async () => {
	({ emu, odata } = await startEmulator());
});
afterAll(() => emu.stop());
beforeEach(() => emu.seed(sampleSeed()));

const subjects = (reply: Reply) => values(reply).map((e) => e.Subject);

describe('companies (X-Infor-LnCompany)', () => {
	it('keeps data separately per company', async () => {
		expect(subjects(await odata('Activities', { company: '200' }))).toEqual(['Company 200 meeting']);
		expect((await odata("Activities('ACT000001')", { company: '200' })).body.Subject).toBe('Company 200 meeting');
		expect((await odata("Activities('ACT000001')", { company: '100' })).body.Subject).toBe('Quarterly review');
		const created = await odata('Activities', { method: 'POST', company: '200', body: { Type: 'Call', Subject: 'only in 200' } });
		expect(created.body.Activity).toBe('ACT000002');
		expect(subjects(await odata('Activities', { company: '100' }))).not.toContain('only in 200');
		expect(values(await odata('Contacts', { company: '200', service: DEFAULT_SERVICES.contactService })).map((c) => c.Contact)).toEqual(['C900']);
		expect(emu.list('200', 'activities')).toHaveLength(2);
		expect(emu.list('100', 'activities')).toHaveLength(4);
	});

	it('uses the default company without the header (first company, or the seed’s defaultCompany)', async () => {
		expect(subjects(await odata('Activities', { company: null }))).toContain('Quarterly review');
		emu.seed({ ...sampleSeed(), defaultCompany: '200' });
		expect(subjects(await odata('Activities', { company: null }))).toEqual(['Company 200 meeting']);
	});

	it('reads company numbers as integers (leading zeros allowed)', async () => {
		expect(subjects(await odata('Activities', { company: '0200' }))).toEqual(['Company 200 meeting']);
	});

	it('an invalid company → 400; a company that is not seeded → 404', async () => {
		for (const company of ['abc', '10000', '-1', '1.5', '']) {
			const reply = await odata('Activities', { company });
			expectLnError(reply, 400, /X-Infor-LnCompany/);
			expect(reply.body.Code).toBe('ERROR:InvalidCompany');
		}
		const inactive = await odata('Activities', { company: '300' });
		expectLnError(inactive, 404, /not active for company 300/);
		expect((inactive.body.InnerError as Record<string, unknown>).Company).toBe(300);
	});

	it('Content-Language must be a 5-character tag', async () => {
		expect((await odata('Activities', { headers: { 'content-language': 'en-US' } })).status).toBe(200);
		expect((await odata('Activities', { headers: { 'content-language': 'nl-NL' } })).status).toBe(200);
		for (const language of ['english', 'en', 'en_US_x']) {
			expectLnError(await odata('Activities', { headers: { 'content-language': language } }), 400, /Content-Language/);
		}
	});
});

describe('LN’s error body', () => {
	it('has the same shape for 400, 404, 405, 409, 412, 422 and 428, with the request’s company and tenant', async () => {
		const errors: Array<[number, Promise<Reply>]> = [
			[400, odata('Activities?$filter=Nope eq 1', { company: '200' })],
			[404, odata("Activities('ACT000009')", { company: '200' })],
			[405, odata("Activities('ACT000001')", { method: 'PUT', body: {}, company: '200' })],
			[409, odata('Activities', { method: 'POST', body: { Activity: 'ACT000001', Type: 'Task' }, company: '200' })],
			[412, odata("Activities('ACT000001')", { method: 'PATCH', body: { Subject: 'x' }, headers: { 'if-match': 'W/"stale"' }, company: '200' })],
			[422, odata("Activities('ACT000001')", { method: 'PATCH', body: { EndDate: '2020-01-01T00:00:00Z' }, headers: { 'if-match': '*' }, company: '200' })],
			[428, odata("Activities('ACT000001')", { method: 'DELETE', company: '200' })],
		];
		const requestIds = new Set<string>();
		for (const [status, pending] of errors) {
			const reply = await pending;
			expectLnError(reply, status);
			const inner = reply.body.InnerError as Record<string, unknown>;
			expect(inner).toMatchObject({ StatusCode: status, TenantId: 'ACME_TST', Company: 200 });
			expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
			requestIds.add(inner.RequestId as string);
		}
		expect(requestIds.size).toBe(errors.length);
	});

	it('a tenant that is not served → 404', async () => {
		const reply = await call(`${emu.url}/OTHER_TST/LN/lnapi/odata/txcom.exchangeSync/Activities`);
		expectLnError(reply, 404, /OTHER_TST/);
	});
});
