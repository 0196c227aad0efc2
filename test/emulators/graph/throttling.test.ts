import type { GraphEmulator } from './emulator';
import { ALICE, BASE_SEED, BOB, RawGraph, control, startEmulator } from './test-helpers';

let emulator: GraphEmulator;
let graph: RawGraph;

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
	emulator.latencyMs = 0;
	emulator.clockOffsetMs = 0;
	emulator.faults.clear();
	emulator.setThrottling({ concurrencyPerMailbox: 4, budget: { requests: 10000, windowMs: 600000 }, retryAfterSeconds: 1 });
});

describe('mailbox concurrency', () => {
	it('answers one of 5 concurrent requests to a mailbox with 429 MailboxConcurrency and Retry-After', async () => {
		emulator.latencyMs = 150; // in-flight time includes the added latency
		const results = await Promise.all(Array.from({ length: 5 }, () => graph.get(`/users/${ALICE}/events`)));
		const throttled = results.filter((r) => r.status === 429);
		expect(results.filter((r) => r.status === 200)).toHaveLength(4);
		expect(throttled).toHaveLength(1);
		expect(throttled[0].headers.get('retry-after')).toBe('1');
		expect(throttled[0].body).toEqual({ error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } });
		// Another mailbox has its own limit; once the first requests are done there is room again.
		expect((await graph.get(`/users/${BOB}/events`)).status).toBe(200);
		expect((await graph.get(`/users/${ALICE}/events`)).status).toBe(200);
	});

	it('is configurable through the control route', async () => {
		expect((await control(emulator, 'POST', 'throttling', { concurrencyPerMailbox: 2, retryAfterSeconds: 7 })).status).toBe(204);
		emulator.latencyMs = 100;
		const results = await Promise.all(Array.from({ length: 3 }, () => graph.get(`/users/${ALICE}/events`)));
		const throttled = results.filter((r) => r.status === 429);
		expect(throttled).toHaveLength(1);
		expect(throttled[0].headers.get('retry-after')).toBe('7');
	});

	it('counts direct and inner $batch requests together', async () => {
		emulator.setThrottling({ concurrencyPerMailbox: 2 });
		emulator.faults.add({ kind: 'latency', latencyMs: 150, times: 0, match: { mailbox: ALICE } });
		let answered = false;
		const direct = graph.get(`/users/${ALICE}/events`).finally(() => (answered = true));
		// The batch goes once the direct request holds its slot (a fixed sleep could race a busy machine).
		const inFlight = () => Object.values((emulator.state() as { throttling: { inFlight: Record<string, number> } }).throttling.inFlight);
		while (inFlight().length === 0 && !answered) await new Promise((r) => setTimeout(r, 2));
		const batch = await graph.post<{ responses: Array<{ status: number }> }>('/$batch', {
			requests: [
				{ id: '1', method: 'GET', url: `/users/${ALICE}/events` },
				{ id: '2', method: 'GET', url: `/users/${ALICE}/calendarView?startDateTime=2026-01-01&endDateTime=2026-01-02` },
			],
		});
		expect((await direct).status).toBe(200);
		expect(batch.body.responses.map((r) => r.status).sort()).toEqual([200, 429]);
	});
});

describe('request budget', () => {
	it('answers 429 when the budget of the window is used, with Retry-After until the window frees', async () => {
		emulator.setThrottling({ budget: { requests: 3, windowMs: 60000 } });
		for (let i = 0; i < 3; i++) expect((await graph.get(`/users/${ALICE}/events`)).status).toBe(200);
		const over = await graph.get<{ error: { code: string } }>(`/users/${ALICE}/events`);
		expect(over.status).toBe(429);
		expect(over.body.error.code).toBe('ApplicationThrottled');
		const retryAfter = Number(over.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThanOrEqual(59);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect((await graph.get(`/users/${BOB}/events`)).status).toBe(200);
		// Time passes on the emulator clock: the window frees up.
		emulator.clockOffsetMs = 61000;
		expect((await graph.get(`/users/${ALICE}/events`)).status).toBe(200);
		expect((emulator.state() as { throttling: { rejected: { budget: number } } }).throttling.rejected.budget).toBe(1);
	});

	it('counts a sliding window: requests leave it one by one, in time order even when the clock was set back', async () => {
		emulator.setThrottling({ budget: { requests: 3, windowMs: 60000 } });
		const status = async (offsetMs: number) => {
			emulator.clockOffsetMs = offsetMs;
			return (await graph.get(`/users/${ALICE}/events`)).status;
		};
		expect([await status(0), await status(20000), await status(40000), await status(50000)]).toEqual([200, 200, 200, 429]);
		// At 61 s the first has left the window, at 81 s the second.
		expect([await status(61000), await status(62000), await status(81000)]).toEqual([200, 429, 200]);
		// A request made after the clock was set back leaves the window by its own time, not after the later one.
		emulator.setThrottling({ budget: { requests: 2, windowMs: 60000 } });
		expect([await status(100000), await status(50000)]).toEqual([200, 200]);
		expect([await status(111000), await status(112000)]).toEqual([200, 429]);
	});

	it('does not throttle directory or subscription requests', async () => {
		emulator.setThrottling({ budget: { requests: 1, windowMs: 60000 } });
		expect((await graph.get(`/users/${ALICE}/events`)).status).toBe(200);
		expect((await graph.get(`/users/${ALICE}`)).status).toBe(200);
		expect((await graph.get('/subscriptions')).status).toBe(200);
		expect((await graph.get(`/users/${ALICE}/events`)).status).toBe(429);
	});
});
