import {
	DEFAULT_ACTIVITY_FIELDS,
	DEFAULT_MAPPING,
	DEFAULT_SERVICES,
	resolveMapping,
	type LnMappingOverrides,
} from '../../lib/ln/contract';

describe('the LN API mapping', () => {
	it('defaults to the names the README documents', () => {
		const mapping = resolveMapping();
		expect(mapping).toEqual(DEFAULT_MAPPING);
		expect(mapping.services.contactService).toBe('tcapi.comContact');
		expect(mapping.services.syncService).toBe('txcom.exchangeSync');
		expect(mapping.services.activityEntitySet).toBe('Activities');
		expect(mapping.activity.reference).toBe('Reference');
		expect(mapping.activity.start).toBe('StartDate');
		expect(mapping.attendee.role).toBe('Attendance');
		expect(mapping.syncUser.employeeEmail).toBe('EmployeeEmail');
		expect(mapping.contact.modifiedAt).toBe('');
		expect(resolveMapping({})).toEqual(DEFAULT_MAPPING);
	});

	it('applies overrides and keeps every other default', () => {
		const mapping = resolveMapping({ services: { syncService: 'txcrm.calendar' }, activity: { subject: 'Title', reference: ' Guid ' } });
		expect(mapping.services.syncService).toBe('txcrm.calendar');
		expect(mapping.services.contactService).toBe('tcapi.comContact');
		expect(mapping.activity.subject).toBe('Title');
		expect(mapping.activity.reference).toBe('Guid');
		expect(mapping.activity.start).toBe('StartDate');
		expect(mapping.attendee).toEqual(DEFAULT_MAPPING.attendee);
	});

	it('never changes the defaults, and gives each caller its own copy', () => {
		const first = resolveMapping({ activity: { subject: 'Title' } });
		first.services.syncService = 'changed';
		const second = resolveMapping();
		expect(second.activity.subject).toBe('Subject');
		expect(second.services.syncService).toBe('txcom.exchangeSync');
		expect(DEFAULT_ACTIVITY_FIELDS.subject).toBe('Subject');
		expect(DEFAULT_SERVICES.syncService).toBe('txcom.exchangeSync');
		expect(DEFAULT_MAPPING.activity.subject).toBe('Subject');
	});

	it('keeps the default for an undefined value', () => {
		expect(resolveMapping({ activity: { subject: undefined } }).activity.subject).toBe('Subject');
		expect(resolveMapping({ activity: undefined }).activity).toEqual(DEFAULT_MAPPING.activity);
	});

	it('turns off optional names with an empty value, and refuses empty required names', () => {
		expect(resolveMapping({ activity: { modifiedAt: '' } }).activity.modifiedAt).toBe('');
		expect(resolveMapping({ contact: { modifiedAt: '  ' } }).contact.modifiedAt).toBe('');
		expect(resolveMapping({ contact: { modifiedAt: 'ChangedOn' } }).contact.modifiedAt).toBe('ChangedOn');
		expect(() => resolveMapping({ activity: { subject: '' } })).toThrow('API mapping "activity.subject" has an invalid name ""');
	});

	it('allows dotted names for services only', () => {
		expect(resolveMapping({ services: { contactService: 'tx.crm.contacts_v2' } }).services.contactService).toBe('tx.crm.contacts_v2');
		expect(() => resolveMapping({ services: { activityEntitySet: 'tx.Activities' } })).toThrow('API mapping "services.activityEntitySet" has an invalid name "tx.Activities"');
		expect(() => resolveMapping({ services: { syncService: 'txcom.' } })).toThrow('API mapping "services.syncService" has an invalid name "txcom."');
		expect(() => resolveMapping({ activity: { subject: 'Sub.ject' } })).toThrow('invalid name "Sub.ject"');
	});

	it.each([['Sub ject'], ['1Subject'], ["Subject eq 'x'"], ['Subject,Text'], ['Sub/ject'], ['Subjekt-Ä']])('refuses the name %p, so it never reaches an OData query', (name) => {
		expect(() => resolveMapping({ activity: { subject: name } })).toThrow(`API mapping "activity.subject" has an invalid name "${name}"`);
	});

	it('refuses unknown groups and names, naming them and the expected ones', () => {
		expect(() => resolveMapping({ activities: { subject: 'Title' } } as unknown as LnMappingOverrides)).toThrow(
			'Unknown API mapping group "activities"; expected one of services, contact, businessPartner, address, activity, attendee, syncUser',
		);
		expect(() => resolveMapping({ activity: { subjct: 'Title' } } as unknown as LnMappingOverrides)).toThrow(/^Unknown API mapping name "activity\.subjct"; expected one of id, type, subject, /);
	});

	it('refuses inherited object names as groups or names (no prototype pollution through the mapping JSON)', () => {
		const toString = Object.prototype.toString;
		try {
			expect(() => resolveMapping(JSON.parse('{"__proto__": {"toString": "Polluted"}}'))).toThrow('Unknown API mapping group "__proto__"');
			expect(Object.prototype.toString).toBe(toString);
			expect(() => resolveMapping(JSON.parse('{"constructor": {"name": "X"}}'))).toThrow('Unknown API mapping group "constructor"');
			expect(() => resolveMapping(JSON.parse('{"hasOwnProperty": {}}'))).toThrow('Unknown API mapping group "hasOwnProperty"');
			expect(() => resolveMapping(JSON.parse('{"activity": {"constructor": "Foo"}}'))).toThrow('Unknown API mapping name "activity.constructor"');
			expect(() => resolveMapping(JSON.parse('{"activity": {"__proto__": "Foo"}}'))).toThrow('Unknown API mapping name "activity.__proto__"');
		} finally {
			Object.prototype.toString = toString;
		}
	});

	it('refuses values that are not text instead of writing them as names like "null" or "true"', () => {
		expect(() => resolveMapping(JSON.parse('{"activity": {"subject": null}}'))).toThrow('API mapping "activity.subject" has an invalid name null: names are text');
		expect(() => resolveMapping(JSON.parse('{"activity": {"subject": true}}'))).toThrow('API mapping "activity.subject" has an invalid name true: names are text');
		expect(() => resolveMapping(JSON.parse('{"activity": {"subject": 7}}'))).toThrow('invalid name 7');
	});
});
