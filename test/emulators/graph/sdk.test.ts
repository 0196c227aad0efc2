import { Client } from '@microsoft/microsoft-graph-client';
import type { Event, User } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, RawGraph, hour, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let client: Client;

type Page<T> = { value: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

beforeAll(async () => {
	emulator = await startEmulator();
	emulator.seed(BASE_SEED);
	const token = await new RawGraph(emulator).getToken();
	// Configured as our transport does: the emulator is a custom https host known to the client.
	client = Client.init({
		authProvider: (done) => done(null, token),
		baseUrl: emulator.url,
		customHosts: new Set(['127.0.0.1']),
		defaultVersion: 'v1.0',
	});
});

afterAll(async () => {
	await emulator.stop();
});

describe('@microsoft/microsoft-graph-client against the emulator', () => {
	it('lists users and creates an event with the bearer token', async () => {
		const users = (await client.api('/users').select('id,mail').get()) as Page<User>;
		expect(users.value.map((u) => u.mail)).toContain(ALICE);
		const created = (await client
			.api(`/users/${ALICE}/events`)
			.header('Prefer', 'IdType="ImmutableId"')
			.post({ subject: 'Via SDK', start: hour('2026-03-02', '09:00'), end: hour('2026-03-02', '10:00'), attendees: [{ emailAddress: { address: BOB } }] })) as Event;
		expect(created.id).toMatch(/^AAkALg/);
		expect(emulator.events(BOB)).toHaveLength(1);
	});

	it('pages calendarView/delta by passing absolute nextLink and deltaLink back to client.api()', async () => {
		for (let i = 0; i < 4; i++) {
			await client.api(`/users/${ALICE}/events`).post({ subject: `Delta ${i}`, start: hour(`2026-03-1${i}`, '09:00'), end: hour(`2026-03-1${i}`, '10:00') });
		}
		let link = `/users/${ALICE}/calendarView/delta?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z`;
		const seen: Event[] = [];
		let pages = 0;
		let deltaLink: string | undefined;
		while (!deltaLink) {
			const page = (await client.api(link).header('Prefer', 'odata.maxpagesize=2').get()) as Page<Event>;
			pages++;
			seen.push(...page.value);
			if (page['@odata.nextLink']) link = page['@odata.nextLink'];
			else deltaLink = page['@odata.deltaLink'];
		}
		expect(pages).toBe(3);
		expect(seen.map((e) => e.subject).sort()).toEqual(['Delta 0', 'Delta 1', 'Delta 2', 'Delta 3', 'Via SDK']);
		expect(deltaLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1\.0\//);

		await client.api(`/users/${ALICE}/events/${seen[0].id}`).patch({ subject: 'Changed via SDK' });
		const changes = (await client.api(deltaLink!).get()) as Page<Event>;
		expect(changes.value.map((e) => e.subject)).toEqual(['Changed via SDK']);
	});

	it('sends a $batch', async () => {
		const result = (await client.api('/$batch').post({
			requests: [
				{ id: '1', method: 'GET', url: `/users/${ALICE}/events?$top=1` },
				{ id: '2', method: 'GET', url: `/users/${BOB}` },
			],
		})) as { responses: Array<{ id: string; status: number }> };
		expect(result.responses.map((r) => `${r.id}:${r.status}`).sort()).toEqual(['1:200', '2:200']);
	});

	it('surfaces Graph errors as GraphError with the code', async () => {
		await expect(client.api('/users/nobody@contoso.com/events').get()).rejects.toMatchObject({ statusCode: 404, code: 'ErrorInvalidUser' });
	});
});
