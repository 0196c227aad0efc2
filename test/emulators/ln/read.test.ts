import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import type { LnEmulator } from './emulator';
import { expectLnError, serviceUrl, startEmulator, values, type ODataClient } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;

beforeAll(async () => {
	({ emu, odata } = await startEmulator());
});
afterAll(() => emu.stop());

const CONTACTS = { service: DEFAULT_SERVICES.contactService };
const ids = (reply: Awaited<ReturnType<ODataClient>>) => values(reply).map((e) => e.Activity);

describe('$metadata', () => {
	it('is an XML CSDL of the sync service with keys, Edm types, enums and navigations', async () => {
		const reply = await odata('$metadata', { headers: { accept: 'application/xml' } });
		expect(reply.status).toBe(200);
		expect(reply.headers.get('content-type')).toMatch(/^application\/xml/);
		const xml = reply.text;
		expect(xml).toMatch(/^<\?xml/);
		expect(xml).toContain('<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="txcom.exchangeSync">');
		expect(xml).toMatch(/<EntityType Name="Activity_">\s*<Key>\s*<PropertyRef Name="Activity"\/>\s*<\/Key>/);
		expect(xml).toMatch(/<EntityType Name="Attendee_">\s*<Key>\s*<PropertyRef Name="Activity"\/>\s*<PropertyRef Name="Sequence"\/>/);
		expect(xml).toContain('<Property Name="StartDate" Type="Edm.DateTimeOffset"/>');
		expect(xml).toContain('<Property Name="Sequence" Type="Edm.Int32" Nullable="false"/>');
		expect(xml).toContain('<Property Name="Invite" Type="txcom.exchangeSync.AnswerOnQuestionYn"/>');
		expect(xml).toMatch(/<EnumType Name="AnswerOnQuestionYn"[^>]*>\s*<Member Name="Yes" Value="1"\/>\s*<Member Name="No" Value="2"\/>/);
		expect(xml).toMatch(/<EnumType Name="ActivityKind"[^>]*>\s*<Member Name="Appointment"/);
		expect(xml).toContain('<NavigationProperty Name="Attendees" Type="Collection(txcom.exchangeSync.Attendee_)"/>');
		for (const set of ['Activities', 'Attendees', 'SyncUsers']) expect(xml).toContain(`<EntitySet Name="${set}"`);
		expect(xml).toContain('<NavigationPropertyBinding Path="Attendees" Target="Attendees"/>');
	});

	it('of the contact service has Contact_ with BusinessPartnerRef, WorkAddressRef and LastModifiedDate', async () => {
		const xml = (await odata('$metadata', CONTACTS)).text;
		expect(xml).toMatch(/<EntityType Name="Contact_">\s*<Key>\s*<PropertyRef Name="Contact"\/>/);
		expect(xml).toContain('<NavigationProperty Name="BusinessPartnerRef" Type="tcapi.comContact.BusinessPartner_"/>');
		expect(xml).toContain('<NavigationProperty Name="WorkAddressRef" Type="tcapi.comContact.Address_"/>');
		expect(xml).toMatch(/<Property Name="LastModifiedDate" Type="Edm.DateTimeOffset">/);
		for (const set of ['Contacts', 'BusinessPartners', 'Addresses']) expect(xml).toContain(`<EntitySet Name="${set}"`);
		expect(xml).not.toContain('Activity_');
	});

	it('as JSON CSDL on $format=json', async () => {
		const reply = await odata('$metadata?$format=json');
		expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
		const ns = reply.body['txcom.exchangeSync'] as Record<string, Record<string, unknown>>;
		expect(ns.Activity_.$Key).toEqual(['Activity']);
		expect(ns.AnswerOnQuestionYn).toMatchObject({ $Kind: 'EnumType', Yes: '1', No: '2' });
		expect(ns.Container.Activities).toEqual({ $Collection: true, $Type: 'txcom.exchangeSync.Activity_' });
	});

	it('unknown service or entity set → 404 with LN’s body', async () => {
		expectLnError(await odata('$metadata', { service: 'txcom.nope' }), 404, /txcom\.nope/);
		expectLnError(await odata('Meetings'), 404, /'Meetings' does not exist/);
		expectLnError(await odata('Contacts'), 404);
	});

	it('the service document lists the entity sets', async () => {
		const reply = await odata('');
		expect(values(reply).map((v) => v.name)).toEqual(['Activities', 'Attendees', 'SyncUsers']);
	});
});

describe('single entities and navigation', () => {
	it('GET by key sends the ETag header equal to @odata.etag', async () => {
		const reply = await odata("Activities('ACT000001')");
		expect(reply.status).toBe(200);
		expect(reply.body['@odata.context']).toBe(`${serviceUrl(emu)}/$metadata#Activities/$entity`);
		expect(reply.body['@odata.etag']).toMatch(/^W\/"[0-9a-f]{40}"$/);
		expect(reply.headers.get('etag')).toBe(reply.body['@odata.etag']);
		expect(reply.body).toMatchObject({ Activity: 'ACT000001', Subject: 'Quarterly review', StartDate: '2026-03-01T09:00:00Z', Synchronize: 'Yes' });
	});

	it('composite keys in either order, ints unquoted; wrong key shapes → 400; missing → 404', async () => {
		const a = await odata("Attendees(Activity='ACT000001',Sequence=2)");
		const b = await odata("Attendees(Sequence=2,Activity='ACT000001')");
		expect(a.body).toMatchObject({ Attendee: 'C001', Invite: 'Yes', Synchronized: 'No', SentToSynchronizer: 'No', AttendanceStatus: 'None' });
		expect(b.body['@odata.etag']).toBe(a.body['@odata.etag']);
		expectLnError(await odata("Attendees('ACT000001')"), 400, /Activity=…,Sequence=…/);
		expectLnError(await odata("Attendees(Activity='ACT000001',Sequence='2')"), 400, /must be an integer/);
		expectLnError(await odata('Activities(ACT000001)'), 400, /quoted string/);
		expectLnError(await odata("Activities('ACT999999')"), 404, /ACT999999/);
		expectLnError(await odata("SyncUsers('nobody')"), 404);
	});

	it('string keys with quotes use the doubled-quote escape', async () => {
		emu.insert('100', 'activities', { id: "X'1", type: 'Task', subject: 'quoted key' });
		try {
			const reply = await odata(`Activities('${encodeURIComponent("X''1")}')`);
			expect(reply.body).toMatchObject({ Activity: "X'1", Subject: 'quoted key' });
		} finally {
			emu.remove('100', 'activities', { id: "X'1" });
		}
	});

	it('collection navigation Activities(…)/Attendees with query options', async () => {
		const all = await odata("Activities('ACT000001')/Attendees");
		expect(values(all).map((a) => a.Sequence)).toEqual([1, 2]);
		expect(all.body['@odata.context']).toMatch(/\$metadata#Attendees$/);
		const invited = await odata(`Activities('ACT000001')/Attendees?$filter=${encodeURIComponent("Invite eq 'Yes'")}&$select=Attendee`);
		expect(values(invited)).toEqual([{ '@odata.etag': expect.any(String), Activity: 'ACT000001', Sequence: 2, Attendee: 'C001' }]);
		expectLnError(await odata("Activities('NOPE')/Attendees"), 404);
		expectLnError(await odata("Activities('ACT000001')/Nope"), 404);
	});

	it('single-valued navigations of contacts', async () => {
		const bp = await odata("Contacts('C001')/BusinessPartnerRef", CONTACTS);
		expect(bp.body).toMatchObject({ BusinessPartner: 'BP001', Name: 'Acme Corp' });
		expect((await odata("Contacts('C002')/WorkAddressRef", CONTACTS)).status).toBe(204);
	});

	it('$count path segment', async () => {
		const all = await odata('Activities/$count');
		expect(all.text).toBe('4');
		expect(all.headers.get('content-type')).toMatch(/^text\/plain/);
		expect((await odata(`Activities/$count?$filter=${encodeURIComponent("Type eq 'Appointment'")}`)).text).toBe('2');
		expect((await odata("Activities('ACT000001')/Attendees/$count")).text).toBe('2');
	});
});

describe('query options', () => {
	it('$select returns only the selected properties plus key and @odata.etag', async () => {
		const reply = await odata("Activities?$select=Subject,Status&$filter=Activity eq 'ACT000003'");
		expect(values(reply)).toEqual([{ '@odata.etag': expect.stringMatching(/^W\//), Activity: 'ACT000003', Subject: 'Prepare offer', Status: 'Completed' }]);
		expect(reply.body['@odata.context']).toMatch(/#Activities\(Subject,Status\)$/);
		const attendee = await odata('Attendees?$select=Invite&$top=1');
		expect(Object.keys(values(attendee)[0])).toEqual(['@odata.etag', 'Activity', 'Sequence', 'Invite']);
		expectLnError(await odata('Activities?$select=Subject,Nope'), 400, /'Nope' does not exist/);
	});

	it('$orderby on several fields, asc and desc, nulls first', async () => {
		expect(ids(await odata('Activities?$orderby=Subject desc'))).toEqual(['ACT000001', 'ACT000003', 'ACT000004', 'ACT000002']);
		expect(ids(await odata('Activities?$orderby=Type asc,StartDate desc'))).toEqual(['ACT000004', 'ACT000001', 'ACT000002', 'ACT000003']);
		expect(ids(await odata('Activities?$orderby=StartDate'))).toEqual(['ACT000003', 'ACT000001', 'ACT000002', 'ACT000004']);
		expect(ids(await odata('Activities?$orderby=LastModifiedDate desc'))).toEqual(['ACT000004', 'ACT000003', 'ACT000002', 'ACT000001']);
		expectLnError(await odata('Activities?$orderby=Nope'), 400, /'Nope' does not exist/);
		expectLnError(await odata('Activities?$orderby=Subject sideways'), 400, /asc\|desc/);
	});

	it('$top, $skip and $count', async () => {
		expect(ids(await odata('Activities?$top=2'))).toEqual(['ACT000001', 'ACT000002']);
		expect(ids(await odata('Activities?$skip=3'))).toEqual(['ACT000004']);
		expect(ids(await odata('Activities?$skip=1&$top=2'))).toEqual(['ACT000002', 'ACT000003']);
		const counted = await odata(`Activities?$count=true&$top=1&$filter=${encodeURIComponent("Type eq 'Appointment'")}`);
		expect(counted.body['@odata.count']).toBe(2);
		expect(values(counted)).toHaveLength(1);
		expect((await odata('Activities')).body).not.toHaveProperty('@odata.count');
		expectLnError(await odata('Activities?$top=-1'), 400, /\$top/);
		expectLnError(await odata('Activities?$skip=x'), 400, /\$skip/);
		expectLnError(await odata('Activities?$count=yes'), 400, /\$count/);
		expectLnError(await odata('Activities?$search=review'), 400, /\$search is not supported/);
		expectLnError(await odata('Activities?$top=1&$top=2'), 400, /more than once/);
	});

	it('$expand=Attendees, plain and with nested $select/$filter/$orderby', async () => {
		const plain = await odata("Activities?$expand=Attendees&$filter=Activity eq 'ACT000001'");
		const attendees = values(plain)[0].Attendees as Array<Record<string, unknown>>;
		expect(attendees.map((a) => a.Sequence)).toEqual([1, 2]);
		expect(attendees[0]['@odata.etag']).toMatch(/^W\//);

		const nested = await odata(
			`Activities?$select=Subject&$expand=${encodeURIComponent("Attendees($select=Attendee,Invite;$filter=Invite eq 'Yes' or Sequence eq 1;$orderby=Sequence desc;$count=true)")}&$filter=Activity eq 'ACT000004'`,
		);
		expect(values(nested)).toEqual([
			{
				'@odata.etag': expect.any(String),
				Activity: 'ACT000004',
				Subject: "O'Neil's visit",
				'Attendees@odata.count': 2,
				Attendees: [
					{ '@odata.etag': expect.any(String), Activity: 'ACT000004', Sequence: 2, Attendee: '', Invite: 'Yes' },
					{ '@odata.etag': expect.any(String), Activity: 'ACT000004', Sequence: 1, Attendee: 'E001', Invite: 'No' },
				],
			},
		]);
		const single = await odata("Activities('ACT000002')?$expand=Attendees($select=Attendee)");
		expect(single.body.Attendees).toEqual([{ '@odata.etag': expect.any(String), Activity: 'ACT000002', Sequence: 1, Attendee: 'E002' }]);
		expectLnError(await odata('Activities?$expand=Organizer'), 400, /'Organizer' does not exist/);
		expectLnError(await odata(`Activities?$expand=${encodeURIComponent('Attendees($filter=Foo eq 1)')}`), 400, /'Foo'/);
	});

	it('$expand=BusinessPartnerRef,WorkAddressRef on contacts', async () => {
		const reply = await odata('Contacts?$expand=BusinessPartnerRef,WorkAddressRef($select=City)&$select=FullName', CONTACTS);
		const [c1, c2] = values(reply);
		expect(c1).toEqual({
			'@odata.etag': expect.any(String),
			Contact: 'C001',
			FullName: 'Ann Archer',
			BusinessPartnerRef: { '@odata.etag': expect.any(String), BusinessPartner: 'BP001', Name: 'Acme Corp' },
			WorkAddressRef: { '@odata.etag': expect.any(String), Address: 'ADR001', City: 'Springfield' },
		});
		expect(c2.WorkAddressRef).toBeNull();
		expect(c2.BusinessPartnerRef).toMatchObject({ Name: 'Globex' });
	});

	it('dates are UTC ISO with Z and no milliseconds, also for offsets given in the seed', async () => {
		const reply = await odata("Activities('ACT000004')");
		expect(reply.body.StartDate).toBe('2026-04-10T06:00:00Z');
		for (const e of values(await odata('Activities'))) {
			for (const key of ['StartDate', 'EndDate', 'LastModifiedDate']) {
				if (e[key] !== null) expect(e[key]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
			}
		}
	});
});
