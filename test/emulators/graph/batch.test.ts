import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, CAROL, RawGraph, hour, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;

interface InnerResponse {
	id: string;
	status: number;
	headers: Record<string, string>;
	body?: { id?: string; subject?: string; value?: unknown[]; error?: { code: string; message: string } };
}
type BatchBody = { responses: InnerResponse[]; error?: { code: string; message: string } };

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
	emulator.faults.clear();
	emulator.log.clear();
	emulator.setThrottling({ concurrencyPerMailbox: 4, budget: { requests: 10000, windowMs: 600000 }, retryAfterSeconds: 1 });
});

const byId = (body: BatchBody): Map<string, InnerResponse> => new Map(body.responses.map((r) => [r.id, r]));

describe('$batch', () => {
	it('runs inner requests with the outer token, with or without a leading slash', async () => {
		const res = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: '1', method: 'POST', url: `/users/${ALICE}/events`, headers: { 'Content-Type': 'application/json' }, body: { subject: 'From batch', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') } },
				{ id: '2', method: 'GET', url: `users/${BOB}/events` },
				{ id: '3', method: 'GET', url: '/users/nobody@contoso.com/events' },
			],
		});
		expect(res.status).toBe(200);
		const responses = byId(res.body);
		expect(responses.get('1')?.status).toBe(201);
		expect(responses.get('1')?.body?.subject).toBe('From batch');
		expect(responses.get('2')?.status).toBe(200);
		expect(responses.get('3')?.status).toBe(404);
		expect(responses.get('3')?.body?.error?.code).toBe('ErrorInvalidUser');
		expect(emulator.events(ALICE)).toHaveLength(1);
		// The batch needs a valid token itself.
		expect((await graph.call('POST', '/$batch', { body: { requests: [{ id: '1', method: 'GET', url: '/users' }] }, token: 'x.y.z' })).status).toBe(401);
	});

	it('rejects more than 20 requests, duplicate ids and a body without Content-Type', async () => {
		const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${ALICE}/events` }));
		expect((await graph.post('/$batch', { requests: many })).status).toBe(400);
		expect((await graph.post<BatchBody>('/$batch', { requests: many.slice(0, 20) })).status).toBe(200);
		const dup = await graph.post('/$batch', { requests: [{ id: '1', method: 'GET', url: '/users' }, { id: '1', method: 'GET', url: '/users' }] });
		expect(dup.status).toBe(400);
		const noType = await graph.post('/$batch', { requests: [{ id: '1', method: 'POST', url: `/users/${ALICE}/events`, body: { subject: 'x' } }] });
		expect(noType.status).toBe(400);
	});

	it('orders by dependsOn and answers 424 when a dependency failed', async () => {
		emulator.faults.add({ kind: 'status', status: 503, match: { method: 'GET', path: `/users/${CAROL}/events` } });
		const res = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: 'b', method: 'PATCH', url: `/users/${ALICE}/events/PLACEHOLDER`, dependsOn: ['a'], headers: { 'content-type': 'application/json' }, body: { subject: 'x' } },
				{ id: 'a', method: 'GET', url: `/users/${CAROL}/events` },
				{ id: 'c', method: 'GET', url: `/users/${BOB}/events`, dependsOn: ['b'] },
				{ id: 'd', method: 'GET', url: `/users/${BOB}/events` },
			],
		});
		const responses = byId(res.body);
		expect(responses.get('a')?.status).toBe(503);
		expect(responses.get('b')?.status).toBe(424);
		expect(responses.get('c')?.status).toBe(424);
		expect(responses.get('d')?.status).toBe(200);

		const ok = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: '2', method: 'GET', url: `/users/${ALICE}/events?$select=subject`, dependsOn: ['1'] },
				{ id: '1', method: 'POST', url: `/users/${ALICE}/events`, headers: { 'content-type': 'application/json' }, body: { subject: 'First', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') } },
			],
		});
		const okResponses = byId(ok.body);
		expect(okResponses.get('1')?.status).toBe(201);
		expect(okResponses.get('2')?.body?.value).toHaveLength(1);
		expect(ok.body.responses.map((r) => r.id)).toEqual(['1', '2']);
		const unknownDep = await graph.post('/$batch', { requests: [{ id: '1', method: 'GET', url: '/users', dependsOn: ['9'] }] });
		expect(unknownDep.status).toBe(400);
	});

	it('runs at most 4 inner requests at once and logs them with batchSeq', async () => {
		emulator.faults.add({ kind: 'latency', latencyMs: 80, times: 0, match: { path: '/events' } });
		const mailboxes = [ALICE, BOB, CAROL];
		const requests = Array.from({ length: 8 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${mailboxes[i % 3]}/events` }));
		const started = Date.now();
		const res = await graph.post<BatchBody>('/$batch', { requests });
		const elapsed = Date.now() - started;
		expect(res.body.responses.every((r) => r.status === 200)).toBe(true);
		expect(elapsed).toBeGreaterThanOrEqual(150);
		const entries = emulator.log.all();
		const outer = entries.find((e) => e.path === '/v1.0/$batch')!;
		const inner = entries.filter((e) => e.batchSeq !== undefined);
		expect(inner).toHaveLength(8);
		expect(inner.every((e) => e.batchSeq === outer.seq)).toBe(true);
		let maxOverlap = 0;
		for (const e of inner) {
			const at = e.startedAt + 1;
			const overlap = inner.filter((o) => o.startedAt <= at && o.startedAt + o.durationMs > at).length;
			maxOverlap = Math.max(maxOverlap, overlap);
		}
		expect(maxOverlap).toBe(4);
		// Inner requests are counted under their batch.
		expect(emulator.log.counts().byKind).toEqual({ 'POST $batch': 1 });
	});

	it('throttles inner requests like direct ones: 429 with its own Retry-After', async () => {
		emulator.setThrottling({ concurrencyPerMailbox: 1, retryAfterSeconds: 3 });
		emulator.faults.add({ kind: 'latency', latencyMs: 100, times: 0, match: { mailbox: ALICE } });
		const res = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: '1', method: 'GET', url: `/users/${ALICE}/events` },
				{ id: '2', method: 'GET', url: `/users/${ALICE}/events` },
			],
		});
		const statuses = res.body.responses.map((r) => r.status).sort();
		expect(statuses).toEqual([200, 429]);
		const throttled = res.body.responses.find((r) => r.status === 429)!;
		expect(throttled.headers['Retry-After']).toBe('3');
		expect(throttled.body?.error?.code).toBe('ApplicationThrottled');

		emulator.faults.clear();
		emulator.setThrottling({ concurrencyPerMailbox: 4, budget: { requests: 2, windowMs: 60000 } });
		await graph.get(`/users/${BOB}/events`);
		const budget = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: '1', method: 'GET', url: `/users/${BOB}/events` },
				{ id: '2', method: 'GET', url: `/users/${BOB}/events`, dependsOn: ['1'] },
			],
		});
		const r = byId(budget.body);
		expect(r.get('1')?.status).toBe(200);
		expect(r.get('2')?.status).toBe(429);
		expect(Number(r.get('2')?.headers['Retry-After'])).toBeGreaterThan(50);
		const third = await graph.get(`/users/${BOB}/events`);
		expect(third.status).toBe(429);
		expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(50);
	});

	it('applies fault rules that match the inner URL', async () => {
		emulator.faults.add({ kind: 'status', status: 500, match: { path: '^/v1.0/users/bob@contoso.com/events$' } });
		emulator.faults.add({ kind: 'lostResponse', match: { method: 'POST', mailbox: CAROL } });
		const res = await graph.post<BatchBody>('/$batch', {
			requests: [
				{ id: '1', method: 'GET', url: `/users/${BOB}/events` },
				{ id: '2', method: 'POST', url: `/users/${CAROL}/events`, headers: { 'content-type': 'application/json' }, body: { subject: 'Lost', start: hour('2026-03-01', '09:00'), end: hour('2026-03-01', '10:00') } },
			],
		});
		const r = byId(res.body);
		expect(r.get('1')?.status).toBe(500);
		expect(r.get('2')?.status).toBe(504);
		// The write behind the lost response was committed.
		expect(emulator.events(CAROL).map((e) => e.subject)).toEqual(['Lost']);
		expect(emulator.log.all().filter((e) => e.fault).map((e) => e.fault).sort()).toEqual(['lostResponse', 'status 500']);
	});
});
