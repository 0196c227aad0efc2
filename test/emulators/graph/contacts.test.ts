import type { Contact, ContactFolder } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, LN_KEY, RawGraph, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;

type C = Contact & { '@odata.etag'?: string; '@removed'?: { reason: string }; error?: { code: string; message: string } };
type F = ContactFolder & { error?: { code: string } };
type List<T> = { value: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

beforeAll(async () => {
	emulator = await startEmulator();
	graph = new RawGraph(emulator);
	await graph.getToken();
});

afterAll(async () => {
	await emulator.stop();
});

beforeEach(() => {
	emulator.seed(BASE_SEED);
});

const jane = (extra: Partial<Contact> = {}): Contact => ({
	givenName: 'Jane',
	surname: 'Doe',
	companyName: 'Fabrikam',
	jobTitle: 'Buyer',
	department: 'Purchasing',
	emailAddresses: [{ name: 'Jane Doe', address: 'jane@fabrikam.com' }],
	businessPhones: ['+1 555 0100'],
	mobilePhone: '+1 555 0199',
	businessAddress: { street: 'Main 1', city: 'Springfield', state: 'IL', postalCode: '62701', countryOrRegion: 'US' },
	personalNotes: 'From LN',
	categories: ['LN'],
	...extra,
});

async function folder(name: string): Promise<F> {
	const res = await graph.post<F>(`/users/${ALICE}/contactFolders`, { displayName: name });
	expect(res.status).toBe(201);
	return res.body;
}

describe('contact folders', () => {
	it('creates, finds by displayName, renames and deletes folders; duplicates → 409', async () => {
		const ln = await folder('LN CRM');
		expect(ln.id).toMatch(/^AAMkA/);
		expect(ln.parentFolderId).toBeTruthy();
		const dup = await graph.post<F>(`/users/${ALICE}/contactFolders`, { displayName: 'ln crm' });
		expect(dup.status).toBe(409);
		expect(dup.body.error?.code).toBe('ErrorFolderExists');
		await folder('Other');
		const found = await graph.get<List<F>>(`/users/${ALICE}/contactFolders?$filter=${encodeURIComponent("displayName eq 'LN CRM'")}`);
		expect(found.body.value.map((f) => f.id)).toEqual([ln.id]);
		expect((await graph.get<List<F>>(`/users/${ALICE}/contactFolders`)).body.value).toHaveLength(2);
		const got = await graph.get<F>(`/users/${ALICE}/contactFolders/${ln.id}`);
		expect(got.body.displayName).toBe('LN CRM');
		const renamed = await graph.patch<F>(`/users/${ALICE}/contactFolders/${ln.id}`, { displayName: 'LN CRM 2' });
		expect(renamed.body.displayName).toBe('LN CRM 2');
		expect((await graph.delete(`/users/${ALICE}/contactFolders/${ln.id}`)).status).toBe(204);
		expect((await graph.get(`/users/${ALICE}/contactFolders/${ln.id}`)).status).toBe(404);
	});

	it('stores extended properties on folders', async () => {
		const res = await graph.post<F>(`/users/${ALICE}/contactFolders`, { displayName: 'Tagged', singleValueExtendedProperties: [{ id: LN_KEY, value: 'folder-1' }] });
		const got = await graph.get<F>(`/users/${ALICE}/contactFolders/${res.body.id}?$expand=singleValueExtendedProperties($filter=id eq '${LN_KEY}')`);
		expect(got.body.singleValueExtendedProperties?.[0].value).toBe('folder-1');
		const filtered = await graph.get<List<F>>(`/users/${ALICE}/contactFolders?$filter=${encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value eq 'FOLDER-1')`)}`);
		expect(filtered.body.value).toHaveLength(1);
	});
});

describe('contacts', () => {
	it('creates contacts in a folder and reads them through both paths', async () => {
		const ln = await folder('LN CRM');
		const created = await graph.post<C>(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane());
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({
			givenName: 'Jane', surname: 'Doe', displayName: 'Jane Doe', companyName: 'Fabrikam', parentFolderId: ln.id,
			emailAddresses: [{ name: 'Jane Doe', address: 'jane@fabrikam.com' }],
			businessAddress: { street: 'Main 1', city: 'Springfield', state: 'IL', postalCode: '62701', countryOrRegion: 'US' },
		});
		expect(created.body['@odata.etag']).toBe(`W/"${created.body.changeKey}"`);
		expect((await graph.get<C>(`/users/${ALICE}/contacts/${created.body.id}`)).body.surname).toBe('Doe');
		expect((await graph.get<C>(`/users/${ALICE}/contactFolders/${ln.id}/contacts/${created.body.id}`)).status).toBe(200);
		// The default folder does not hold it.
		expect((await graph.get<List<C>>(`/users/${ALICE}/contacts`)).body.value).toHaveLength(0);
		const other = await folder('Other');
		expect((await graph.get(`/users/${ALICE}/contactFolders/${other.id}/contacts/${created.body.id}`)).status).toBe(404);
		expect(emulator.contacts(ALICE, 'LN CRM').map((c) => c.id)).toEqual([(await graph.get<C>(`/users/${ALICE}/contacts/${created.body.id}`, { Prefer: 'IdType="ImmutableId"' })).body.id]);
	});

	it('uses the default folder for /contacts and rejects unknown properties', async () => {
		const created = await graph.post<C>(`/users/${ALICE}/contacts`, jane());
		expect(created.status).toBe(201);
		expect((await graph.get<List<C>>(`/users/${ALICE}/contacts`)).body.value).toHaveLength(1);
		const fax = await graph.post<C>(`/users/${ALICE}/contacts`, { ...jane(), businessFax: '+1 555 0101' });
		expect(fax.status).toBe(400);
		expect(fax.body.error?.code).toBe('RequestBodyRead');
		expect(fax.body.error?.message).toContain("'businessFax'");
		const street = await graph.post<C>(`/users/${ALICE}/contacts`, { ...jane(), homeAddress: { street2: 'x' } });
		expect(street.status).toBe(400);
		expect(emulator.contacts(ALICE)).toHaveLength(1);
	});

	it('PATCHes (bumping changeKey), upserts extended properties and DELETEs', async () => {
		const created = await graph.post<C>(`/users/${ALICE}/contacts`, jane({ singleValueExtendedProperties: [{ id: LN_KEY, value: 'BP-1' }] } as Partial<Contact>));
		const patched = await graph.patch<C>(`/users/${ALICE}/contacts/${created.body.id}`, { jobTitle: 'Head of Purchasing', homePhones: ['+1 555 0111'], singleValueExtendedProperties: [{ id: LN_KEY, value: 'BP-2' }] });
		expect(patched.status).toBe(200);
		expect(patched.body.jobTitle).toBe('Head of Purchasing');
		expect(patched.body.homePhones).toEqual(['+1 555 0111']);
		expect(patched.body.changeKey).not.toBe(created.body.changeKey);
		expect(emulator.contacts(ALICE)[0].singleValueExtendedProperties).toEqual([{ id: 'String {8eccc264-6880-4ebe-992f-8888d2eeaa1d} Name LnKey', value: 'BP-2' }]);
		expect((await graph.patch(`/users/${ALICE}/contacts/${created.body.id}`, { parentFolderId: 'x' })).status).toBe(400);
		expect((await graph.delete(`/users/${ALICE}/contacts/${created.body.id}`)).status).toBe(204);
		expect((await graph.get<C>(`/users/${ALICE}/contacts/${created.body.id}`)).body.error?.code).toBe('ErrorItemNotFound');
	});

	it('lists with paging, $select, $expand and an extended-property $filter', async () => {
		const ln = await folder('LN CRM');
		for (let i = 1; i <= 3; i++) {
			await graph.post(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane({ givenName: `Jane${i}`, singleValueExtendedProperties: [{ id: LN_KEY, value: `BP-${i}` }] } as Partial<Contact>));
		}
		const page1 = await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$top=2&$select=givenName`);
		expect(page1.body.value.map((c) => c.givenName)).toEqual(['Jane1', 'Jane2']);
		expect(Object.keys(page1.body.value[0]).sort()).toEqual(['@odata.etag', 'givenName', 'id']);
		const page2 = await graph.get<List<C>>(page1.body['@odata.nextLink']!);
		expect(page2.body.value.map((c) => c.givenName)).toEqual(['Jane3']);
		const ordered = await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$orderby=givenName desc&$top=2&$select=givenName`);
		expect(ordered.body.value.map((c) => c.givenName)).toEqual(['Jane3', 'Jane2']);
		expect(ordered.body['@odata.nextLink']).toBeDefined();
		const filter = encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value eq 'bp-2')`);
		const expand = encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${LN_KEY}')`);
		const found = await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$filter=${filter}&$expand=${expand}`);
		expect(found.body.value.map((c) => c.givenName)).toEqual(['Jane2']);
		expect(found.body.value[0].singleValueExtendedProperties?.[0].value).toBe('BP-2');
		// A filter that reads other properties too still sees the whole contact.
		const mixed = (other: string): string => encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value eq 'BP-3') and ${other}`);
		const both = await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$filter=${mixed("givenName eq 'Jane3'")}`);
		expect(both.body.value.map((c) => c.givenName)).toEqual(['Jane3']);
		expect((await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$filter=${mixed("givenName eq 'Jane2'")}`)).body.value).toEqual([]);
		const anyKey = encodeURIComponent('singleValueExtendedProperties/any()');
		await graph.post(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane({ givenName: 'Unlinked' }));
		const linked = await graph.get<List<C>>(`/users/${ALICE}/contactFolders/${ln.id}/contacts?$filter=${anyKey}&$select=givenName`);
		expect(linked.body.value.map((c) => c.givenName)).toEqual(['Jane1', 'Jane2', 'Jane3']);
	});

	it('deleting a folder deletes its contacts', async () => {
		const ln = await folder('LN CRM');
		await graph.post(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane());
		await graph.delete(`/users/${ALICE}/contactFolders/${ln.id}`);
		expect(emulator.contacts(ALICE)).toHaveLength(0);
	});

	it('seeds contacts into named folders', () => {
		emulator.seed({ ...BASE_SEED, contacts: { [BOB]: [{ ...jane(), folder: 'LN CRM' }, { givenName: 'Default', surname: 'Person' }] } });
		expect(emulator.contacts(BOB, 'LN CRM').map((c) => c.displayName)).toEqual(['Jane Doe']);
		expect(emulator.contacts(BOB, 'Contacts').map((c) => c.displayName)).toEqual(['Default Person']);
		expect(emulator.contacts(BOB)).toHaveLength(2);
	});
});

describe('contacts/delta', () => {
	async function deltaRound(first: string, headers: Record<string, string> = {}): Promise<{ items: C[]; pages: number; deltaLink: string }> {
		const items: C[] = [];
		let link = first;
		let pages = 0;
		for (;;) {
			const res = await graph.get<List<C>>(link, headers);
			expect(res.status).toBe(200);
			pages++;
			items.push(...res.body.value);
			if (res.body['@odata.nextLink']) {
				link = res.body['@odata.nextLink'];
				continue;
			}
			return { items, pages, deltaLink: res.body['@odata.deltaLink']! };
		}
	}

	it('runs rounds with $select and maxpagesize, then reports changes and @removed', async () => {
		const ln = await folder('LN CRM');
		const other = await folder('Other');
		const ids: string[] = [];
		for (let i = 1; i <= 3; i++) {
			ids.push((await graph.post<C>(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane({ givenName: `J${i}` }))).body.id!);
		}
		await graph.post(`/users/${ALICE}/contactFolders/${other.id}/contacts`, jane({ givenName: 'Elsewhere' }));
		const first = await deltaRound(`/users/${ALICE}/contactFolders/${ln.id}/contacts/delta?$select=givenName,surname`, { Prefer: 'odata.maxpagesize=2' });
		expect(first.pages).toBe(2);
		expect(first.items.map((c) => c.givenName)).toEqual(['J1', 'J2', 'J3']);
		expect(Object.keys(first.items[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'givenName', 'id', 'surname']);
		expect(first.deltaLink).toMatch(/contactFolders\/.+\/contacts\/delta\?\$deltatoken=/);

		await graph.patch(`/users/${ALICE}/contacts/${ids[0]}`, { givenName: 'J1b' });
		await graph.delete(`/users/${ALICE}/contacts/${ids[1]}`);
		const added = await graph.post<C>(`/users/${ALICE}/contactFolders/${ln.id}/contacts`, jane({ givenName: 'J4' }));
		const second = await deltaRound(first.deltaLink);
		const byId = new Map(second.items.map((c) => [c.id, c]));
		expect(byId.get(ids[0])?.givenName).toBe('J1b');
		expect(Object.keys(byId.get(ids[0])!)).not.toContain('companyName');
		expect(byId.get(ids[1])?.['@removed']).toEqual({ reason: 'deleted' });
		expect(byId.get(added.body.id)?.givenName).toBe('J4');
		expect(second.items).toHaveLength(3);
		const third = await deltaRound(second.deltaLink);
		expect(third.items).toEqual([]);
		emulator.expireDeltaTokens(ALICE);
		expect((await graph.get(third.deltaLink)).status).toBe(410);
	});

	it('supports the default folder delta and rejects $filter', async () => {
		await graph.post(`/users/${ALICE}/contacts`, jane());
		const round = await deltaRound(`/users/${ALICE}/contacts/delta`);
		expect(round.items).toHaveLength(1);
		expect((await graph.get(`/users/${ALICE}/contacts/delta?$filter=${encodeURIComponent("givenName eq 'x'")}`)).status).toBe(400);
	});
});
