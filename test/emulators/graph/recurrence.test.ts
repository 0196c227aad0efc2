import type { Event, PatternedRecurrence } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, RawGraph, hour, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;
const BERLIN = { Prefer: 'outlook.timezone="W. Europe Standard Time"' };

type Ev = Event & { '@odata.etag': string; error?: { code: string } };
type List = { value: Ev[]; '@odata.nextLink'?: string };

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

/** Mondays 09:00 Berlin time from 2026-03-16, 4 times: across the DST change of 2026-03-29. */
function weekly(extra: Partial<Event> = {}): Event {
	return {
		subject: 'Weekly sync',
		start: { dateTime: '2026-03-16T09:00:00', timeZone: 'W. Europe Standard Time' },
		end: { dateTime: '2026-03-16T09:30:00', timeZone: 'W. Europe Standard Time' },
		recurrence: {
			pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' },
			range: { type: 'numbered', startDate: '2026-03-16', numberOfOccurrences: 4, recurrenceTimeZone: 'W. Europe Standard Time' },
		},
		...extra,
	};
}

async function view(mailbox: string, start: string, end: string, headers?: Record<string, string>): Promise<Ev[]> {
	const res = await graph.get<List>(`/users/${mailbox}/calendarView?startDateTime=${start}&endDateTime=${end}&$top=100`, headers);
	expect(res.status).toBe(200);
	return res.body.value;
}

async function occurrenceDates(recurrence: PatternedRecurrence, start = '2026-01-05T10:00:00', rangeEnd = '2027-12-31T00:00:00Z'): Promise<string[]> {
	emulator.seed(BASE_SEED);
	const res = await graph.post<Ev>(`/users/${ALICE}/events`, {
		subject: 'Pattern',
		start: { dateTime: start, timeZone: 'UTC' },
		end: { dateTime: start.replace('10:00', '11:00'), timeZone: 'UTC' },
		recurrence,
	});
	expect(res.status).toBe(201);
	return (await view(ALICE, '2026-01-01T00:00:00Z', rangeEnd)).map((e) => e.start!.dateTime!.slice(0, 10));
}

describe('recurring series', () => {
	it('keeps the local time across a DST change; the master is listed, occurrences are expanded', async () => {
		const master = await graph.post<Ev>(`/users/${ALICE}/events`, weekly());
		expect(master.status).toBe(201);
		expect(master.body.type).toBe('seriesMaster');
		expect(master.body.recurrence?.range?.numberOfOccurrences).toBe(4);
		const listed = await graph.get<List>(`/users/${ALICE}/events`);
		expect(listed.body.value.map((e) => e.type)).toEqual(['seriesMaster']);

		const utc = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z');
		expect(utc.map((e) => e.start?.dateTime)).toEqual([
			'2026-03-16T08:00:00.0000000',
			'2026-03-23T08:00:00.0000000',
			'2026-03-30T07:00:00.0000000',
			'2026-04-06T07:00:00.0000000',
		]);
		expect(utc.every((e) => e.type === 'occurrence' && e.seriesMasterId === master.body.id)).toBe(true);
		expect(new Set(utc.map((e) => e.iCalUId)).size).toBe(4);
		expect(new Set(utc.map((e) => e.id)).size).toBe(4);
		const local = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z', BERLIN);
		expect(local.map((e) => e.start?.dateTime?.slice(11, 16))).toEqual(['09:00', '09:00', '09:00', '09:00']);
		expect(local[0].start?.timeZone).toBe('W. Europe Standard Time');
	});

	it('turns a PATCHed occurrence into an exception and removes a cancelled one; both show in instances', async () => {
		const master = await graph.post<Ev>(`/users/${ALICE}/events`, weekly());
		const occ = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z');
		const moved = await graph.patch<Ev>(`/users/${ALICE}/events/${occ[1].id}`, {
			start: { dateTime: '2026-03-24T15:00:00', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-03-24T16:00:00', timeZone: 'W. Europe Standard Time' },
			subject: 'Moved sync',
		});
		expect(moved.status).toBe(200);
		expect(moved.body.type).toBe('exception');
		expect(moved.body.id).toBe(occ[1].id);
		expect(moved.body.seriesMasterId).toBe(master.body.id);
		const cancel = await graph.post(`/users/${ALICE}/events/${occ[2].id}/cancel`, {});
		expect(cancel.status).toBe(202);
		expect((await graph.get(`/users/${ALICE}/events/${occ[2].id}`)).status).toBe(404);

		const after = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z', BERLIN);
		expect(after.map((e) => `${e.type} ${e.start?.dateTime?.slice(0, 16)} ${e.subject}`)).toEqual([
			'occurrence 2026-03-16T09:00 Weekly sync',
			'exception 2026-03-24T15:00 Moved sync',
			'occurrence 2026-04-06T09:00 Weekly sync',
		]);
		const instances = await graph.get<List>(`/users/${ALICE}/events/${master.body.id}/instances?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-30T00:00:00Z`);
		expect(instances.body.value.map((e) => e.type)).toEqual(['occurrence', 'exception', 'occurrence']);
		// The master still lists once; a DELETE of one occurrence leaves the rest.
		await graph.delete(`/users/${ALICE}/events/${occ[0].id}`);
		expect((await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z')).length).toBe(2);
		expect((await graph.get<List>(`/users/${ALICE}/events`)).body.value).toHaveLength(1);
	});

	it('keeps what an exception has when the series is renamed (each exception is updated on its own, MS-OXOCAL 3.1.4.7.3.5)', async () => {
		const master = await graph.post<Ev>(`/users/${ALICE}/events`, weekly());
		const occ = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z');
		await graph.patch<Ev>(`/users/${ALICE}/events/${occ[1].id}`, {
			start: { dateTime: '2026-03-24T15:00:00', timeZone: 'W. Europe Standard Time' },
			end: { dateTime: '2026-03-24T16:00:00', timeZone: 'W. Europe Standard Time' },
		});
		expect((await graph.patch<Ev>(`/users/${ALICE}/events/${master.body.id}`, { subject: 'Weekly sync (renamed)' })).status).toBe(200);
		const after = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z', BERLIN);
		expect(after.map((e) => `${e.type} ${e.subject}`)).toEqual([
			'occurrence Weekly sync (renamed)',
			'exception Weekly sync',
			'occurrence Weekly sync (renamed)',
			'occurrence Weekly sync (renamed)',
		]);
	});

	it('removes the whole series on DELETE or cancel of the master', async () => {
		const master = await graph.post<Ev>(`/users/${ALICE}/events`, weekly());
		await graph.delete(`/users/${ALICE}/events/${master.body.id}`);
		expect(await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z')).toHaveLength(0);
		const again = await graph.post<Ev>(`/users/${ALICE}/events`, weekly());
		await graph.post(`/users/${ALICE}/events/${again.body.id}/cancel`, {});
		expect(await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z')).toHaveLength(0);
	});

	it('carries series meetings, moved and cancelled occurrences to attendee copies', async () => {
		const master = await graph.post<Ev>(`/users/${ALICE}/events`, weekly({ attendees: [{ emailAddress: { address: BOB } }] }));
		const occ = await view(ALICE, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z');
		await graph.patch(`/users/${ALICE}/events/${occ[0].id}`, { subject: 'Special' });
		await graph.post(`/users/${ALICE}/events/${occ[3].id}/cancel`, {});
		const bob = await view(BOB, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z');
		expect(bob.map((e) => e.subject)).toEqual(['Special', 'Weekly sync', 'Weekly sync']);
		expect(bob[0].type).toBe('exception');
		expect(bob.every((e) => e.isOrganizer === false)).toBe(true);
		expect(emulator.events(BOB).find((e) => e.type === 'seriesMaster')?.iCalUId).toBe(master.body.iCalUId);
	});

	it('expands daily, monthly and yearly patterns with endDate, numbered and noEnd ranges', async () => {
		expect(await occurrenceDates({
			pattern: { type: 'daily', interval: 3 },
			range: { type: 'endDate', startDate: '2026-01-05', endDate: '2026-01-14' },
		})).toEqual(['2026-01-05', '2026-01-08', '2026-01-11', '2026-01-14']);
		expect(await occurrenceDates({
			pattern: { type: 'weekly', interval: 2, daysOfWeek: ['tuesday', 'thursday'], firstDayOfWeek: 'sunday' },
			range: { type: 'numbered', startDate: '2026-01-05', numberOfOccurrences: 4 },
		})).toEqual(['2026-01-06', '2026-01-08', '2026-01-20', '2026-01-22']);
		expect(await occurrenceDates({
			pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
			range: { type: 'numbered', startDate: '2026-01-05', numberOfOccurrences: 3 },
		})).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
		expect(await occurrenceDates({
			pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
			range: { type: 'numbered', startDate: '2026-01-05', numberOfOccurrences: 3 },
		})).toEqual(['2026-01-30', '2026-02-27', '2026-03-27']);
		expect(await occurrenceDates({
			pattern: { type: 'relativeMonthly', interval: 2, daysOfWeek: ['monday'], index: 'first' },
			range: { type: 'numbered', startDate: '2026-01-05', numberOfOccurrences: 2 },
		})).toEqual(['2026-01-05', '2026-03-02']);
		expect(await occurrenceDates({
			pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 14 },
			range: { type: 'noEnd', startDate: '2026-01-05' },
		})).toEqual(['2026-02-14', '2027-02-14']);
		const noEnd = await occurrenceDates({ pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2026-01-05' } }, undefined, '2026-01-08T00:00:00Z');
		expect(noEnd).toEqual(['2026-01-05', '2026-01-06', '2026-01-07']);
	});

	it('rejects invalid recurrences', async () => {
		const res = await graph.post(`/users/${ALICE}/events`, weekly({ recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd', startDate: '2026-03-16' } } }));
		expect(res.status).toBe(400);
	});
});

describe('calendarView', () => {
	it('returns overlapping singles and occurrences, never masters, ordered and paged', async () => {
		await graph.post(`/users/${ALICE}/events`, weekly());
		await graph.post(`/users/${ALICE}/events`, { subject: 'Before', start: hour('2026-02-01', '09:00'), end: hour('2026-02-01', '10:00') });
		await graph.post(`/users/${ALICE}/events`, { subject: 'Overlap start', start: hour('2026-03-15', '23:00'), end: hour('2026-03-16', '01:00') });
		await graph.post(`/users/${ALICE}/events`, { subject: 'Inside', start: hour('2026-03-20', '12:00'), end: hour('2026-03-20', '13:00') });
		const all = await view(ALICE, '2026-03-16T00:00:00Z', '2026-04-01T00:00:00Z');
		expect(all.map((e) => e.subject)).toEqual(['Overlap start', 'Weekly sync', 'Inside', 'Weekly sync', 'Weekly sync']);
		expect(all.some((e) => e.type === 'seriesMaster')).toBe(false);

		const page1 = await graph.get<List>(`/users/${ALICE}/calendar/calendarView?startDateTime=2026-03-16T00:00:00Z&endDateTime=2026-04-01T00:00:00Z&$top=2&$orderby=start/dateTime desc&$select=subject`);
		expect(page1.body.value.map((e) => e.subject)).toEqual(['Weekly sync', 'Weekly sync']);
		expect(Object.keys(page1.body.value[0]).sort()).toEqual(['@odata.etag', 'id', 'subject']);
		const page2 = await graph.get<List>(page1.body['@odata.nextLink']!);
		expect(page2.body.value.map((e) => e.subject)).toEqual(['Inside', 'Weekly sync']);
		const page3 = await graph.get<List>(page2.body['@odata.nextLink']!);
		expect(page3.body.value.map((e) => e.subject)).toEqual(['Overlap start']);
		expect(page3.body['@odata.nextLink']).toBeUndefined();
	});

	it('honours offsets in the range and ignores the timezone preference for it', async () => {
		await graph.post(`/users/${ALICE}/events`, { subject: 'Early', start: hour('2026-03-20', '07:30'), end: hour('2026-03-20', '08:00') });
		// 09:00+02:00 = 07:00Z: the event is inside.
		expect(await view(ALICE, '2026-03-20T09:00:00%2B02:00', '2026-03-20T12:00:00%2B02:00', BERLIN)).toHaveLength(1);
		expect(await view(ALICE, '2026-03-20T08:00:00', '2026-03-20T12:00:00', BERLIN)).toHaveLength(0);
	});

	it('rejects a missing range and one longer than 1825 days', async () => {
		expect((await graph.get(`/users/${ALICE}/calendarView`)).status).toBe(400);
		expect((await graph.get(`/users/${ALICE}/calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2031-01-01T00:00:00Z`)).status).toBe(400);
		expect((await graph.get(`/users/${ALICE}/calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2030-12-30T00:00:00Z`)).status).toBe(200);
	});

	it('filters calendarView like lists', async () => {
		await graph.post(`/users/${ALICE}/events`, weekly());
		await graph.post(`/users/${ALICE}/events`, { subject: 'Inside', start: hour('2026-03-20', '12:00'), end: hour('2026-03-20', '13:00') });
		const res = await graph.get<List>(`/users/${ALICE}/calendarView?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-30T00:00:00Z&$filter=${encodeURIComponent("type eq 'singleInstance'")}`);
		expect(res.body.value.map((e) => e.subject)).toEqual(['Inside']);
	});
});
