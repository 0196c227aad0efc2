import type { Subscription } from '@microsoft/microsoft-graph-types';

import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, DENIED, RawGraph, Receiver, control, hour, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;
let receiver: Receiver;
let lifecycle: Receiver;

type Sub = Subscription & { error?: { code: string; message: string } };

beforeAll(async () => {
	emulator = await startEmulator({ validationTimeoutMs: 300, notificationTimeoutMs: 300, notificationRetryBaseMs: 20, notificationFlushMs: 150 });
	graph = new RawGraph(emulator);
	await graph.getToken();
	receiver = await new Receiver().start();
	lifecycle = await new Receiver().start();
});

afterAll(async () => {
	await emulator.stop();
	await receiver.stop();
	await lifecycle.stop();
});

beforeEach(async () => {
	emulator.seed(BASE_SEED);
	emulator.clockOffsetMs = 0;
	emulator.setNotificationMode({ duplicate: 0, reorder: false, drop: 0 });
	await graph.getToken();
	receiver.clear();
	receiver.validation = 'echo';
	receiver.failNext = 0;
	lifecycle.clear();
	lifecycle.validation = 'echo';
});

const inMinutes = (minutes: number): string => new Date(Date.now() + minutes * 60000).toISOString();

function subscribe(extra: Partial<Subscription> = {}, headers?: Record<string, string>): Promise<{ status: number; body: Sub }> {
	return graph.post<Sub>('/subscriptions', {
		changeType: 'created,updated,deleted',
		notificationUrl: receiver.url,
		lifecycleNotificationUrl: lifecycle.url,
		resource: `/users/${ALICE}/events`,
		expirationDateTime: inMinutes(4000),
		clientState: 'secret-client-state',
		...extra,
	}, headers);
}

async function createEvent(mailbox: string, subject: string, extra: Record<string, unknown> = {}): Promise<{ id: string; changeKey: string }> {
	const res = await graph.post<{ id: string; changeKey: string }>(`/users/${mailbox}/events`, { subject, start: hour('2026-03-02', '09:00'), end: hour('2026-03-02', '10:00'), ...extra });
	expect(res.status).toBe(201);
	return res.body;
}

describe('creating subscriptions', () => {
	it('validates both URLs with a text/plain token and answers 201 with the subscription', async () => {
		const res = await subscribe();
		expect(res.status).toBe(201);
		expect(res.body).toMatchObject({
			resource: `/users/${ALICE}/events`,
			changeType: 'created,updated,deleted',
			notificationUrl: receiver.url,
			lifecycleNotificationUrl: lifecycle.url,
			clientState: 'secret-client-state',
			applicationId: emulator.app.clientId,
		});
		expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
		expect(res.body.creatorId).toBeTruthy();
		expect(receiver.validations).toHaveLength(1);
		expect(receiver.validations[0]).toMatch(/^Validation: Testing client application reachability for subscription Request-Id: /);
		expect(lifecycle.validations).toHaveLength(1);
		const listed = await graph.get<{ value: Sub[] }>('/subscriptions');
		expect(listed.body.value.map((s) => s.id)).toEqual([res.body.id]);
		expect((await graph.get<Sub>(`/subscriptions/${res.body.id}`)).body.resource).toBe(`/users/${ALICE}/events`);
	});

	it.each(['wrongContentType', 'wrongBody', 'status500', 'hang'] as const)('fails with 400 ValidationError when the receiver answers %s', async (behaviour) => {
		receiver.validation = behaviour;
		const res = await subscribe();
		expect(res.status).toBe(400);
		expect(res.body.error?.code).toBe('ValidationError');
		expect((await graph.get<{ value: Sub[] }>('/subscriptions')).body.value).toHaveLength(0);
	});

	it('fails when only the lifecycle URL does not validate', async () => {
		lifecycle.validation = 'wrongBody';
		expect((await subscribe()).status).toBe(400);
	});

	it('caps the lifetime at 10080 minutes and raises short ones to 45 minutes', async () => {
		const tooLong = await subscribe({ expirationDateTime: inMinutes(10090) });
		expect(tooLong.status).toBe(400);
		expect(tooLong.body.error?.message).toContain('can only be 10080 minutes in the future');
		const short = await subscribe({ expirationDateTime: inMinutes(5) });
		expect(short.status).toBe(201);
		const minutes = (Date.parse(short.body.expirationDateTime!) - Date.now()) / 60000;
		expect(minutes).toBeGreaterThan(44.9);
		expect(minutes).toBeLessThan(45.1);
		expect((await subscribe({ expirationDateTime: inMinutes(-1), notificationUrl: `${receiver.url}?x=1` })).status).toBe(400);
	});

	it('rejects a duplicate (409), non-https URLs, long clientState and inaccessible mailboxes', async () => {
		expect((await subscribe()).status).toBe(201);
		const dup = await subscribe({ clientState: 'other' });
		expect(dup.status).toBe(409);
		expect((await subscribe({ changeType: 'created' })).status).toBe(201);
		expect((await subscribe({ notificationUrl: 'http://example.com/hook' })).status).toBe(400);
		expect((await subscribe({ resource: `/users/${BOB}/events`, clientState: 'x'.repeat(129) })).status).toBe(400);
		expect((await subscribe({ resource: `users/${DENIED}/events` })).status).toBe(403);
		expect((await subscribe({ resource: '/users/nobody@contoso.com/events' })).status).toBe(404);
		expect((await subscribe({ resource: `/users/${BOB}/messages` })).status).toBe(400);
	});

	it('renews with PATCH, deletes, and expires on the emulator clock', async () => {
		const sub = (await subscribe()).body;
		const renewed = await graph.patch<Sub>(`/subscriptions/${sub.id}`, { expirationDateTime: inMinutes(10000) });
		expect(renewed.status).toBe(200);
		expect(Date.parse(renewed.body.expirationDateTime!)).toBeGreaterThan(Date.parse(sub.expirationDateTime!));
		expect((await graph.patch(`/subscriptions/${sub.id}`, { expirationDateTime: inMinutes(20000) })).status).toBe(400);
		expect((await graph.delete(`/subscriptions/${sub.id}`)).status).toBe(204);
		expect((await graph.get(`/subscriptions/${sub.id}`)).status).toBe(404);
		expect((await graph.delete(`/subscriptions/${sub.id}`)).status).toBe(404);

		const other = (await subscribe()).body;
		emulator.clockOffsetMs = 4001 * 60000;
		await graph.getToken(); // the old token expired too
		expect((await graph.get(`/subscriptions/${other.id}`)).status).toBe(404);
		expect((await graph.get<{ value: Sub[] }>('/subscriptions')).body.value).toHaveLength(0);
		emulator.clockOffsetMs = 0;
	});
});

describe('change notifications', () => {
	it('POSTs bunched notifications with clientState for API writes', async () => {
		const sub = (await subscribe()).body;
		const a = await createEvent(ALICE, 'One');
		const b = await createEvent(ALICE, 'Two');
		await receiver.waitFor(2);
		expect(receiver.received).toHaveLength(1); // both in one POST
		const items = receiver.items();
		expect(items.map((i) => i.changeType)).toEqual(['created', 'created']);
		const aliceId = (emulator.state() as { users: Array<{ mail: string; id: string }> }).users.find((u) => u.mail === ALICE)!.id;
		expect(items[0]).toEqual({
			subscriptionId: sub.id,
			subscriptionExpirationDateTime: sub.expirationDateTime,
			changeType: 'created',
			resource: `Users/${aliceId}/Events/${a.id}`,
			resourceData: {
				'@odata.type': '#Microsoft.Graph.Event',
				'@odata.id': `Users/${aliceId}/Events/${a.id}`,
				'@odata.etag': `W/"${a.changeKey}"`,
				id: a.id,
			},
			clientState: 'secret-client-state',
			tenantId: emulator.tenantId,
		});
		expect((items[1].resourceData as { id: string }).id).toBe(b.id);

		receiver.clear();
		await graph.patch(`/users/${ALICE}/events/${a.id}`, { subject: 'One!' });
		await graph.delete(`/users/${ALICE}/events/${b.id}`);
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['updated', 'deleted']);
		const deliveries = emulator.notificationDeliveries();
		expect(deliveries.length).toBeGreaterThanOrEqual(2);
		expect(deliveries[0]).toMatchObject({ url: receiver.url, notifications: 2, status: 202 });
		expect(typeof deliveries[0].ms).toBe('number');
	});

	it('notifies attendee copies, responses and cancellations, and direct-access writes, but not seeding', async () => {
		emulator.seed({ ...BASE_SEED, events: { [ALICE]: [{ subject: 'Seeded', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') }] } });
		await subscribe({ resource: `/users/${BOB}/events` });
		await emulator.flushNotifications();
		expect(receiver.items()).toHaveLength(0);
		const org = await createEvent(ALICE, 'Meeting', { attendees: [{ emailAddress: { address: BOB } }] });
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['created']);
		const copyId = emulator.events(BOB)[0].id!;
		receiver.clear();
		emulator.respond(BOB, copyId, 'tentativelyAccept');
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['updated']);
		receiver.clear();
		await graph.post(`/users/${ALICE}/events/${org.id}/cancel`, {});
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['deleted']);
		receiver.clear();
		emulator.createEvent(BOB, { subject: 'Bob direct', start: hour('2026-03-05', '09:00'), end: hour('2026-03-05', '10:00') });
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['created']);
	});

	it('carries immutable ids when the subscription was created with the IdType header', async () => {
		await subscribe({}, { Prefer: 'IdType="ImmutableId"' });
		const ev = await createEvent(ALICE, 'Immutable');
		await emulator.flushNotifications();
		const id = (receiver.items()[0].resourceData as { id: string }).id;
		expect(id).toMatch(/^AAkALg/);
		const immutable = await graph.get<{ id: string }>(`/users/${ALICE}/events/${ev.id}`, { Prefer: 'IdType="ImmutableId"' });
		expect(id).toBe(immutable.body.id);
	});

	it('only sends the subscribed change types, and notifies contact subscriptions', async () => {
		await subscribe({ changeType: 'deleted' });
		const ev = await createEvent(ALICE, 'Quiet');
		await graph.delete(`/users/${ALICE}/events/${ev.id}`);
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => i.changeType)).toEqual(['deleted']);

		receiver.clear();
		const folder = await graph.post<{ id: string }>(`/users/${BOB}/contactFolders`, { displayName: 'LN CRM' });
		await subscribe({ resource: `/users/${BOB}/contactFolders/${folder.body.id}/contacts` });
		await graph.post(`/users/${BOB}/contacts`, { givenName: 'Default folder' });
		const c = await graph.post<{ id: string }>(`/users/${BOB}/contactFolders/${folder.body.id}/contacts`, { givenName: 'In folder' });
		await emulator.flushNotifications();
		const items = receiver.items();
		expect(items).toHaveLength(1);
		expect(items[0].resource).toMatch(/^Users\/[0-9a-f-]+\/Contacts\//);
		expect((items[0].resourceData as { id: string; '@odata.type': string })).toMatchObject({ id: c.body.id, '@odata.type': '#Microsoft.Graph.Contact' });
	});

	it('retries a failed delivery with back-off and records each attempt', async () => {
		await subscribe();
		receiver.failNext = 2;
		await createEvent(ALICE, 'Retry me');
		await emulator.flushNotifications();
		expect(receiver.items()).toHaveLength(1);
		expect(emulator.notificationDeliveries().map((d) => d.status)).toEqual([500, 500, 202]);
		const viaControl = await control(emulator, 'GET', 'deliveries');
		expect((viaControl.body as { value: unknown[] }).value).toHaveLength(3);
	});

	it('duplicates, reorders and drops notifications on request', async () => {
		await subscribe();
		emulator.setNotificationMode({ duplicate: 1 });
		await createEvent(ALICE, 'Twice');
		await emulator.flushNotifications();
		expect(receiver.items()).toHaveLength(2);

		receiver.clear();
		emulator.setNotificationMode({ duplicate: 0, reorder: true });
		const first = await createEvent(ALICE, 'First');
		const second = await createEvent(ALICE, 'Second');
		await emulator.flushNotifications();
		expect(receiver.items().map((i) => (i.resourceData as { id: string }).id)).toEqual([second.id, first.id]);

		receiver.clear();
		expect((await control(emulator, 'POST', 'notifications', { reorder: false, drop: 1 })).status).toBe(204);
		await createEvent(ALICE, 'Dropped');
		const kept = await createEvent(ALICE, 'Kept');
		expect((await control(emulator, 'POST', 'flush')).status).toBe(204);
		expect(receiver.items().map((i) => (i.resourceData as { id: string }).id)).toEqual([kept.id]);
	});

	it('sends lifecycle events to the lifecycle URL; subscriptionRemoved deletes the subscription', async () => {
		const sub = (await subscribe()).body;
		await emulator.fireLifecycle(sub.id!, 'reauthorizationRequired');
		expect(lifecycle.items()).toEqual([{
			subscriptionId: sub.id,
			subscriptionExpirationDateTime: sub.expirationDateTime,
			tenantId: emulator.tenantId,
			clientState: 'secret-client-state',
			lifecycleEvent: 'reauthorizationRequired',
		}]);
		expect((await control(emulator, 'POST', 'lifecycle', { subscriptionId: sub.id, event: 'missed' })).status).toBe(204);
		expect(lifecycle.items().map((i) => i.lifecycleEvent)).toEqual(['reauthorizationRequired', 'missed']);
		await emulator.fireLifecycle(sub.id!, 'subscriptionRemoved');
		expect((await graph.get(`/subscriptions/${sub.id}`)).status).toBe(404);
		expect(receiver.items()).toHaveLength(0);

		// Without a lifecycle URL the events go to the notification URL.
		const plain = (await subscribe({ lifecycleNotificationUrl: undefined, resource: `/users/${BOB}/events` })).body;
		await emulator.fireLifecycle(plain.id!, 'missed');
		expect(receiver.items().map((i) => i.lifecycleEvent)).toEqual(['missed']);
	});

	it('stops notifying after the subscription expired', async () => {
		await subscribe({ expirationDateTime: inMinutes(60) });
		emulator.clockOffsetMs = 61 * 60000;
		await graph.getToken();
		await createEvent(ALICE, 'Too late');
		await emulator.flushNotifications();
		expect(receiver.items()).toHaveLength(0);
	});
});
