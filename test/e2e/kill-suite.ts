/**
 * The n8n process killed in the middle of a pull, then the pull run again (issue: reliability). The
 * links live in Exchange and LN, so the second run finds what the killed one wrote and finishes the
 * job: the end state equals that of one clean pull on the same tenant.
 */
import { PULL_ID } from '../../scripts/n8n/provision';
import { runPull } from '../../scripts/n8n/sync';
import type { Environment } from '../harness/environment';
import { endState } from '../workflows/workflow-helpers';
import { freshTenant, type N8nContext } from './n8n-context';

export function describeKill(context: N8nContext): void {
	describe('the n8n process killed in the middle of a pull', () => {
		const emulators = () => ({ ln: context.emulators.ln, graph: context.emulators.graph }) as unknown as Environment;
		/** Writes so far, in both systems (each request inside a $batch counts). */
		const writes = () =>
			context.emulators.graph.log.all().filter((r) => r.method !== 'GET' && !r.path.endsWith('/token') && !r.path.endsWith('$batch')).length +
			context.emulators.ln.log.all().filter((r) => r.method !== 'GET' && !r.path.includes('token')).length;

		it('runs the pull again and ends where one clean pull ends: nothing duplicated, nothing lost', async () => {
			freshTenant(context.emulators);
			await runPull(context.instance);
			const clean = endState(emulators());
			const cleanWrites = writes();
			expect(cleanWrites).toBeGreaterThan(10);

			freshTenant(context.emulators);
			const killed = await context.instance.cli(['execute', `--id=${PULL_ID}`, '--rawOutput'], {
				env: { N8N_LOG_LEVEL: 'info' },
				timeoutMs: 600_000,
				killWhen: () => writes() >= Math.ceil(cleanWrites / 2),
			});
			expect(killed.signal).toBe('SIGKILL');
			const interrupted = endState(emulators());
			expect(interrupted).not.toEqual(clean);
			process.stdout.write(`[e2e] pull killed after ${writes()} of ${cleanWrites} writes\n`);

			const again = await runPull(context.instance);
			expect(endState(emulators())).toEqual(clean);
			const total = again.report.find((r) => r.kind === 'total') as { errors: unknown[] };
			expect(total.errors).toEqual([]);
		}, 900_000);
	});
}
