import fc from 'fast-check';

import { advanceClock, useRealClock, useShiftableClock } from '../harness/clock';
import { AFTER_EVERY_RUN, bothSidesAgree, convergesInOneRun, flagsSayWhatExists } from './invariants';
import { REGRESSIONS } from './regressions';
import { applyEdit, FAULTS, Model, stepArbitrary, type Step } from './steps';
import { World, type RunRecord } from './world';

/**
 * A model of the sync checked against random sequences of what users do on both sides, interleaved
 * with pulls (faults injected at random) and push rounds, through the shipped workflows against the
 * emulators. `npm test` runs a few sequences; `npm run test:model -- --runs N --seed S` many more,
 * and any failure prints its seed and shrunk sequence (replay with `--seed S --path P`, or `--replay` with `--at`).
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 5);
const MAX_STEPS = Number(process.env.MODEL_STEPS ?? 12);
const SEED = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined;
const PATH = process.env.MODEL_PATH || undefined;
/** A sequence to run as it is (the counterexample fast-check printed), and activities to print after each run. */
const REPLAY = process.env.MODEL_REPLAY ? (JSON.parse(process.env.MODEL_REPLAY) as [boolean, Step[]]) : undefined;
const WATCH = process.env.MODEL_WATCH?.split(',');
/** The clock a replayed sequence starts at (printed with every failure). */
const AT = process.env.MODEL_AT ? Date.parse(process.env.MODEL_AT) : undefined;

let world: World;
const stats = { sequences: 0, steps: 0, runs: 0, faults: 0 };

beforeAll(async () => {
	useShiftableClock();
	world = await World.create();
});
afterAll(async () => {
	await world?.stop();
	useRealClock();
	// eslint-disable-next-line no-console
	console.log(`model: ${stats.sequences} sequences, ${stats.steps} steps, ${stats.runs} runs (${stats.faults} with a fault)`);
});

class Broken extends Error {}

async function runSequence(push: boolean, steps: Step[]): Promise<void> {
	await world.reset(push);
	const model = new Model(world);
	// The clock runs on from sequence to sequence (times of day vary); a replay starts where this one did.
	const story: string[] = [`clock at ${new Date().toISOString()} (replay with --at)`];
	const check = (record: RunRecord, label: string) => {
		stats.runs++;
		if (WATCH) {
			// eslint-disable-next-line no-console
			console.log(label, JSON.stringify(record.after.activities.filter((a) => WATCH.includes(a.id))), record.writes);
		}
		if (record.fault) stats.faults++;
		story.push(`${label}${record.fault ? ` with ${record.fault}` : ''}: ${record.writes.graph.length} Graph and ${record.writes.ln.length} LN writes, ${record.messages.length} mails${record.errors.length ? `, errors: ${record.errors.join(' | ').slice(0, 300)}` : ''}`);
		for (const [name, invariant] of Object.entries(AFTER_EVERY_RUN)) {
			const found = invariant(record, model);
			if (found.length) throw new Broken(`${name} is broken after ${label}:\n  ${found.join('\n  ')}\n\nWhat happened:\n  ${story.join('\n  ')}`);
		}
		if (record.kind === 'pull' && record.clean) model.settledAfterCleanPull(record.braked);
	};
	advanceClock(60_000);
	check(await world.runPull(), 'first pull');
	for (const step of steps) {
		stats.steps++;
		if (step.kind === 'pull') {
			advanceClock(5 * 60_000);
			const fault = step.fault === null ? undefined : FAULTS[step.fault % FAULTS.length];
			const nth = step.fault === null ? 1 : 1 + Math.floor(step.fault / FAULTS.length);
			check(await world.runPull(fault && { system: fault.system, rule: fault.rule(nth), label: `${fault.label} (request ${nth})` }), 'pull');
		} else if (step.kind === 'push') {
			if (!push) continue;
			advanceClock(60_000);
			const messages = [...model.lnMessages].map(([activity, changeType]) => ({ activity, changeType }));
			model.lnMessages.clear();
			check(await world.runPush(messages), 'push');
		} else if (step.kind === 'wait') {
			advanceClock(step.minutes * 60_000);
			story.push(`${step.minutes} minutes later`);
		} else {
			story.push(applyEdit(step, world, model));
		}
	}
	// Edits stop: the first pull settles everything, the next writes nothing.
	advanceClock(10 * 60_000);
	check(await world.runPull(), 'settling pull');
	advanceClock(10 * 60_000);
	const second = await world.runPull();
	check(second, 'second pull');
	const endState = {
		convergesInOneRun: convergesInOneRun(second),
		flagsSayWhatExists: flagsSayWhatExists(second.after, second.braked, model.forgedEvents),
		bothSidesAgree: bothSidesAgree(second.after, model, second.braked),
	};
	for (const [name, found] of Object.entries(endState)) {
		if (found.length) throw new Broken(`${name} is broken once edits stopped:\n  ${found.join('\n  ')}\n\nWhat happened:\n  ${story.join('\n  ')}`);
	}
	stats.sequences++;
}

(REPLAY ? describe.skip : describe)('sequences that once failed', () => {
	it.each(REGRESSIONS.map((r) => [r.name, r.sequence, r.at] as const))('%s', async (_name, [push, steps], at) => {
		if (at) jest.setSystemTime(Date.parse(at));
		await runSequence(push, steps);
	}, 120_000);
});

(REPLAY ? it : it.skip)('replays one sequence (MODEL_REPLAY)', async () => {
	if (AT !== undefined) jest.setSystemTime(AT);
	await runSequence(REPLAY![0], REPLAY![1]);
}, 600_000);

(REPLAY ? it.skip : it)(`every edit sequence converges (${RUNS} sequences of up to ${MAX_STEPS} steps)`, async () => {
	await fc.assert(
		fc.asyncProperty(fc.boolean(), fc.array(stepArbitrary(), { minLength: 1, maxLength: MAX_STEPS }), async (push, steps) => {
			await runSequence(push, steps);
		}),
		{ numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: !process.env.MODEL_SHRINK, verbose: 1 },
	);
}, Math.max(120_000, RUNS * MAX_STEPS * 20_000));
