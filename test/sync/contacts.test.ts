import {
	ContactDataError,
	contactLinkProperties,
	contactSetDigest,
	mapContact,
	NOTES_MAX,
	planContacts,
	type ContactPlanOptions,
	type FolderContact,
} from '../../lib/sync/contacts';
import { BUSINESS_FAX_PROPERTY, decodeState, LN_KEY_PROPERTY, LN_STATE_PROPERTY } from '../../lib/sync/link';
import type { LnContact } from '../../lib/sync/model';

function contact(partial: Partial<LnContact> = {}): LnContact {
	return {
		company: '100',
		id: 'C001',
		firstName: 'Jane',
		lastName: 'Doe',
		fullName: 'Jane Doe',
		title: 'Dr.',
		jobTitle: 'Buyer',
		department: 'Purchasing',
		email: 'jane.doe@fabrikam.com',
		officePhone: '+49 30 1234-0',
		mobilePhone: '+49 170 555 1234',
		homePhone: '030 998877',
		fax: '+49 30 1234-99',
		businessPartner: 'BP0001',
		businessPartnerName: 'Fabrikam GmbH',
		workAddress: { street: 'Hauptstraße', houseNumber: '5a', city: 'Berlin', postalCode: '10115', state: 'BE', country: 'DE' },
		website: 'https://fabrikam.example',
		text: 'Met at the fair.',
		synchronize: true,
		active: true,
		...partial,
	};
}

const options: ContactPlanOptions = { brakeShare: 0.2, brakeMinimum: 5, complete: true };

describe('mapping an LN contact to a Graph contact (SPEC §3 field map)', () => {
	it('maps every field', () => {
		const mapped = mapContact(contact());
		expect(mapped.key).toBe('ln:100:contact:C001');
		expect(mapped.contactId).toBe('C001');
		expect(mapped.warnings).toEqual([]);
		expect(mapped.hash).toMatch(/^[0-9a-f]{32}$/);
		expect(mapped.body).toEqual({
			givenName: 'Jane',
			surname: 'Doe',
			middleName: '',
			displayName: 'Jane Doe',
			title: 'Dr.',
			jobTitle: 'Buyer',
			department: 'Purchasing',
			companyName: 'Fabrikam GmbH',
			emailAddresses: [{ address: 'jane.doe@fabrikam.com', name: 'Jane Doe' }],
			businessPhones: ['+49 30 1234-0'],
			homePhones: ['030 998877'],
			mobilePhone: '+49 170 555 1234',
			businessHomePage: 'https://fabrikam.example',
			personalNotes: 'Met at the fair.',
			businessAddress: { street: 'Hauptstraße 5a', city: 'Berlin', state: 'BE', postalCode: '10115', countryOrRegion: 'DE' },
			singleValueExtendedProperties: [{ id: BUSINESS_FAX_PROPERTY, value: '+49 30 1234-99' }],
		});
	});

	it('clears fields LN left empty, so a cleared LN field clears Outlook', () => {
		const mapped = mapContact({ company: '100', id: 'C2', lastName: 'Solo', synchronize: true, active: true });
		expect(mapped.body).toMatchObject({
			givenName: '',
			surname: 'Solo',
			displayName: 'Solo',
			jobTitle: '',
			companyName: '',
			emailAddresses: [],
			businessPhones: [],
			homePhones: [],
			mobilePhone: '',
			personalNotes: '',
			businessAddress: { street: '', city: '', state: '', postalCode: '', countryOrRegion: '' },
			singleValueExtendedProperties: [{ id: BUSINESS_FAX_PROPERTY, value: '' }],
		});
	});

	it('falls back for the display name: full name, then first + middle + last, then the e-mail', () => {
		expect(mapContact(contact({ fullName: '  ', middleName: 'Q.' })).body.displayName).toBe('Jane Q. Doe');
		expect(mapContact(contact({ fullName: undefined, firstName: undefined })).body.displayName).toBe('Doe');
		expect(mapContact(contact({ fullName: undefined, firstName: undefined, lastName: undefined })).body.displayName).toBe('jane.doe@fabrikam.com');
	});

	it('refuses a contact with nothing to show, naming the contact and the fields', () => {
		const empty = contact({ fullName: undefined, firstName: ' ', lastName: undefined, email: undefined });
		expect(() => mapContact(empty)).toThrow(ContactDataError);
		expect(() => mapContact(empty)).toThrow('Contact C001: fields firstName, lastName, fullName and email are all empty; nothing to show in Outlook');
		expect(() => mapContact(contact({ id: '' }))).toThrow('A contact without a Contact code cannot be synchronized');
	});

	it('writes an invalid e-mail address not at all, with a warning naming it', () => {
		const mapped = mapContact(contact({ email: 'jane.doe at fabrikam' }));
		expect(mapped.body.emailAddresses).toEqual([]);
		expect(mapped.warnings).toEqual(['Contact C001: field email "jane.doe at fabrikam" is not a valid address; written without it']);
		// and does not fall back to it for the display name
		expect(() => mapContact(contact({ email: 'nope', fullName: undefined, firstName: undefined, lastName: undefined }))).toThrow(ContactDataError);
	});

	it('keeps phone numbers as LN formats them, collapsing spaces, and warns about numbers without digits', () => {
		const mapped = mapContact(contact({ officePhone: '  +1 (425)   555-0100 ext. 12 ', mobilePhone: 'n/a', homePhone: '' }));
		expect(mapped.body.businessPhones).toEqual(['+1 (425) 555-0100 ext. 12']);
		expect(mapped.body.mobilePhone).toBe('n/a');
		expect(mapped.body.homePhones).toEqual([]);
		expect(mapped.warnings).toEqual(['Contact C001: field mobilePhone "n/a" has no digits; written as given']);
	});

	it('cuts over-long phone numbers to 64 and other fields to 255 characters, with a warning', () => {
		const mapped = mapContact(contact({ officePhone: '1'.repeat(70), jobTitle: 'x'.repeat(300) }));
		expect(mapped.body.businessPhones).toEqual(['1'.repeat(64)]);
		expect(mapped.body.jobTitle).toBe('x'.repeat(255));
		expect(mapped.warnings).toEqual([
			'Contact C001: field jobTitle has 300 characters; cut to 255',
			'Contact C001: field officePhone has 70 characters; cut to 64',
		]);
	});

	it('keeps the line ends of notes, and cuts notes longer than Outlook shows with a warning', () => {
		expect(mapContact(contact({ text: 'line 1\r\nline 2\u0000\r\n' })).body.personalNotes).toBe('line 1\nline 2');
		const long = mapContact(contact({ text: 'n'.repeat(NOTES_MAX + 10) }));
		expect(long.body.personalNotes).toHaveLength(NOTES_MAX);
		expect(long.warnings).toEqual([`Contact C001: field text has ${NOTES_MAX + 10} characters; cut to ${NOTES_MAX}`]);
		expect(mapContact(contact({ text: 'n'.repeat(NOTES_MAX) })).warnings).toEqual([]);
	});

	it('uses the business partner code when its name is missing', () => {
		expect(mapContact(contact({ businessPartnerName: undefined })).body.companyName).toBe('BP0001');
	});

	it('hashes the content: stable under irrelevant changes, different under relevant ones', () => {
		const base = mapContact(contact()).hash;
		expect(mapContact(contact({ modifiedAt: '2027-01-01T00:00:00Z', optedOut: true })).hash).toBe(base);
		expect(mapContact(contact({ jobTitle: '  Buyer ', text: 'Met at the fair.\r\n' })).hash).toBe(base);
		expect(mapContact(contact({ jobTitle: 'Head buyer' })).hash).not.toBe(base);
		expect(mapContact(contact({ fax: '+49 30 1234-98' })).hash).not.toBe(base);
		expect(mapContact(contact({ workAddress: { city: 'Hamburg' } })).hash).not.toBe(base);
		expect(mapContact(contact({ email: 'jane@fabrikam.com' })).hash).not.toBe(base);
	});

	it('marks the contact as ours with its key and hash', () => {
		const mapped = mapContact(contact());
		const properties = contactLinkProperties(mapped);
		expect(properties[0]).toEqual({ id: LN_KEY_PROPERTY, value: 'ln:100:contact:C001' });
		expect(properties[1].id).toBe(LN_STATE_PROPERTY);
		expect(decodeState(properties[1].value)).toEqual({ origin: 'ln', hash: mapped.hash, linkedAt: 0 });
	});
});

describe('planning a contact folder', () => {
	const linked = (c: LnContact, id = `x-${c.id}`, hash = mapContact(c).hash): FolderContact => ({ id, key: `ln:${c.company}:contact:${c.id}`, hash });

	it('creates missing contacts, updates changed ones, leaves equal ones', () => {
		const a = contact({ id: 'A' });
		const b = contact({ id: 'B' });
		const c = contact({ id: 'C' });
		const plan = planContacts([a, b, c], [linked(a), linked(b, 'x-B', 'stalehash')], options);
		expect(plan.creates.map((m) => m.contactId)).toEqual(['C']);
		expect(plan.updates.map((m) => [m.id, m.contactId])).toEqual([['x-B', 'B']]);
		expect(plan.updates[0].hash).toBe(mapContact(b).hash);
		expect(plan.unchanged).toEqual([{ id: 'x-A', key: 'ln:100:contact:A' }]);
		expect(plan.removes).toEqual([]);
		expect(plan.brake).toBeUndefined();
	});

	it('removes linked contacts whose LN contact lost Synchronize, went inactive or is gone', () => {
		const keep = contact({ id: 'K' });
		const off = contact({ id: 'OFF', synchronize: false });
		const inactive = contact({ id: 'IN', active: false });
		const gone = contact({ id: 'GONE' });
		const plan = planContacts([keep, off, inactive], [linked(keep), linked(off), linked(inactive), linked(gone)], { brakeShare: 1, brakeMinimum: 5, complete: true });
		expect(plan.creates).toEqual([]);
		expect(plan.removes.map((r) => r.id).sort()).toEqual(['x-GONE', 'x-IN', 'x-OFF']);
		expect(plan.removes[0].reason).toBe('no longer marked Synchronize, inactive or deleted in LN');
	});

	it('never creates contacts that are not to be synchronized', () => {
		const plan = planContacts([contact({ id: 'OFF', synchronize: false }), contact({ id: 'IN', active: false })], [], options);
		expect(plan.creates).toEqual([]);
		expect(plan.digest).toBe(contactSetDigest([]));
	});

	it("never touches contacts we did not create, and counts them", () => {
		const plan = planContacts([], [{ id: 'own-1' }, { id: 'own-2', hash: 'abc' }], options);
		expect(plan.foreign).toBe(2);
		expect(plan.removes).toEqual([]);
	});

	it('removes duplicates of one LN contact, keeping the first', () => {
		const a = contact({ id: 'A' });
		const plan = planContacts([a], [linked(a, 'first'), linked(a, 'second', 'other'), linked(a, 'third')], options);
		expect(plan.unchanged).toEqual([{ id: 'first', key: 'ln:100:contact:A' }]);
		expect(plan.removes).toEqual([
			{ id: 'second', key: 'ln:100:contact:A', reason: 'duplicate of the same LN contact' },
			{ id: 'third', key: 'ln:100:contact:A', reason: 'duplicate of the same LN contact' },
		]);
	});

	it('fails a bad record with a clear reason, leaves its Exchange contact alone, and goes on', () => {
		const bad = contact({ id: 'BAD', fullName: undefined, firstName: undefined, lastName: undefined, email: undefined });
		const good = contact({ id: 'GOOD' });
		const plan = planContacts([bad, good], [linked(contact({ id: 'BAD' }))], options);
		expect(plan.failures).toEqual([
			{ key: 'ln:100:contact:BAD', contactId: 'BAD', reason: 'Contact BAD: fields firstName, lastName, fullName and email are all empty; nothing to show in Outlook' },
		]);
		expect(plan.removes).toEqual([]);
		expect(plan.creates.map((m) => m.contactId)).toEqual(['GOOD']);
	});

	it('writes a contact listed twice once, with a warning, and passes on mapping warnings', () => {
		const plan = planContacts([contact({ id: 'A' }), contact({ id: 'A', jobTitle: 'other' }), contact({ id: 'B', mobilePhone: 'none' })], [], options);
		expect(plan.creates.map((m) => m.contactId)).toEqual(['A', 'B']);
		expect(plan.creates[0].body.jobTitle).toBe('Buyer');
		expect(plan.warnings).toEqual([
			{ contactId: 'A', message: 'Contact A appears twice in the input; written once' },
			{ contactId: 'B', message: 'Contact B: field mobilePhone "none" has no digits; written as given' },
		]);
	});

	it('keys contacts by company: the same code in two companies is two contacts', () => {
		const plan = planContacts([contact({ company: '100' }), contact({ company: '200' })], [], options);
		expect(plan.creates.map((m) => m.key)).toEqual(['ln:100:contact:C001', 'ln:200:contact:C001']);
	});

	describe('mass-removal brake', () => {
		const folder = Array.from({ length: 30 }, (_, i) => linked(contact({ id: `C${i}` })));
		const wantedFirst = (n: number) => Array.from({ length: n }, (_, i) => contact({ id: `C${i}` }));

		it('stops all removals when more than the share of linked contacts would go', () => {
			const plan = planContacts(wantedFirst(23), folder, options);
			expect(plan.brake).toEqual({ removals: 7, linked: 30, share: 0.2 });
			expect(plan.removes).toEqual([]);
			expect(plan.unchanged).toHaveLength(23);
		});

		it('lets removals up to the share through', () => {
			const plan = planContacts(wantedFirst(24), folder, options);
			expect(plan.brake).toBeUndefined();
			expect(plan.removes.map((r) => r.id)).toEqual(['x-C24', 'x-C25', 'x-C26', 'x-C27', 'x-C28', 'x-C29']);
		});

		it('lets fewer removals than the minimum through, whatever their share', () => {
			const small = folder.slice(0, 4);
			const plan = planContacts([], small, options);
			expect(plan.brake).toBeUndefined();
			expect(plan.removes).toHaveLength(4);
			const braked = planContacts([], folder.slice(0, 5), options);
			expect(braked.brake).toEqual({ removals: 5, linked: 5, share: 0.2 });
		});

		it('still removes duplicates when braked', () => {
			const duplicate = { ...folder[0], id: 'dup' };
			const plan = planContacts([contact({ id: 'C0' })], [...folder, duplicate], options);
			expect(plan.brake).toEqual({ removals: 29, linked: 31, share: 0.2 });
			expect(plan.removes).toEqual([{ id: 'dup', key: 'ln:100:contact:C0', reason: 'duplicate of the same LN contact' }]);
		});
	});

	it('digests the wanted set: equal whatever the order, different when content or membership changes', () => {
		const a = contact({ id: 'A' });
		const b = contact({ id: 'B' });
		const digest = planContacts([a, b], [], options).digest;
		expect(digest).toMatch(/^[0-9a-f]{32}$/);
		expect(planContacts([b, a], [linked(a)], options).digest).toBe(digest);
		expect(planContacts([a, contact({ id: 'B', department: 'Sales' })], [], options).digest).not.toBe(digest);
		expect(planContacts([a], [], options).digest).not.toBe(digest);
		expect(contactSetDigest([{ key: 'k1', hash: 'h1' }, { key: 'k2', hash: 'h2' }])).toBe(contactSetDigest([{ key: 'k2', hash: 'h2' }, { key: 'k1', hash: 'h1' }]));
	});
});
