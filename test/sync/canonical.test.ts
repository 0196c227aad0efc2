import type { Event } from '@microsoft/microsoft-graph-types';

import {
	canonicalAttendees,
	canonicalFromActivity,
	canonicalFromEvent,
	changedFields,
	eventAttendees,
	eventOrganizer,
	graphEventFields,
	graphShowAsToLn,
	graphTypeToRole,
	hashCanonical,
	invitedAttendees,
	isValidEmail,
	lnActivityFields,
	lnShowAsToGraph,
	normalizeBody,
	normalizeText,
	organizerOf,
	responseToStatus,
	stableStringify,
	SYNC_FIELDS,
	syncHash,
	type CanonicalEvent,
} from '../../lib/sync/canonical';
import type { LnActivity } from '../../lib/sync/model';
import { activity, attendee, employee, eventFor, hashOfEvent } from './builders';

const hashOf = (a: LnActivity, includeAttendees = true) => hashCanonical(canonicalFromActivity(a, includeAttendees));

const timed: LnActivity = activity({ start: '2026-11-25T10:00:00Z', end: '2026-11-25T11:00:00Z' });

describe('canonical content of an LN activity', () => {
	it('holds the synchronized fields, times in UTC to the minute, attendees sorted', () => {
		expect(canonicalFromActivity(activity({ start: '2026-11-25T10:00:42Z', end: '2026-11-25T11:00:00.500Z' }), true)).toEqual({
			subject: 'Quarterly review',
			allDay: false,
			start: '2026-11-25T10:00Z',
			end: '2026-11-25T11:00Z',
			location: 'Room 1',
			body: 'Agenda',
			showAs: 'busy',
			reminder: 15,
			attendees: [
				{ email: 'bob@contoso.com', type: 'required' },
				{ email: 'xena@fabrikam.com', type: 'required' },
			],
		});
	});

	it('leaves the attendee list out when asked to (direct copies)', () => {
		expect(canonicalFromActivity(timed, false)).not.toHaveProperty('attendees');
		expect(hashOf(timed, false)).not.toBe(hashOf(timed, true));
	});

	it('maps roles, and drops the organizer, uninvited attendees and attendees without a valid address', () => {
		const a = activity({
			attendees: [
				employee('E001', 'ann@contoso.com', 'MeetingOrganizer'),
				employee('E002', 'bob@contoso.com', 'Optional'),
				attendee({ role: 'Resource', email: 'room1@contoso.com' }),
				attendee({ role: 'Required', email: 'nobody@contoso.com', invite: false }),
				attendee({ role: 'Required', email: 'not an address' }),
				attendee({ role: 'Required' }),
			],
		});
		expect(canonicalFromActivity(a, true).attendees).toEqual([
			{ email: 'bob@contoso.com', type: 'optional' },
			{ email: 'room1@contoso.com', type: 'resource' },
		]);
		expect(invitedAttendees(a).map((x) => x.sequence)).toEqual([2, 3]);
		expect(organizerOf(a)?.code).toBe('E001');
	});

	it('reminder: minutes when on (15 by default), null when off', () => {
		expect(canonicalFromActivity(activity({ reminder: true, reminderMinutes: 30 }), false).reminder).toBe(30);
		expect(canonicalFromActivity(activity({ reminder: true, reminderMinutes: undefined }), false).reminder).toBe(15);
		expect(canonicalFromActivity(activity({ reminder: true, reminderMinutes: -5 }), false).reminder).toBe(0);
		expect(canonicalFromActivity(activity({ reminder: false, reminderMinutes: 30 }), false).reminder).toBeNull();
	});

	it('refuses an activity with an unreadable start or end, naming the field', () => {
		expect(() => canonicalFromActivity(activity({ start: 'soon' }), false)).toThrow('invalid start "soon"');
		expect(() => canonicalFromActivity(activity({ end: '' }), false)).toThrow('missing end');
	});
});

describe('all-day items are floating dates, end exclusive', () => {
	it('takes the UTC dates of an LN all-day activity', () => {
		const c = canonicalFromActivity(activity({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' }), false);
		expect([c.allDay, c.start, c.end]).toEqual([true, '2026-12-01', '2026-12-02']);
	});

	it('counts the day of a non-midnight end, and gives a zero-length all-day activity one day', () => {
		const late = canonicalFromActivity(activity({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-03T23:59:00Z' }), false);
		expect([late.start, late.end]).toEqual(['2026-12-01', '2026-12-04']);
		const zero = canonicalFromActivity(activity({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-01T00:00:00Z' }), false);
		expect([zero.start, zero.end]).toEqual(['2026-12-01', '2026-12-02']);
	});

	it('takes the dates of a Graph all-day event whatever zone Graph answers in', () => {
		for (const timeZone of ['UTC', 'Pacific Standard Time', 'Tokyo Standard Time']) {
			const event: Event = {
				subject: 'Offsite',
				isAllDay: true,
				start: { dateTime: '2026-12-01T00:00:00.0000000', timeZone },
				end: { dateTime: '2026-12-03T00:00:00.0000000', timeZone },
			};
			const c = canonicalFromEvent(event, false);
			expect([c.allDay, c.start, c.end]).toEqual([true, '2026-12-01', '2026-12-03']);
		}
	});

	it('gives an LN all-day activity and its Exchange event the same hash', () => {
		const a = activity({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' });
		const fields = graphEventFields(canonicalFromActivity(a, true), 'Europe/Berlin');
		expect(fields.start).toEqual({ dateTime: '2026-12-01T00:00:00', timeZone: 'W. Europe Standard Time' });
		expect(fields.end).toEqual({ dateTime: '2026-12-02T00:00:00', timeZone: 'W. Europe Standard Time' });
		const event: Event = { ...fields, start: { dateTime: '2026-12-01T00:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-12-02T00:00:00.0000000', timeZone: 'UTC' } };
		expect(hashOfEvent(event)).toBe(hashOf(a));
	});
});

describe('content hashes', () => {
	const base = hashOf(timed);

	it('are 32 hex characters and deterministic', () => {
		expect(base).toMatch(/^[0-9a-f]{32}$/);
		expect(hashOf(activity({ start: '2026-11-25T10:00:00Z', end: '2026-11-25T11:00:00Z' }))).toBe(base);
	});

	it.each<[string, Partial<LnActivity>]>([
		['modification date, ETag, read time', { modifiedAt: '2026-11-30T00:00:00Z', etag: 'W/"2"', readAt: '2026-11-30T00:00:01Z' }],
		['seconds of start and end', { start: '2026-11-25T10:00:30Z', end: '2026-11-25T11:00:59Z' }],
		['the same instants written with an offset', { start: '2026-11-25T11:00:00+01:00', end: '2026-11-25T12:00:00+01:00' }],
		['spaces in subject and location', { subject: '  Quarterly   review ', location: 'Room\t1 ' }],
		['line ends and trailing spaces of the text', { text: 'Agenda  \r\n' }],
		['status, synchronize flag, sensitivity, reference', { status: 'Completed', synchronize: false, sensitivity: 'Private', reference: 'uid-1' }],
		['the LN key', { id: 'A2', company: '200' }],
	])('stay the same under irrelevant changes: %s', (_label, change) => {
		expect(hashOf({ ...timed, ...change })).toBe(base);
	});

	it('stay the same whatever the order, case and repetition of attendees, and their flags and responses', () => {
		const [organizer, bob, xena] = timed.attendees;
		const shuffled: LnActivity = {
			...timed,
			attendees: [
				{ ...xena, email: 'Xena@Fabrikam.COM', status: 'Accepted', synchronized: true, sentToSynchronizer: true },
				{ ...bob, sequence: 9, etag: 'x' },
				{ ...bob, role: 'Optional' },
				organizer,
			],
		};
		expect(hashOf(shuffled)).toBe(base);
	});

	it.each<[string, Partial<LnActivity>]>([
		['subject', { subject: 'Quarterly review (moved)' }],
		['start by a minute', { start: '2026-11-25T10:01:00Z' }],
		['end by a minute', { end: '2026-11-25T11:01:00Z' }],
		['location', { location: 'Room 2' }],
		['body text', { text: 'Agenda v2' }],
		['show as', { showTimeAs: 'Free' }],
		['reminder off', { reminder: false }],
		['reminder minutes', { reminderMinutes: 10 }],
		['all day', { allDay: true }],
	])('change with a relevant change: %s', (_label, change) => {
		expect(hashOf({ ...timed, ...change })).not.toBe(base);
	});

	it('change when an attendee is added, removed, uninvited or changes role', () => {
		const [organizer, bob, xena] = timed.attendees;
		expect(hashOf({ ...timed, attendees: [organizer, bob, xena, attendee({ role: 'Required', email: 'zoe@fabrikam.com' })] })).not.toBe(base);
		expect(hashOf({ ...timed, attendees: [organizer, bob] })).not.toBe(base);
		expect(hashOf({ ...timed, attendees: [organizer, bob, { ...xena, invite: false }] })).not.toBe(base);
		expect(hashOf({ ...timed, attendees: [organizer, bob, { ...xena, role: 'Optional' }] })).not.toBe(base);
	});
});

describe('canonical content of a Graph event', () => {
	it('equals that of the LN activity it was written from (same hash both ways)', () => {
		const { event } = eventFor(timed);
		expect(canonicalFromEvent(event, true)).toEqual(canonicalFromActivity(timed, true));
		expect(hashOfEvent(event)).toBe(hashOf(timed));
	});

	it('reads the same instant in any zone the same way', () => {
		const { event } = eventFor(timed);
		const berlin: Event = {
			...event,
			start: { dateTime: '2026-11-25T11:00:00.0000000', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-11-25T06:00:00.0000000', timeZone: 'America/New_York' },
		};
		expect(hashOfEvent(berlin)).toBe(hashOf(timed));
	});

	it('ignores what Exchange changes on its own: last modified, change key, responses, attendee order and case, the organizer as attendee', () => {
		const { event } = eventFor(timed);
		const touched: Event = {
			...event,
			lastModifiedDateTime: '2026-12-01T00:00:00Z',
			changeKey: 'DwAAABYAAA',
			attendees: [
				{ emailAddress: { address: 'ann@contoso.com' }, type: 'required', status: { response: 'organizer' } },
				{ emailAddress: { address: 'XENA@fabrikam.com' }, type: 'required', status: { response: 'accepted' } },
				{ emailAddress: { address: 'bob@contoso.com' }, type: 'required', status: { response: 'declined' } },
				{ emailAddress: { name: 'no address' }, type: 'required' },
			],
		};
		expect(hashOfEvent(touched)).toBe(hashOf(timed));
	});

	it('reads an HTML body as its text', () => {
		const { event } = eventFor(timed);
		const html: Event = {
			...event,
			body: { contentType: 'html', content: '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n<div>Agenda</div>\r\n</body>\r\n</html>\r\n' },
		};
		expect(canonicalFromEvent(html, false).body).toBe('Agenda');
		expect(hashOfEvent(html)).toBe(hashOf(timed));
	});

	it('reads show-as unknown or missing as busy, and the reminder like LN', () => {
		const { event } = eventFor(timed);
		expect(canonicalFromEvent({ ...event, showAs: 'unknown' }, false).showAs).toBe('busy');
		expect(canonicalFromEvent({ ...event, showAs: undefined }, false).showAs).toBe('busy');
		expect(canonicalFromEvent({ ...event, showAs: 'oof' }, false).showAs).toBe('oof');
		expect(canonicalFromEvent({ ...event, isReminderOn: false, reminderMinutesBeforeStart: 15 }, false).reminder).toBeNull();
		expect(canonicalFromEvent({ ...event, isReminderOn: true, reminderMinutesBeforeStart: undefined }, false).reminder).toBe(15);
	});

	it('changes its hash when a relevant field changes in Exchange', () => {
		const { event } = eventFor(timed);
		const base = hashOfEvent(event);
		expect(hashOfEvent({ ...event, subject: 'Other' })).not.toBe(base);
		expect(hashOfEvent({ ...event, start: { dateTime: '2026-11-25T09:30:00.0000000', timeZone: 'UTC' } })).not.toBe(base);
		expect(hashOfEvent({ ...event, location: { displayName: 'Room 9' } })).not.toBe(base);
		expect(hashOfEvent({ ...event, attendees: [{ emailAddress: { address: 'bob@contoso.com' }, type: 'optional' }, { emailAddress: { address: 'xena@fabrikam.com' }, type: 'required' }] })).not.toBe(base);
	});

	it('names the organizer in lower case and leaves the organizer out of the attendees', () => {
		const event: Event = {
			organizer: { emailAddress: { address: 'Ann@Contoso.com' } },
			attendees: [
				{ emailAddress: { address: 'ann@contoso.com' }, type: 'required' },
				{ emailAddress: { address: 'Room1@contoso.com' }, type: 'resource' },
				{ emailAddress: { address: 'bob@contoso.com' } },
			],
		};
		expect(eventOrganizer(event)).toBe('ann@contoso.com');
		expect(eventOrganizer({})).toBeUndefined();
		expect(eventAttendees(event)).toEqual([
			{ email: 'bob@contoso.com', type: 'required' },
			{ email: 'room1@contoso.com', type: 'resource' },
		]);
	});
});

describe('attendee lists', () => {
	it('keep one entry per address, the strongest role winning, sorted by address', () => {
		expect(
			canonicalAttendees([
				{ email: 'zed@x.com', type: 'resource' },
				{ email: 'Amy@x.com', type: 'optional' },
				{ email: 'amy@x.com ', type: 'required' },
				{ email: 'ZED@x.com', type: 'optional' },
				{ email: 'amy@x.com', type: 'resource' },
			]),
		).toEqual([
			{ email: 'amy@x.com', type: 'required' },
			{ email: 'zed@x.com', type: 'optional' },
		]);
	});
});

describe('text normalisation', () => {
	it('reduces HTML to text: tags, line breaks, entities, scripts and styles', () => {
		expect(normalizeBody('<p>Hello&nbsp;<b>world</b></p><p>a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#39;s&#39;</p>', 'html')).toBe('Hello world\na < b && c > d "q" \'s\'');
		expect(normalizeBody('<div>one<br>two<br/>three</div><style>p { color: red }</style><script>alert(1)</script>', 'HTML')).toBe('one\ntwo\nthree');
	});

	it('treats text that looks like HTML as HTML even when called text', () => {
		expect(normalizeBody('<div>Agenda</div>', 'text')).toBe('Agenda');
		expect(normalizeBody('a < b and c > d', 'text')).toBe('a < b and c > d');
	});

	it('unifies line ends, drops NULs and trailing spaces, collapses blank runs, trims', () => {
		expect(normalizeBody('\r\n  line one  \r\nline\u0000 two\t\u00a0\r\r\r\n\n\nline three\n\n')).toBe('line one\nline two\n\nline three');
		expect(normalizeBody(undefined)).toBe('');
		expect(normalizeBody(null, 'html')).toBe('');
	});

	it('keeps leading indentation inside the text', () => {
		expect(normalizeBody('list:\n  - a\n  - b')).toBe('list:\n  - a\n  - b');
	});

	it('collapses all whitespace in single-line text', () => {
		expect(normalizeText('  a \t b\r\n c\u0000 ')).toBe('a b c');
		expect(normalizeText(null)).toBe('');
	});
});

describe('e-mail addresses', () => {
	it.each(['ann@contoso.com', 'first.last+tag@sub.example.co.uk', ' ann@contoso.com '])('accepts %p', (value) => {
		expect(isValidEmail(value)).toBe(true);
	});

	it.each([['ann'], ['ann@'], ['@contoso.com'], ['ann@contoso'], ['ann smith@contoso.com'], ['a@b@c.com'], ['<ann@contoso.com>'], ['ann@contoso.com;bob@contoso.com'], [''], [null], [undefined], [`${'a'.repeat(250)}@x.com`]])('refuses %p', (value) => {
		expect(isValidEmail(value)).toBe(false);
	});
});

describe('value maps', () => {
	it('maps show-as both ways, unknown values to busy', () => {
		expect(['Free', 'Tentative', 'Busy', 'OutOfOffice', 'WorkingElsewhere', 'Whatever', undefined].map(lnShowAsToGraph)).toEqual([
			'free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'busy', 'busy',
		]);
		expect(['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown', 'bogus', null].map(graphShowAsToLn)).toEqual([
			'Free', 'Tentative', 'Busy', 'OutOfOffice', 'WorkingElsewhere', 'Busy', 'Busy', 'Busy',
		]);
	});

	it('maps attendee types to roles and responses to attendance statuses', () => {
		expect(['required', 'optional', 'resource', 'other', null].map(graphTypeToRole)).toEqual(['Required', 'Optional', 'Resource', 'Required', 'Required']);
		expect(['accepted', 'tentativelyAccepted', 'declined', 'none', 'notResponded', 'organizer', 'weird', undefined].map(responseToStatus)).toEqual([
			'Accepted', 'Tentative', 'Declined', 'None', 'None', 'Accepted', 'None', 'None',
		]);
	});
});

describe('stable JSON', () => {
	it('sorts keys at every depth and drops undefined values', () => {
		expect(stableStringify({ b: 1, a: { d: [2, { z: 1, y: null }], c: undefined } })).toBe('{"a":{"d":[2,{"y":null,"z":1}]},"b":1}');
		expect(stableStringify({ a: 1, b: 2 })).toBe(stableStringify({ b: 2, a: 1 }));
		expect(hashCanonical({ a: 1, b: 2 })).toBe(hashCanonical({ b: 2, a: 1 }));
		expect(hashCanonical({ a: 1, b: 2 })).not.toBe(hashCanonical({ a: 1, b: 3 }));
	});
});

describe('writing canonical content', () => {
	const canonical: CanonicalEvent = canonicalFromActivity(timed, true);

	it('gives Graph wall-clock times in the zone, with its Windows name', () => {
		const fields = graphEventFields(canonical, 'Europe/Berlin');
		expect(fields).toEqual({
			subject: 'Quarterly review',
			isAllDay: false,
			start: { dateTime: '2026-11-25T11:00:00', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-11-25T12:00:00', timeZone: 'W. Europe Standard Time' },
			location: { displayName: 'Room 1' },
			body: { contentType: 'text', content: 'Agenda' },
			showAs: 'busy',
			isReminderOn: true,
			reminderMinutesBeforeStart: 15,
			attendees: [
				{ emailAddress: { address: 'bob@contoso.com' }, type: 'required' },
				{ emailAddress: { address: 'xena@fabrikam.com' }, type: 'required' },
			],
		});
	});

	it('writes only the fields asked for; a time field brings start, end and all-day', () => {
		expect(graphEventFields(canonical, 'UTC', ['subject'])).toEqual({ subject: 'Quarterly review' });
		expect(Object.keys(graphEventFields(canonical, 'UTC', ['end'])).sort()).toEqual(['end', 'isAllDay', 'start']);
		expect(graphEventFields({ ...canonical, reminder: null }, 'UTC', ['reminder'])).toEqual({ isReminderOn: false });
	});

	it('round-trips through Graph in a summer and a winter zone', () => {
		const summer = canonicalFromActivity(activity({ start: '2026-07-01T08:00:00Z', end: '2026-07-01T09:30:00Z' }), true);
		for (const zone of ['Europe/Berlin', 'Pacific Standard Time', 'Australia/Sydney']) {
			for (const c of [canonical, summer]) {
				const fields = graphEventFields(c, zone);
				expect(canonicalFromEvent(fields as Event, true)).toEqual(c);
			}
		}
	});

	it('gives LN field values that read back to the same content (timed and all-day)', () => {
		const allDay = canonicalFromActivity(activity({ allDay: true, start: '2026-12-01T00:00:00Z', end: '2026-12-03T00:00:00Z' }), false);
		for (const c of [canonicalFromActivity(timed, false), allDay]) {
			const back = canonicalFromActivity({ ...timed, ...(lnActivityFields(c) as Partial<LnActivity>) }, false);
			expect(back).toEqual(c);
		}
		expect(lnActivityFields(canonical)).toEqual({
			subject: 'Quarterly review',
			allDay: false,
			start: '2026-11-25T10:00:00Z',
			end: '2026-11-25T11:00:00Z',
			location: 'Room 1',
			text: 'Agenda',
			showTimeAs: 'Busy',
			reminder: true,
			reminderMinutes: 15,
		});
		expect(lnActivityFields({ ...canonical, reminder: null, showAs: 'oof' }, ['reminder', 'showAs'])).toEqual({ reminder: false, reminderMinutes: 0, showTimeAs: 'OutOfOffice' });
	});

	it('lists exactly the fields that differ', () => {
		expect(changedFields(canonical, canonical)).toEqual([]);
		expect(changedFields(canonical, { ...canonical, subject: 'x', reminder: null })).toEqual(['subject', 'reminder']);
		expect(changedFields(canonical, { ...canonical, attendees: [...canonical.attendees!].reverse() })).toEqual(['attendees']);
		expect(changedFields(canonical, { ...canonical, start: '2026-11-25T10:01Z', end: '2026-11-25T11:01Z' })).toEqual(['start', 'end']);
	});
});

describe('syncHash', () => {
	// Every link in Exchange and LN stores these hashes: the algorithm must never change.
	const meeting: CanonicalEvent = {
		subject: 'Q3 review — Zürich',
		allDay: false,
		start: '2027-03-01T09:00:00Z',
		end: '2027-03-01T10:00:00Z',
		location: 'Room 1',
		body: 'Agenda\n1. "numbers"',
		showAs: 'busy',
		reminder: 15,
		attendees: [
			{ email: 'a@contoso.com', type: 'required' },
			{ email: 'b@fabrikam.com', type: 'optional' },
		],
	};
	const copy: CanonicalEvent = { subject: '', allDay: true, start: '2027-03-01', end: '2027-03-02', location: '', body: '', showAs: 'free', reminder: null };

	it('is the hash of the whole content and a 4-digit digest per field, as links have always stored them', () => {
		expect(syncHash(meeting)).toBe('3b808e0f46d0d3cce05e62ef5e521398.1deffcbc5ff38f076599e237d0ebe6297933');
		expect(syncHash(copy)).toBe('75414f7f2734080b110098f09154992a.12aeb5bee9fc7bc712ae12ae3e0774237423');
		for (const canonical of [meeting, copy, { ...meeting, subject: 'Other' }, { ...copy, reminder: 0 }]) {
			const [whole, digests] = syncHash(canonical).split('.');
			expect(whole).toBe(hashCanonical(canonical));
			expect(digests).toHaveLength(SYNC_FIELDS.length * 4);
			// The same answer again, whatever it remembered from before.
			expect(syncHash({ ...canonical })).toBe(`${whole}.${digests}`);
		}
	});
});
