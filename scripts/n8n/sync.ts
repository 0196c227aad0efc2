/** Runs the shipped workflows in an n8n instance through its CLI, and reads what they did. */
import type { CliExecution, N8nInstance } from './instance';
import { USERS_FAILED_NODE } from '../workflows/pull-sync';
import { PULL_ID, PUSH_ID } from './provision';

export interface PullRun {
	execution: CliExecution;
	/** The "Run report" items: one per sync user and a total. */
	report: Array<Record<string, unknown>>;
	ms: number;
	/** Why the execution ended in error when sync users failed (it does, after the report). */
	failed?: string;
}


/** The pull sync, once, with `n8n execute --id` (mode cli, from its manual trigger "Run now"). */
export async function runPull(instance: N8nInstance, env?: Record<string, string>): Promise<PullRun> {
	const started = Date.now();
	const execution = await instance.execute(PULL_ID, { endsInErrorAt: [USERS_FAILED_NODE], env });
	return pullRun(instance, execution, started);
}

/** The pull sync, once, inside the running n8n ("Run now", as from the editor): n8n's modules, the history Data Table among them, are there. */
export async function runPullInN8n(instance: N8nInstance): Promise<PullRun> {
	const started = Date.now();
	const execution = await instance.run(PULL_ID, 'Run now', { endsInErrorAt: [USERS_FAILED_NODE] });
	return pullRun(instance, execution, started);
}

function pullRun(instance: N8nInstance, execution: CliExecution, started: number): PullRun {
	const report = execution.output('Run report');
	if (!report.length) {
		throw new Error(
			`The pull sync ran (n8n ${instance.version}) but its "Run report" node did not: nodes run: ${execution.nodesRun.join(', ') || 'none'}` +
				`${execution.error ? `; error: ${execution.error}` : ''}${execution.nodeErrors.length ? `; node errors: ${JSON.stringify(execution.nodeErrors)}` : ''}`,
		);
	}
	return { execution, report, ms: Date.now() - started, ...(execution.error ? { failed: execution.error } : {}) };
}

/**
 * The push workflow's maintenance path ("Run now" → LN sync users → Keep subscriptions), with
 * `n8n execute`: subscribes each sync user's calendar to this n8n's Graph trigger URL.
 */
export async function subscribeSyncUsers(instance: N8nInstance): Promise<Array<{ mailbox: string; action: string }>> {
	const execution = await instance.execute(PUSH_ID);
	const kept = execution.output('Keep subscriptions');
	if (!kept.length) {
		throw new Error(
			`The push workflow's maintenance path did not reach "Keep subscriptions" (n8n ${instance.version}): nodes run: ${execution.nodesRun.join(', ')}` +
				`${execution.error ? `; error: ${execution.error}` : ''}`,
		);
	}
	return kept.map((item) => ({ mailbox: String(item.mailbox), action: String(item.action ?? item.error ?? '?') }));
}
