import type { Event } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, RawGraph, control, hour, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;

type Item = Event & { '@odata.etag'?: string; '@removed'?: { reason: string } };
type DeltaBody = { value: Item[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string; error?: { code: string; message: string } };

const WINDOW = 'startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z';

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

/** Follows nextLinks to the end of a round; returns the items, the page count and the deltaLink. */
async function round(first: string, headers: Record<string, string> = {}): Promise<{ items: Item[]; pages: number; deltaLink: string }> {
	const items: Item[] = [];
	let link: string = first;
	let pages = 0;
	for (;;) {
		const res: { status: number; body: DeltaBody } = await graph.get<DeltaBody>(link, headers);
		expect(res.status).toBe(200);
		pages++;
		items.push(...res.body.value);
		if (res.body['@odata.nextLink']) {
			expect(res.body['@odata.nextLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/.+\/calendarView\/delta\?\$skiptoken=/);
			link = res.body['@odata.nextLink'];
			continue;
		}
		expect(res.body['@odata.deltaLink']).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/.+\/calendarView\/delta\?\$deltatoken=/);
		return { items, pages, deltaLink: res.body['@odata.deltaLink']! };
	}
}

async function create(subject: string, day: string, extra: Partial<Event> = {}): Promise<Item> {
	const res = await graph.post<Item>(`/users/${ALICE}/events`, { subject, start: hour(day, '09:00'), end: hour(day, '10:00'), ...extra });
	expect(res.status).toBe(201);
	return res.body;
}

describe('calendarView/delta', () => {
	it('pages the initial round, then reports changes, deletions and items that left the window', async () => {
		const keep = await create('Keep', '2026-03-02');
		const change = await create('Change', '2026-03-03');
		const remove = await create('Remove', '2026-03-04');
		const move = await create('Move out', '2026-03-05');
		await create('Outside', '2026-05-01');
		const series = await graph.post<Item>(`/users/${ALICE}/events`, {
			subject: 'Daily', start: hour('2026-03-10', '08:00'), end: hour('2026-03-10', '08:15'),
			recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-03-10', numberOfOccurrences: 2 } },
		});

		const firstPage = await graph.get(`/users/${ALICE}/calendarView/delta?${WINDOW}`, { Prefer: 'odata.maxpagesize=2' });
		expect(firstPage.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
		const first = await round(`/users/${ALICE}/calendarView/delta?${WINDOW}`, { Prefer: 'odata.maxpagesize=2' });
		expect(first.pages).toBe(3);
		expect(first.items).toHaveLength(6);
		expect(first.items.map((i) => i.subject).filter(Boolean)).toEqual(['Keep', 'Change', 'Remove', 'Move out']);
		const occurrences = first.items.filter((i) => i.type === 'occurrence');
		expect(occurrences).toHaveLength(2);
		expect(Object.keys(occurrences[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'end', 'id', 'seriesMasterId', 'start', 'type']);
		expect(occurrences[0].seriesMasterId).toBe(series.body.id);
		expect(first.items.some((i) => i.type === 'seriesMaster')).toBe(false);

		// Nothing changed: an empty page and a new deltaLink.
		const quiet = await round(first.deltaLink);
		expect(quiet.items).toEqual([]);
		expect(quiet.deltaLink).not.toBe(first.deltaLink);

		await graph.patch(`/users/${ALICE}/events/${change.id}`, { subject: 'Changed' });
		await graph.delete(`/users/${ALICE}/events/${remove.id}`);
		await graph.patch(`/users/${ALICE}/events/${move.id}`, { start: hour('2026-06-01', '09:00'), end: hour('2026-06-01', '10:00') });
		const added = await create('Added', '2026-03-20');
		const second = await round(quiet.deltaLink);
		const byId = new Map(second.items.map((i) => [i.id, i]));
		expect(byId.get(change.id)?.subject).toBe('Changed');
		expect(byId.get(added.id)?.subject).toBe('Added');
		expect(byId.get(remove.id)).toEqual({ '@odata.type': '#microsoft.graph.event', id: remove.id, '@removed': { reason: 'deleted' } });
		expect(byId.get(move.id)?.['@removed']).toEqual({ reason: 'changed' });
		expect(byId.has(keep.id)).toBe(false);
		expect(second.items).toHaveLength(4);

		// The old deltaLink still names the old state (a replay gives the same changes again).
		const replay = await round(quiet.deltaLink);
		expect(replay.items).toHaveLength(4);
	});

	it('answers 410 SyncStateNotFound with a Location after expireDeltaTokens', async () => {
		await create('One', '2026-03-02');
		const first = await round(`/users/${ALICE}/calendarView/delta?${WINDOW}`);
		emulator.expireDeltaTokens(ALICE);
		const gone = await graph.get<DeltaBody>(first.deltaLink);
		expect(gone.status).toBe(410);
		expect(gone.body.error?.code).toBe('SyncStateNotFound');
		expect(gone.body.error?.message).toMatch(/^The sync state generation is not found/);
		const location = gone.headers.get('location');
		expect(location).toMatch(/calendarView\/delta\?startDateTime=2026-03-01T00%3A00%3A00.000Z&endDateTime=2026-04-01T00%3A00%3A00.000Z$/);
		const restart = await round(location!);
		expect(restart.items).toHaveLength(1);
		// Other mailboxes are not affected; the control route expires all.
		const bobRound = await round(`/users/${BOB}/calendarView/delta?${WINDOW}`);
		emulator.expireDeltaTokens(ALICE);
		expect((await graph.get(bobRound.deltaLink)).status).toBe(200);
		expect((await control(emulator, 'POST', 'expire-delta', {})).status).toBe(204);
		expect((await graph.get(bobRound.deltaLink)).status).toBe(410);
	});

	it('expires skip tokens in the middle of a round too', async () => {
		await create('One', '2026-03-02');
		await create('Two', '2026-03-03');
		const res = await graph.get<DeltaBody>(`/users/${ALICE}/calendarView/delta?${WINDOW}`, { Prefer: 'odata.maxpagesize=1' });
		emulator.expireDeltaTokens();
		expect((await graph.get(res.body['@odata.nextLink']!)).status).toBe(410);
	});

	it('rejects $select, $expand, $filter, $orderby and $search', async () => {
		for (const option of ['$select=subject', '$expand=singleValueExtendedProperties', "$filter=subject eq 'x'", '$orderby=subject', '$search=x']) {
			const res = await graph.get<DeltaBody>(`/users/${ALICE}/calendarView/delta?${WINDOW}&${option}`);
			expect(res.status).toBe(400);
		}
		expect((await graph.get(`/users/${ALICE}/calendarView/delta`)).status).toBe(400);
	});

	it('uses the id form of the request carrying the Prefer header, also on delta links', async () => {
		const ev = await create('Ids', '2026-03-02');
		const first = await round(`/users/${ALICE}/calendarView/delta?${WINDOW}`, { Prefer: 'IdType="ImmutableId"' });
		expect(first.items[0].id).toMatch(/^AAkALg/);
		expect(first.items[0].id).not.toBe(ev.id);
		await graph.patch(`/users/${ALICE}/events/${ev.id}`, { subject: 'Ids 2' });
		const second = await round(first.deltaLink);
		expect(second.items[0].id).toBe(ev.id);
	});

	it('reports attendee copies in the attendee mailbox and responses in the organizer mailbox', async () => {
		const org = await create('Meeting', '2026-03-02', { attendees: [{ emailAddress: { address: BOB } }] });
		const aliceRound = await round(`/users/${ALICE}/calendarView/delta?${WINDOW}`);
		const bobRound = await round(`/users/${BOB}/calendarView/delta?${WINDOW}`);
		expect(bobRound.items).toHaveLength(1);
		expect(bobRound.items[0].iCalUId).toBe(org.iCalUId);
		await graph.post(`/users/${BOB}/events/${bobRound.items[0].id}/accept`, {});
		const aliceNext = await round(aliceRound.deltaLink);
		expect(aliceNext.items.map((i) => i.id)).toEqual([org.id]);
		expect(aliceNext.items[0].attendees?.[0].status?.response).toBe('accepted');
	});
});
