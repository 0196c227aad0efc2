import {
	activityKey,
	contactKey,
	decodeOccurrences,
	decodeState,
	encodeOccurrences,
	encodeState,
	expandOurProperties,
	keyFilter,
	keyPrefix,
	linkedFilter,
	linkKey,
	LN_KEY_PROPERTY,
	LN_STATE_PROPERTY,
	parseKey,
	propertyValue,
	PROPERTY_SET,
	seriesKey,
	signLink,
	verifyLink,
	type LinkState,
	type OccurrenceLink,
} from '../../lib/sync/link';

describe('LN keys on Exchange items', () => {
	it('name the company, the kind and the record', () => {
		expect(activityKey('100', 'ACT000123')).toBe('ln:100:activity:ACT000123');
		expect(contactKey('100', 'C001')).toBe('ln:100:contact:C001');
		expect(seriesKey('100')).toBe('ln:100:series');
		expect(keyPrefix('100', 'activity')).toBe('ln:100:activity:');
		expect(keyPrefix('100', 'contact')).toBe('ln:100:contact:');
		expect(keyPrefix('100', 'series')).toBe('ln:100:series');
	});

	it('parse back to what they were made from, for every LN code shape', () => {
		for (const [company, id] of [['100', 'ACT000123'], ['1', 'a.b-c_d'], ['9999', 'X'.repeat(30)]]) {
			expect(parseKey(activityKey(company, id))).toEqual({ company, kind: 'activity', id });
			expect(parseKey(contactKey(company, id))).toEqual({ company, kind: 'contact', id });
		}
		expect(parseKey(seriesKey('100'))).toEqual({ company: '100', kind: 'series', id: '' });
	});

	it.each([
		[''],
		[null],
		[undefined],
		['ln:100:activity:'],
		['ln:abc:activity:A1'],
		['ln:12345:activity:A1'],
		['ln:100:task:A1'],
		['LN:100:activity:A1'],
		[' ln:100:activity:A1'],
		['ln:100:series:extra'],
		['crm:100:activity:A1'],
		// Not LN codes: these would reach an OData key path (issue: forged links must not address other records).
		['ln:100:activity:A:B'],
		['ln:100:activity:with space'],
		["ln:100:activity:NOPE/../Activities('ACT000001')#"],
		["ln:100:activity:A1'"],
		['ln:100:activity:A1%2F..'],
		[`ln:100:activity:${'X'.repeat(31)}`],
	])('reject garbage: %p', (value) => {
		expect(parseKey(value)).toBeUndefined();
	});
});

describe('link state', () => {
	const hash = '0123456789abcdef0123456789abcdef';

	it('round-trips', () => {
		for (const state of [
			{ origin: 'ln', hash, linkedAt: 1_790_000_000 },
			{ origin: 'exchange', hash: 'deadbeef', linkedAt: 0 },
		] as LinkState[]) {
			expect(decodeState(encodeState(state))).toEqual(state);
		}
		expect(encodeState({ origin: 'ln', hash, linkedAt: 1_790_000_000 })).toBe(`ln|${hash}|1790000000`);
	});

	it('keeps whole seconds', () => {
		expect(encodeState({ origin: 'exchange', hash, linkedAt: 1_790_000_000.987 })).toBe(`exchange|${hash}|1790000000`);
	});

	it.each([
		[''],
		[null],
		[undefined],
		['garbage'],
		[`outlook|${hash}|1`],
		[`ln|${hash.toUpperCase()}|1`],
		['ln|abc1234|1'],
		[`ln|${'a'.repeat(65)}|1`],
		[`ln|${hash}|-1`],
		[`ln|${hash}|1.5`],
		[`ln|${hash}`],
		[`ln|${hash}|1|extra`],
		[` ln|${hash}|1`],
		[`ln|${hash}|`],
	])('rejects garbage: %p', (value) => {
		expect(decodeState(value)).toBeUndefined();
	});
});

describe('signed links', () => {
	const key = linkKey('client-secret-of-the-app');
	const subject = { company: '100', activity: 'ACT000001', mailbox: 'ann@contoso.com', iCalUId: 'uid-1', transactionId: 'lnsync-1' };

	it('verify on the item, mailbox, company and activity they were signed for, by iCalUId or transactionId', () => {
		const byUid = signLink(key, subject, 'iCalUId');
		const byTx = signLink(key, subject, 'transactionId');
		expect(byUid).toMatch(/^u\.[A-Za-z0-9_-]{22}$/);
		expect(byTx).toMatch(/^t\.[A-Za-z0-9_-]{22}$/);
		expect(verifyLink(key, subject, byUid)).toBe('signed');
		expect(verifyLink(key, subject, byTx)).toBe('signed');
		expect(verifyLink(key, { ...subject, mailbox: 'ANN@contoso.com' }, byUid)).toBe('signed');
	});

	it.each([
		['another activity', { activity: 'ACT000002' }],
		['another mailbox', { mailbox: 'bob@contoso.com' }],
		['another company', { company: '200' }],
		['another item', { iCalUId: 'uid-2', transactionId: 'lnsync-2' }],
	])('do not verify when copied to %s', (_, change) => {
		expect(verifyLink(key, { ...subject, ...change }, signLink(key, subject, 'iCalUId'))).toBe('mismatch');
		expect(verifyLink(key, { ...subject, ...change }, signLink(key, subject, 'transactionId'))).toBe('mismatch');
	});

	it('do not verify with another key (another secret), and unsigned links say so', () => {
		expect(verifyLink(linkKey('another secret'), subject, signLink(key, subject))).toBe('mismatch');
		expect(verifyLink(key, subject, undefined)).toBe('unsigned');
		expect(verifyLink(key, { ...subject, iCalUId: undefined }, signLink(key, subject, 'iCalUId'))).toBe('mismatch');
	});

	it('travel in the link state and in occurrence entries; an earlier state without one still reads', () => {
		const signature = signLink(key, subject);
		const state: LinkState = { origin: 'ln', hash: '0123456789abcdef', linkedAt: 1_790_000_000, signature };
		expect(decodeState(encodeState(state))).toEqual(state);
		expect(decodeState('ln|0123456789abcdef|1790000000')).toEqual({ origin: 'ln', hash: '0123456789abcdef', linkedAt: 1_790_000_000 });
		const entry: OccurrenceLink = { iCalUId: 'uid-1', eventId: 'E1', activity: 'A1', hash: 'h1', signature };
		expect(decodeOccurrences(encodeOccurrences([entry]))).toEqual([entry]);
	});
});

describe('occurrence links on a series master', () => {
	const links: OccurrenceLink[] = [
		{ iCalUId: 'uid-1', eventId: 'AAMk1', activity: 'A1', hash: 'h1' },
		{ iCalUId: 'uid-2', activity: 'A2', hash: 'h2' },
	];

	it('round-trip, an absent event id included', () => {
		const text = encodeOccurrences(links);
		expect(text).toBe('[["uid-1","AAMk1","A1","h1"],["uid-2","","A2","h2"]]');
		expect(decodeOccurrences(text)).toEqual(links);
		expect(decodeOccurrences(encodeOccurrences([]))).toEqual([]);
	});

	it('read garbage as no links', () => {
		expect(decodeOccurrences(undefined)).toEqual([]);
		expect(decodeOccurrences('')).toEqual([]);
		expect(decodeOccurrences('not json')).toEqual([]);
		expect(decodeOccurrences('{"a":1}')).toEqual([]);
		expect(decodeOccurrences('"text"')).toEqual([]);
		expect(decodeOccurrences('null')).toEqual([]);
	});

	it('skip malformed rows and keep the good ones', () => {
		const text = JSON.stringify([['uid-1', '', 'A1', 'h1'], ['too', 'short'], 'row', null, ['uid-2', '', 'A2', 'h2', 'extra'], [1, 2, 3, 4], ['uid-3', null, 'A3', 'h3'], ['uid-4', 'E4', 'A4', 'h4']]);
		expect(decodeOccurrences(text)).toEqual([
			{ iCalUId: 'uid-1', eventId: undefined, activity: 'A1', hash: 'h1' },
			{ iCalUId: 'uid-4', eventId: 'E4', activity: 'A4', hash: 'h4' },
		]);
	});
});

describe('extended properties', () => {
	it('are two named properties of our one property set', () => {
		expect(LN_KEY_PROPERTY).toBe(`String ${PROPERTY_SET} Name LnKey`);
		expect(LN_STATE_PROPERTY).toBe(`String ${PROPERTY_SET} Name LnState`);
		expect(PROPERTY_SET).toMatch(/^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
	});

	it('are found whatever the case Graph returns the id in', () => {
		const properties = [
			{ id: LN_KEY_PROPERTY.toLowerCase(), value: 'ln:100:activity:A1' },
			{ id: LN_STATE_PROPERTY, value: 'ln|deadbeef|1' },
		];
		expect(propertyValue(properties, LN_KEY_PROPERTY)).toBe('ln:100:activity:A1');
		expect(propertyValue(properties, LN_STATE_PROPERTY)).toBe('ln|deadbeef|1');
		expect(propertyValue(properties, 'String 0x3A24')).toBeUndefined();
		expect(propertyValue(undefined, LN_KEY_PROPERTY)).toBeUndefined();
		expect(propertyValue(null, LN_KEY_PROPERTY)).toBeUndefined();
	});

	it('are expanded and filtered with Graph query clauses', () => {
		expect(expandOurProperties()).toBe(`singleValueExtendedProperties($filter=id eq '${LN_KEY_PROPERTY}' or id eq '${LN_STATE_PROPERTY}')`);
		expect(expandOurProperties('String 0x3A24')).toBe("singleValueExtendedProperties($filter=id eq 'String 0x3A24')");
		expect(linkedFilter('100', 'contact')).toBe(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY_PROPERTY}' and startswith(ep/value, 'ln:100:contact:'))`);
	});

	it("escape quotes in a key filter, so a record id cannot break out of the string", () => {
		expect(keyFilter("ln:100:activity:O'Brien")).toBe(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY_PROPERTY}' and ep/value eq 'ln:100:activity:O''Brien')`);
	});
});
