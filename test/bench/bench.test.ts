/**
 * `npm run bench -- --size s` end to end: the shipped pull workflow and the stock-node peer on a
 * generated tenant, three runs each, in child processes. Checks the shape of the JSON line the
 * command ends with (the figures themselves are measurements, see docs/performance.md).
 * Needs the built package (`npm run build`), like the workflow tests.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const PHASES = ['first', 'noChange', 'change'];

interface Side {
	requests: number;
	byKind: Record<string, number>;
	writes: number;
	writesByKind: Record<string, number>;
	requestsPerItemWritten: number | null;
}

interface Run {
	phase: string;
	wallMs: number;
	peakRssMb: number;
	cpuMs: { workflow: number; emulators: number };
	graph: Side & { perMailbox: { max: number; mean: number } };
	ln: Side & { readPages: number };
	writes: number;
	requestsPerItemWritten: number | null;
	mutation?: Record<string, number>;
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn('npm', ['run', '--silent', 'bench', '--', ...args], { cwd: ROOT, env: process.env });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

function expectSide(side: Side): void {
	expect(Number.isInteger(side.requests)).toBe(true);
	expect(Number.isInteger(side.writes)).toBe(true);
	expect(side.requests).toBeGreaterThan(0);
	expect(Object.values(side.byKind).reduce((a, b) => a + b, 0)).toBe(side.requests);
	expect(Object.values(side.writesByKind).reduce((a, b) => a + b, 0)).toBe(side.writes);
	if (side.writes > 0) expect(side.requestsPerItemWritten).toBeCloseTo(side.requests / side.writes, 2);
	else expect(side.requestsPerItemWritten).toBeNull();
}

function expectRuns(runs: Run[]): void {
	expect(runs.map((r) => r.phase)).toEqual(PHASES);
	for (const run of runs) {
		expect(run.wallMs).toBeGreaterThan(0);
		expect(run.peakRssMb).toBeGreaterThan(50);
		expect(run.peakRssMb).toBeLessThan(4096);
		expectSide(run.graph);
		expectSide(run.ln);
		expect(run.writes).toBe(run.graph.writes + run.ln.writes);
		expect(typeof run.graph.perMailbox.max).toBe('number');
		expect(typeof run.ln.readPages).toBe('number');
	}
	expect(runs[0].writes).toBeGreaterThan(0);
	expect(runs[2].mutation).toEqual(expect.objectContaining({ lnActivities: expect.any(Number), lnContacts: expect.any(Number), graphUpdated: expect.any(Number), graphCreated: expect.any(Number) }));
}

describe('npm run bench -- --size s', () => {
	let result: Awaited<ReturnType<typeof runBench>>;
	let json: Record<string, any>;

	beforeAll(async () => {
		result = await runBench(['--size', 's', '--latency-ms', '0']);
		const lines = result.stdout.trim().split('\n');
		json = JSON.parse(lines[lines.length - 1]);
	}, 120_000);

	it('ends well and prints the tables before the JSON line', () => {
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/PRODUCT — workflows\/pull-sync\.json/);
		expect(result.stdout).toMatch(/PEER — stock Microsoft Outlook node/);
		expect(result.stdout).toMatch(/TARGETS/);
	});

	it('describes the size-s tenant, the latency and the machine', () => {
		expect(json).toMatchObject({
			bench: 'pull-sync',
			size: 's',
			tenant: { users: 10, contacts: 200, activities: 100, events: 100, attendeesPerActivity: 3 },
			latencyMs: 0,
			machine: { cpus: expect.any(Number), node: expect.any(String) },
		});
	});

	it('has three runs of the product: first sync, no change, 1 % change', () => {
		expectRuns(json.product.runs);
		// A run with nothing to do writes nothing (the product's own promise).
		expect(json.product.runs[1].writes).toBe(0);
	});

	it('has three runs of the peer on the same data, measured for 2 users and scaled to all, and the ratios', () => {
		expect(json.peer).toMatchObject({ scaled: true, sampleUsers: 2, users: json.product.runs[0].graph.mailboxes });
		expect(json.peer.scale).toBeCloseTo(json.peer.users / 2, 5);
		expectRuns(json.peer.measured);
		expectRuns(json.peer.runs);
		json.peer.runs.forEach((run: Run, index: number) => {
			const measured: Run = json.peer.measured[index];
			expect(Math.abs(run.graph.requests / (measured.graph.requests * json.peer.scale) - 1)).toBeLessThan(0.01);
			expect(Math.abs(run.wallMs / (measured.wallMs * json.peer.scale) - 1)).toBeLessThan(0.01);
			expect(run.peakRssMb).toBe(measured.peakRssMb);
		});
		for (const phase of PHASES) {
			expect(json.ratios[phase]).toEqual({ graphRequests: expect.any(Number), lnRequests: expect.any(Number), wallTime: expect.any(Number) });
		}
	});

	it('states the targets with their figures', () => {
		expect(json.targets.length).toBeGreaterThanOrEqual(7);
		for (const target of json.targets) {
			expect(Object.keys(target).sort()).toEqual(['figures', 'met', 'target']);
			expect(typeof target.target).toBe('string');
			expect(typeof target.figures).toBe('string');
			expect([true, false, null]).toContain(target.met);
		}
	});

	it("judges the first sync against the machine's limit from the figures it records", () => {
		const first: Run = json.product.runs[0];
		const nearLimit = json.targets.find((t: { target: string }) => t.target.startsWith("first sync near the machine's limit"));
		const cpuPerCore = (first.cpuMs.workflow + first.cpuMs.emulators) / 1000 / json.machine.cpus;
		expect(nearLimit.met).toBe(first.wallMs / 1000 <= 1.3 * cpuPerCore);
		expect(nearLimit.figures).toContain(`÷ ${json.machine.cpus} =`);
	});
});

describe('npm run bench -- --side-by-side (one process answering its own shard posts)', () => {
	let json: Record<string, any>;
	let result: Awaited<ReturnType<typeof runBench>>;

	beforeAll(async () => {
		result = await runBench(['--users', '4', '--contacts', '30', '--activities', '12', '--events', '12', '--latency-ms', '0', '--no-peer', '--side-by-side', '--users-per-shard', '2']);
		const lines = result.stdout.trim().split('\n');
		json = JSON.parse(lines[lines.length - 1]);
	}, 120_000);

	it("runs each shard's contact folders and calendars as jobs of their own, every user reported", () => {
		expect(result.code).toBe(0);
		expect(json.mode).toBe('sideBySide');
		expectRuns(json.product.runs);
		const [first] = json.product.runs;
		// 4 sync users and the one the app may not access: 3 shards of 2, two jobs each, and the pull (the
		// first sync also checks users again, in one more execution).
		expect(json.product.runs[1].executions).toBe(1 + 3 * 2);
		expect(first.report.users).toBe(5);
		expect(first.report.counts.contactsCreated).toBeGreaterThan(0);
		expect(first.report.errorKinds.map((kind: { example: string }) => kind.example).join('\n')).not.toMatch(/no report came back/);
		// Each contact folders job reads LN's contacts for its shard: the no-change target counts them.
		expect(json.product.lnPagesNeeded.contactsChangedSince).toBe(3);
		expect(json.product.runs[1].ln.byKind['GET Contacts']).toBe(json.product.lnPagesNeeded.contactsAll);
	});
});
