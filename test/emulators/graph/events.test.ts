import type { Event } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, CAROL, EXTERNAL, LN_KEY, RawGraph, control, hour, startEmulator } from './test-helpers';
import { WINDOWS_ZONES, resolveZone } from './timezones';

let emulator: GraphEmulator;
let graph: RawGraph;
const IMMUTABLE = { Prefer: 'IdType="ImmutableId"' };

type Ev = Event & { '@odata.etag': string; error?: { code: string; message: string } };

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

function meeting(extra: Partial<Event> = {}): Event {
	return {
		subject: 'Project review',
		start: hour('2026-03-02', '09:00'),
		end: hour('2026-03-02', '10:00'),
		attendees: [
			{ type: 'required', emailAddress: { address: BOB, name: 'Bob' } },
			{ type: 'optional', emailAddress: { address: CAROL, name: 'Carol' } },
			{ type: 'required', emailAddress: { address: EXTERNAL, name: 'Partner' } },
		],
		...extra,
	};
}

describe('create and read', () => {
	it('creates an event (201) with Exchange-style ids, iCalUId, changeKey and etag', async () => {
		const res = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'Solo', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '09:30') });
		expect(res.status).toBe(201);
		const ev = res.body;
		expect(ev.id).toMatch(/^AAMkA/);
		expect(ev.iCalUId).toMatch(/^040000008200E00074C5B7101A82E00800000000[0-9A-F]{72}$/);
		expect(ev['@odata.etag']).toBe(`W/"${ev.changeKey}"`);
		expect(ev.type).toBe('singleInstance');
		expect(ev.isOrganizer).toBe(true);
		expect(ev.responseStatus?.response).toBe('organizer');
		expect(ev.start).toEqual({ dateTime: '2026-03-01T09:00:00.0000000', timeZone: 'UTC' });
		expect(ev.createdDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
		expect(ev.lastModifiedDateTime).toBeTruthy();
		const get = await graph.get<Ev>(`/users/${ALICE}/events/${ev.id}`);
		expect(get.status).toBe(200);
		expect(get.body.subject).toBe('Solo');
	});

	it('gives immutable ids with Prefer IdType="ImmutableId" only on that request, and accepts both forms', async () => {
		const created = await graph.post<Ev>(`/users/${ALICE}/calendar/events`, { subject: 'Ids', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') }, IMMUTABLE);
		const immutableId = created.body.id!;
		expect(immutableId).toMatch(/^AAkALg/);
		expect(created.headers.get('preference-applied')).toBe('IdType="ImmutableId"');
		const regular = await graph.get<Ev>(`/users/${ALICE}/events/${immutableId}`);
		expect(regular.body.id).not.toBe(immutableId);
		expect(regular.body.id).toMatch(/^AAMkA/);
		const again = await graph.get<Ev>(`/users/${ALICE}/events/${regular.body.id}`, IMMUTABLE);
		expect(again.body.id).toBe(immutableId);
		// Ids are case-sensitive and belong to their mailbox.
		expect((await graph.get(`/users/${ALICE}/events/${immutableId.toLowerCase()}`)).status).toBeGreaterThanOrEqual(400);
		expect((await graph.get<Ev>(`/users/${BOB}/events/${immutableId}`)).status).toBe(404);
	});

	it('answers 400 for unknown properties and 404 ErrorItemNotFound for removed ids', async () => {
		const bad = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'x', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00'), businessFax: '1' });
		expect(bad.status).toBe(400);
		expect(bad.body.error?.code).toBe('RequestBodyRead');
		const created = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'gone', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') });
		expect((await graph.delete(`/users/${ALICE}/events/${created.body.id}`)).status).toBe(204);
		for (const res of [
			await graph.get<Ev>(`/users/${ALICE}/events/${created.body.id}`),
			await graph.patch<Ev>(`/users/${ALICE}/events/${created.body.id}`, { subject: 'y' }),
			await graph.call<Ev>('DELETE', `/users/${ALICE}/events/${created.body.id}`),
		]) {
			expect(res.status).toBe(404);
			expect(res.body.error?.code).toBe('ErrorItemNotFound');
		}
	});

	it('stores and returns sensitivity, showAs, reminder, location, categories, isCancelled', async () => {
		const created = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Private dentist',
			start: hour('2026-03-03', '14:00'),
			end: hour('2026-03-03', '15:00'),
			sensitivity: 'private',
			showAs: 'oof',
			isReminderOn: false,
			reminderMinutesBeforeStart: 30,
			location: { displayName: 'Main Street 1' },
			categories: ['LN', 'Blue category'],
		});
		const ev = (await graph.get<Ev>(`/users/${ALICE}/events/${created.body.id}`)).body;
		expect(ev).toMatchObject({
			sensitivity: 'private',
			showAs: 'oof',
			isReminderOn: false,
			reminderMinutesBeforeStart: 30,
			categories: ['LN', 'Blue category'],
			isCancelled: false,
		});
		expect(ev.location?.displayName).toBe('Main Street 1');
		const invalid = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'x', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00'), sensitivity: 'secret' });
		expect(invalid.status).toBe(400);
	});

	it('returns HTML bodies, or text with Prefer outlook.body-content-type="text"', async () => {
		const created = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Body',
			start: hour('2026-03-01', '09:00'),
			end: hour('2026-03-01', '10:00'),
			body: { contentType: 'html', content: '<html><body><p>Hello <b>LN</b></p><p>Line 2 &amp; more</p></body></html>' },
		});
		expect(created.body.body).toMatchObject({ contentType: 'html' });
		expect(created.body.bodyPreview).toBe('Hello LN Line 2 & more');
		const text = await graph.get<Ev>(`/users/${ALICE}/events/${created.body.id}`, { Prefer: 'outlook.body-content-type="text"' });
		expect(text.body.body).toEqual({ contentType: 'text', content: 'Hello LN\nLine 2 & more' });
		expect(text.headers.get('preference-applied')).toBe('outlook.body-content-type="text"');
		const plain = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'T', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00'), body: { contentType: 'text', content: 'a < b' } });
		expect(plain.body.body?.contentType).toBe('html');
		expect(plain.body.body?.content).toContain('a &lt; b');
		const back = await graph.get<Ev>(`/users/${ALICE}/events/${plain.body.id}`, { Prefer: 'outlook.body-content-type="text"' });
		expect(back.body.body?.content).toBe('a < b');
	});

	it('rejects more than 500 attendees', async () => {
		const attendees = Array.from({ length: 501 }, (_, i) => ({ emailAddress: { address: `p${i}@fabrikam.com` } }));
		const res = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'Big', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00'), attendees });
		expect(res.status).toBe(400);
		const ok = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'Big', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00'), attendees: attendees.slice(0, 500) });
		expect(ok.status).toBe(201);
	});
});

describe('transactionId', () => {
	const body = (): Event => ({ subject: 'Idempotent', transactionId: 'lncrm:42:1', start: hour('2026-03-05', '09:00'), end: hour('2026-03-05', '10:00') });

	it('returns the same event for a replayed create and rejects reuse with a different body', async () => {
		const first = await graph.post<Ev>(`/users/${ALICE}/events`, body());
		const replay = await graph.post<Ev>(`/users/${ALICE}/events`, { ...body() });
		expect(first.status).toBe(201);
		expect(replay.status).toBe(201);
		expect(replay.body.id).toBe(first.body.id);
		expect(replay.body.transactionId).toBe('lncrm:42:1');
		expect(emulator.events(ALICE)).toHaveLength(1);
		const other = await graph.post<Ev>(`/users/${ALICE}/events`, { ...body(), subject: 'Something else' });
		expect(other.status).toBe(400);
		expect(other.body.error?.code).toBe('ErrorDuplicateTransactionId');
		expect(emulator.events(ALICE)).toHaveLength(1);
	});

	it('allows a new create once the event made with the transactionId is deleted', async () => {
		const first = await graph.post<Ev>(`/users/${ALICE}/events`, body());
		await graph.delete(`/users/${ALICE}/events/${first.body.id}`);
		const again = await graph.post<Ev>(`/users/${ALICE}/events`, { ...body(), subject: 'Recreated' });
		expect(again.status).toBe(201);
		expect(again.body.id).not.toBe(first.body.id);
	});
});

describe('PATCH', () => {
	it('updates fields, bumps changeKey/etag and lastModifiedDateTime', async () => {
		const created = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'v1', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') });
		emulator.clockOffsetMs = 60000;
		const patched = await graph.patch<Ev>(`/users/${ALICE}/events/${created.body.id}`, { subject: 'v2', showAs: 'free' });
		emulator.clockOffsetMs = 0;
		expect(patched.status).toBe(200);
		expect(patched.body.subject).toBe('v2');
		expect(patched.body.showAs).toBe('free');
		expect(patched.body.changeKey).not.toBe(created.body.changeKey);
		expect(patched.body['@odata.etag']).not.toBe(created.body['@odata.etag']);
		expect(Date.parse(patched.body.lastModifiedDateTime!)).toBeGreaterThan(Date.parse(created.body.lastModifiedDateTime!));
		expect(patched.body.start).toEqual(created.body.start);
	});

	it('rejects read-only properties', async () => {
		const created = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'v1', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') });
		for (const change of [{ id: 'x' }, { iCalUId: 'x' }, { isOrganizer: false }, { transactionId: 'x' }]) {
			expect((await graph.patch(`/users/${ALICE}/events/${created.body.id}`, change)).status).toBe(400);
		}
		const unchanged = await graph.get<Ev>(`/users/${ALICE}/events/${created.body.id}`);
		expect(unchanged.body.changeKey).toBe(created.body.changeKey);
	});
});

describe('time zones', () => {
	it('knows every Windows zone of the contract and resolves them in luxon', () => {
		const required = [
			'UTC', 'W. Europe Standard Time', 'GMT Standard Time', 'Romance Standard Time', 'Central Europe Standard Time',
			'Eastern Standard Time', 'Central Standard Time', 'Mountain Standard Time', 'Pacific Standard Time', 'India Standard Time',
			'China Standard Time', 'Tokyo Standard Time', 'AUS Eastern Standard Time', 'Arab Standard Time', 'Israel Standard Time',
			'Russian Standard Time', 'South Africa Standard Time', 'E. South America Standard Time', 'New Zealand Standard Time',
			'Singapore Standard Time',
		];
		for (const zone of required) expect(resolveZone(zone)).toBeTruthy();
		for (const iana of Object.values(WINDOWS_ZONES)) expect(resolveZone(iana)).toBe(iana);
	});

	it('stores instants from Windows and IANA zones and answers in UTC or the preferred zone', async () => {
		const win = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Berlin',
			start: { dateTime: '2026-07-01T09:00:00', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-07-01T10:00:00', timeZone: 'W. Europe Standard Time' },
		});
		expect(win.status).toBe(201);
		expect(win.body.start).toEqual({ dateTime: '2026-07-01T07:00:00.0000000', timeZone: 'UTC' });
		expect(win.body.originalStartTimeZone).toBe('W. Europe Standard Time');
		const iana = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Tokyo',
			start: { dateTime: '2026-01-15T09:00:00', timeZone: 'Asia/Tokyo' },
			end: { dateTime: '2026-01-15T09:30:00', timeZone: 'Tokyo Standard Time' },
		});
		expect(iana.body.start?.dateTime).toBe('2026-01-15T00:00:00.0000000');
		expect(iana.body.originalEndTimeZone).toBe('Tokyo Standard Time');
		const pacific = await graph.get<Ev>(`/users/${ALICE}/events/${win.body.id}`, { Prefer: 'outlook.timezone="Pacific Standard Time"' });
		expect(pacific.body.start).toEqual({ dateTime: '2026-07-01T00:00:00.0000000', timeZone: 'Pacific Standard Time' });
		const kolkata = await graph.get<Ev>(`/users/${ALICE}/events/${win.body.id}`, { Prefer: 'outlook.timezone="Asia/Kolkata"' });
		expect(kolkata.body.start?.dateTime).toBe('2026-07-01T12:30:00.0000000');
	});

	it('rejects unknown zones and an end before the start', async () => {
		const zone = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'x', start: { dateTime: '2026-03-01T09:00:00', timeZone: 'Mars Standard Time' }, end: hour('2026-03-01', '10:00') });
		expect(zone.status).toBe(400);
		expect(zone.body.error?.code).toBe('TimeZoneNotSupportedException');
		const order = await graph.post<Ev>(`/users/${ALICE}/events`, { subject: 'x', start: hour('2026-03-01', '10:00'), end: hour('2026-03-01', '09:00') });
		expect(order.status).toBe(400);
	});

	it('requires all-day events to run from midnight to midnight in their zone', async () => {
		const ok = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Holiday',
			isAllDay: true,
			start: { dateTime: '2026-05-01T00:00:00', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-05-02T00:00:00', timeZone: 'W. Europe Standard Time' },
		});
		expect(ok.status).toBe(201);
		expect(ok.body.isAllDay).toBe(true);
		expect(ok.body.start?.dateTime).toBe('2026-05-01T00:00:00.0000000');
		const notMidnight = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Holiday', isAllDay: true, start: hour('2026-05-01', '09:00'), end: hour('2026-05-02', '09:00'),
		});
		expect(notMidnight.status).toBe(400);
		const zeroDays = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Holiday', isAllDay: true, start: hour('2026-05-01', '00:00'), end: hour('2026-05-01', '00:00'),
		});
		expect(zeroDays.status).toBe(400);
	});
});

describe('meetings', () => {
	it('creates attendee copies with the same iCalUId for tenant attendees only', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting({ singleValueExtendedProperties: [{ id: LN_KEY, value: 'A-1' }] }));
		expect(org.status).toBe(201);
		expect(org.body.isOrganizer).toBe(true);
		expect(org.body.responseStatus?.response).toBe('organizer');
		expect(org.body.attendees?.map((a) => a.status?.response)).toEqual(['none', 'none', 'none']);
		for (const mail of [BOB, CAROL]) {
			const copies = emulator.events(mail);
			expect(copies).toHaveLength(1);
			const copy = copies[0];
			expect(copy.iCalUId).toBe(org.body.iCalUId);
			expect(copy.isOrganizer).toBe(false);
			expect(copy.organizer?.emailAddress?.address).toBe(ALICE);
			expect(copy.responseStatus?.response).toBe('notResponded');
			expect(copy.singleValueExtendedProperties).toBeUndefined();
			expect(copy.subject).toBe('Project review');
		}
		expect(emulator.events(BOB)[0].id).not.toBe(emulator.events(CAROL)[0].id);
		// $filter on iCalUId finds the copy in the attendee's mailbox.
		const found = await graph.get<{ value: Ev[] }>(`/users/${BOB}/events?$filter=${encodeURIComponent(`iCalUId eq '${org.body.iCalUId}'`)}`);
		expect(found.body.value).toHaveLength(1);
		expect(found.body.value[0].isOrganizer).toBe(false);
	});

	it('applies accept and decline to the copy and the organizer (and bumps its changeKey)', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const bobCopy = emulator.events(BOB)[0];
		const accept = await graph.post(`/users/${BOB}/events/${bobCopy.id}/accept`, { comment: 'See you', sendResponse: true });
		expect(accept.status).toBe(202);
		expect(emulator.events(BOB)[0].responseStatus?.response).toBe('accepted');
		const afterAccept = await graph.get<Ev>(`/users/${ALICE}/events/${org.body.id}`);
		expect(afterAccept.body.attendees?.find((a) => a.emailAddress?.address === BOB)?.status?.response).toBe('accepted');
		expect(afterAccept.body.changeKey).not.toBe(org.body.changeKey);

		const carolCopy = emulator.events(CAROL)[0];
		expect((await graph.post(`/users/${CAROL}/events/${carolCopy.id}/tentativelyAccept`, {})).status).toBe(202);
		expect(emulator.events(CAROL)[0].responseStatus?.response).toBe('tentativelyAccepted');
		expect((await graph.post(`/users/${CAROL}/events/${carolCopy.id}/decline`, { sendResponse: true })).status).toBe(202);
		expect(emulator.events(CAROL)).toHaveLength(0);
		const afterDecline = await graph.get<Ev>(`/users/${ALICE}/events/${org.body.id}`);
		expect(afterDecline.body.attendees?.find((a) => a.emailAddress?.address === CAROL)?.status?.response).toBe('declined');

		const self = await graph.post<Ev>(`/users/${ALICE}/events/${org.body.id}/accept`, {});
		expect(self.status).toBe(400);
	});

	it('does not tell the organizer about a response sent with sendResponse: false', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		await graph.post(`/users/${BOB}/events/${emulator.events(BOB)[0].id}/accept`, { sendResponse: false });
		expect(emulator.events(BOB)[0].responseStatus?.response).toBe('accepted');
		const after = await graph.get<Ev>(`/users/${ALICE}/events/${org.body.id}`);
		expect(after.body.attendees?.find((a) => a.emailAddress?.address === BOB)?.status?.response).toBe('none');
		expect(after.body.changeKey).toBe(org.body.changeKey);
	});

	it('propagates organizer changes; a new time resets responses; attendee list changes add and remove copies', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const bobId = emulator.events(BOB)[0].id!;
		await graph.post(`/users/${BOB}/events/${bobId}/accept`, {});
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { subject: 'Renamed', location: { displayName: 'Room 2' } });
		let bob = emulator.events(BOB)[0];
		expect(bob.subject).toBe('Renamed');
		expect(bob.location?.displayName).toBe('Room 2');
		expect(bob.responseStatus?.response).toBe('accepted');

		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { start: hour('2026-03-02', '11:00'), end: hour('2026-03-02', '12:00') });
		bob = emulator.events(BOB)[0];
		expect(bob.start?.dateTime).toBe('2026-03-02T11:00:00.0000000');
		expect(bob.responseStatus?.response).toBe('notResponded');
		const orgNow = await graph.get<Ev>(`/users/${ALICE}/events/${org.body.id}`);
		expect(orgNow.body.attendees?.find((a) => a.emailAddress?.address === BOB)?.status?.response).toBe('none');

		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { attendees: [{ emailAddress: { address: BOB } }] });
		expect(emulator.events(CAROL)).toHaveLength(0);
		expect(emulator.events(BOB)).toHaveLength(1);
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { attendees: [{ emailAddress: { address: BOB } }, { emailAddress: { address: CAROL } }] });
		expect(emulator.events(CAROL)).toHaveLength(1);
		expect(emulator.events(CAROL)[0].iCalUId).toBe(org.body.iCalUId);
	});

	it('lets only the organizer cancel; cancel removes the organizer event and all copies', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const bobId = emulator.events(BOB)[0].id!;
		const byAttendee = await graph.post<Ev>(`/users/${BOB}/events/${bobId}/cancel`, { comment: 'no' });
		expect(byAttendee.status).toBe(400);
		expect(byAttendee.body.error).toMatchObject({
			code: 'ErrorInvalidRequest',
			message: "Your request can't be completed. You need to be an organizer to cancel a meeting.",
		});
		const byOrganizer = await graph.post(`/users/${ALICE}/events/${org.body.id}/cancel`, { comment: 'Cancelled in LN' });
		expect(byOrganizer.status).toBe(202);
		expect(emulator.events(ALICE)).toHaveLength(0);
		expect(emulator.events(BOB)).toHaveLength(0);
		expect(emulator.events(CAROL)).toHaveLength(0);
		expect((await graph.get(`/users/${ALICE}/events/${org.body.id}`)).status).toBe(404);
	});

	it('DELETE of the organizer meeting removes the copies; an attendee DELETE only its own copy', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		await graph.delete(`/users/${BOB}/events/${emulator.events(BOB)[0].id}`);
		expect(emulator.events(BOB)).toHaveLength(0);
		expect(emulator.events(CAROL)).toHaveLength(1);
		await graph.delete(`/users/${ALICE}/events/${org.body.id}`);
		expect(emulator.events(CAROL)).toHaveLength(0);
	});

	it('records the mail Exchange sends: requests on create, updates to everyone on a content change, nothing for the organizer\'s own properties', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const sent = (since = 0) => emulator.messages(since).map((m) => `${m.kind}:${m.from}>${m.to}`);
		expect(sent()).toEqual([`invitation:${ALICE}>${BOB}`, `invitation:${ALICE}>${CAROL}`, `invitation:${ALICE}>${EXTERNAL}`]);
		expect(emulator.messages()[0]).toMatchObject({ iCalUId: org.body.iCalUId, subject: 'Project review' });
		const mark = emulator.messages().length;
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { isReminderOn: false, showAs: 'free', singleValueExtendedProperties: [{ id: LN_KEY, value: 'ln:100:activity:A1' }] });
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { subject: 'Project review' });
		expect(sent(mark)).toEqual([]);
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { location: { displayName: 'Room 7' } });
		expect(sent(mark)).toEqual([`update:${ALICE}>${BOB}`, `update:${ALICE}>${CAROL}`, `update:${ALICE}>${EXTERNAL}`]);
	});

	it('records an attendees-only change as requests and cancellations to those added and removed only', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const mark = emulator.messages().length;
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, {
			attendees: [{ emailAddress: { address: BOB } }, { emailAddress: { address: CAROL } }, { emailAddress: { address: 'dan@fabrikam.com' } }],
		});
		expect(emulator.messages(mark).map((m) => `${m.kind}>${m.to}`)).toEqual(['invitation>dan@fabrikam.com', `cancellation>${EXTERNAL}`]);
	});

	it('sends an attendees-only change of one occurrence to those removed only, not an update to the others', async () => {
		const series = await graph.post<Ev>(`/users/${ALICE}/events`, {
			...meeting(),
			recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 3 } },
		});
		const [, second] = emulator.occurrences(ALICE, series.body.id!, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-10T00:00:00Z'));
		const mark = emulator.messages().length;
		await graph.patch(`/users/${ALICE}/events/${second.id}`, { attendees: [{ emailAddress: { address: BOB } }, { emailAddress: { address: CAROL } }] });
		expect(emulator.messages(mark).map((m) => `${m.kind}>${m.to}`)).toEqual([`cancellation>${EXTERNAL}`]);
	});

	it('gives someone invited to one occurrence only that occurrence as an item of their own, and takes it back', async () => {
		const series = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'Stand-up',
			start: hour('2026-03-02', '09:00'),
			end: hour('2026-03-02', '09:15'),
			recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 3 } },
		});
		const [, second] = emulator.occurrences(ALICE, series.body.id!, Date.parse('2026-03-01T00:00:00Z'), Date.parse('2026-03-10T00:00:00Z'));
		await graph.patch(`/users/${ALICE}/events/${second.id}`, { attendees: [{ emailAddress: { address: BOB } }] });
		const [copy] = emulator.events(BOB);
		expect(copy).toMatchObject({ subject: 'Stand-up', type: 'singleInstance', iCalUId: second.iCalUId, isOrganizer: false });
		expect(emulator.messages().slice(-1)[0]).toMatchObject({ kind: 'invitation', to: BOB, iCalUId: second.iCalUId, seriesICalUId: series.body.iCalUId });
		await graph.patch(`/users/${ALICE}/events/${second.id}`, { subject: 'Stand-up (moved room)' });
		expect(emulator.events(BOB)[0].subject).toBe('Stand-up (moved room)');
		await graph.post(`/users/${ALICE}/events/${second.id}/cancel`, {});
		expect(emulator.events(BOB)).toEqual([]);
	});

	it('brings a deleted copy back with an update of what attendees see, not with an attendees-only change', async () => {
		const org = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		await graph.delete(`/users/${BOB}/events/${emulator.events(BOB)[0].id}`);
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { attendees: [...meeting().attendees!, { emailAddress: { address: 'dan@fabrikam.com' } }] });
		expect(emulator.events(BOB)).toHaveLength(0);
		await graph.patch(`/users/${ALICE}/events/${org.body.id}`, { subject: 'Moved' });
		expect(emulator.events(BOB).map((e) => e.subject)).toEqual(['Moved']);
	});

	it('records cancellations for cancel and for the organizer\'s DELETE, none for an attendee\'s DELETE, and responses', async () => {
		const first = await graph.post<Ev>(`/users/${ALICE}/events`, meeting());
		const second = await graph.post<Ev>(`/users/${ALICE}/events`, meeting({ subject: 'Second' }));
		let mark = emulator.messages().length;
		const bobCopy = emulator.events(BOB).find((e) => e.subject === 'Second')!;
		await graph.post(`/users/${BOB}/events/${bobCopy.id}/accept`, {});
		await graph.delete(`/users/${CAROL}/events/${emulator.events(CAROL).find((e) => e.subject === 'Second')!.id}`);
		expect(emulator.messages(mark).map((m) => `${m.kind}:${m.from}>${m.to}`)).toEqual([`response:${BOB}>${ALICE}`]);
		mark = emulator.messages().length;
		await graph.post(`/users/${ALICE}/events/${first.body.id}/cancel`, { comment: 'off' });
		await graph.delete(`/users/${ALICE}/events/${second.body.id}`);
		expect(emulator.messages(mark).map((m) => `${m.kind}:${m.subject}>${m.to}`)).toEqual([
			`cancellation:Project review>${BOB}`,
			`cancellation:Project review>${CAROL}`,
			`cancellation:Project review>${EXTERNAL}`,
			`cancellation:Second>${BOB}`,
			`cancellation:Second>${CAROL}`,
			`cancellation:Second>${EXTERNAL}`,
		]);
	});

	it('drives user actions through the direct API and the control routes', async () => {
		const created = emulator.createEvent(ALICE, meeting());
		expect(created.id).toMatch(/^AAkALg/);
		const bobCopy = emulator.events(BOB)[0];
		emulator.respond(BOB, bobCopy.id!, 'accept');
		expect(emulator.events(ALICE)[0].attendees?.find((a) => a.emailAddress?.address === BOB)?.status?.response).toBe('accepted');
		const updated = emulator.updateEvent(ALICE, created.id!, { subject: 'Direct' });
		expect(updated.subject).toBe('Direct');

		const viaControl = await control(emulator, 'POST', `events/${BOB}`, { subject: 'Bob own', start: hour('2026-04-01', '09:00'), end: hour('2026-04-01', '10:00') });
		expect(viaControl.status).toBe(201);
		const id = (viaControl.body as { id: string }).id;
		expect((await control(emulator, 'PATCH', `events/${BOB}/${id}`, { subject: 'Bob renamed' })).status).toBe(200);
		expect(emulator.events(BOB).some((e) => e.subject === 'Bob renamed')).toBe(true);
		const copyId = emulator.events(CAROL)[0].id;
		expect((await control(emulator, 'POST', 'respond', { mailbox: CAROL, id: copyId, response: 'decline' })).status).toBe(204);
		expect(emulator.events(CAROL)).toHaveLength(0);
		expect((await control(emulator, 'DELETE', `events/${BOB}/${id}`)).status).toBe(204);
		expect(emulator.events(BOB).some((e) => e.subject === 'Bob renamed')).toBe(false);
		const bad = await control(emulator, 'PATCH', `events/${BOB}/${id}`, { subject: 'x' });
		expect(bad.status).toBe(404);
	});
});

describe('extended properties', () => {
	const KEY2 = 'String {8ECCC264-6880-4EBE-992F-8888D2EEAA1D} Name LnType';

	async function seedTagged(): Promise<{ a: Ev; b: Ev }> {
		const a = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'A', start: hour('2026-03-10', '09:00'), end: hour('2026-03-10', '10:00'),
			singleValueExtendedProperties: [{ id: LN_KEY, value: 'ACT-0001' }, { id: KEY2, value: 'visit' }],
		});
		const b = await graph.post<Ev>(`/users/${ALICE}/events`, {
			subject: 'B', start: hour('2027-03-10', '09:00'), end: hour('2027-03-10', '10:00'),
			singleValueExtendedProperties: [{ id: LN_KEY, value: 'ACT-0002' }],
		});
		return { a: a.body, b: b.body };
	}

	it('returns them only with $expand and its $filter', async () => {
		const { a } = await seedTagged();
		expect(a.singleValueExtendedProperties).toBeUndefined();
		const plain = await graph.get<Ev>(`/users/${ALICE}/events/${a.id}`);
		expect(plain.body.singleValueExtendedProperties).toBeUndefined();
		const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${LN_KEY}')`)}`;
		const one = await graph.get<Ev>(`/users/${ALICE}/events/${a.id}?${expand}`);
		expect(one.body.singleValueExtendedProperties).toEqual([{ id: 'String {8eccc264-6880-4ebe-992f-8888d2eeaa1d} Name LnKey', value: 'ACT-0001' }]);
		const both = await graph.get<Ev>(`/users/${ALICE}/events/${a.id}?$expand=singleValueExtendedProperties($filter=id eq '${LN_KEY}' or id eq '${KEY2}')`);
		expect(both.body.singleValueExtendedProperties?.map((p) => p.value).sort()).toEqual(['ACT-0001', 'visit']);
	});

	it('filters by value (case-insensitive) but by id name case-sensitively, with and/ne/startswith/contains', async () => {
		const { a, b } = await seedTagged();
		const ids = async (filter: string): Promise<string[]> => {
			const res = await graph.get<{ value: Ev[] }>(`/users/${ALICE}/events?$filter=${encodeURIComponent(filter)}`);
			expect(res.status).toBe(200);
			return res.body.value.map((e) => e.id!);
		};
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value eq 'act-0001')`)).toEqual([a.id]);
		const lowerGuid = LN_KEY.replace('8ECCC264', '8eccc264').replace('String', 'string');
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${lowerGuid}' and ep/value eq 'ACT-0002')`)).toEqual([b.id]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY.replace('LnKey', 'lnkey')}' and ep/value eq 'ACT-0001')`)).toEqual([]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value ne 'ACT-0001')`)).toEqual([b.id]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and startswith(ep/value, 'act-'))`)).toEqual([a.id, b.id]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and contains(ep/value, '002'))`)).toEqual([b.id]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and startswith(ep/value,'ACT')) and end/dateTime ge '2027-01-01T00:00:00'`)).toEqual([b.id]);
		expect(await ids(`singleValueExtendedProperties/Any(ep: ep/id eq '${LN_KEY}' and ep/value eq 'ACT-0001') and type eq 'singleInstance' and subject eq 'a'`)).toEqual([a.id]);
	});

	it('upserts by id on PATCH', async () => {
		const { a } = await seedTagged();
		await graph.patch(`/users/${ALICE}/events/${a.id}`, { singleValueExtendedProperties: [{ id: LN_KEY.replace('8ECCC264', '8eccc264'), value: 'ACT-0009' }] });
		const props = emulator.events(ALICE).find((e) => e.subject === 'A')!.singleValueExtendedProperties!;
		expect(props).toHaveLength(2);
		expect(props.find((p) => p.id?.endsWith('LnKey'))?.value).toBe('ACT-0009');
	});

	it('rejects malformed property ids', async () => {
		const res = await graph.post(`/users/${ALICE}/events`, {
			subject: 'x', start: hour('2026-03-10', '09:00'), end: hour('2026-03-10', '10:00'),
			singleValueExtendedProperties: [{ id: 'LnKey', value: '1' }],
		});
		expect(res.status).toBe(400);
	});
});

describe('lists', () => {
	it('pages /events with $top, $skip, $select, $orderby and absolute https nextLinks', async () => {
		for (let i = 0; i < 5; i++) {
			await graph.post(`/users/${ALICE}/events`, { subject: `E${i}`, start: hour(`2026-03-1${9 - i}`, '09:00'), end: hour(`2026-03-1${9 - i}`, '10:00') });
		}
		const first = await graph.get<{ value: Ev[]; '@odata.nextLink': string }>('/users/' + ALICE + '/events?$top=2&$select=subject,start&$orderby=start/dateTime');
		expect(first.body.value.map((e) => e.subject)).toEqual(['E4', 'E3']);
		expect(Object.keys(first.body.value[0]).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
		expect(first.body['@odata.nextLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/.+\/events\?.*\$skip=2/);
		const second = await graph.get<{ value: Ev[]; '@odata.nextLink': string }>(first.body['@odata.nextLink']);
		expect(second.body.value.map((e) => e.subject)).toEqual(['E2', 'E1']);
		const third = await graph.get<{ value: Ev[]; '@odata.nextLink'?: string }>(second.body['@odata.nextLink']);
		expect(third.body.value.map((e) => e.subject)).toEqual(['E0']);
		expect(third.body['@odata.nextLink']).toBeUndefined();
		const desc = await graph.get<{ value: Ev[] }>(`/users/${ALICE}/events?$orderby=subject desc&$skip=1&$top=2`);
		expect(desc.body.value.map((e) => e.subject)).toEqual(['E3', 'E2']);
		expect((await graph.get(`/users/${ALICE}/events?$top=1001`)).status).toBe(400);
		expect((await graph.get(`/users/${ALICE}/events?$select=nonsense`)).status).toBe(400);
	});

	it('pages with odata.maxpagesize as the default page size', async () => {
		for (let i = 0; i < 3; i++) await graph.post(`/users/${ALICE}/events`, { subject: `M${i}`, start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') });
		const res = await graph.get<{ value: Ev[]; '@odata.nextLink'?: string }>(`/users/${ALICE}/events`, { Prefer: 'odata.maxpagesize=2' });
		expect(res.body.value).toHaveLength(2);
		expect(res.body['@odata.nextLink']).toBeTruthy();
	});
});
