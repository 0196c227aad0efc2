import type { INode } from 'n8n-workflow';

import type { RunResult, WorkflowJson } from '../harness/workflow-runner';
import { failedUsersOnly, runPullExpectingFailures, scenarioEnvironment, shipped, withSettings } from './workflow-helpers';

// The alert (issue 18, point 2): the error workflow of both shipped workflows mails the administrators.
const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');
const alert = shipped('error-alert.json');

/** The alert workflow with its settings: the sender and the administrators. */
const alertWith = (from: string, to: string) => withSettings(alert, { from, to });

/** What n8n hands the Error Trigger when an execution fails (n8n's executeErrorWorkflow). */
function errorTriggerInput(failed: RunResult, workflow: WorkflowJson) {
	return {
		execution: {
			id: failed.executionId,
			url: `http://localhost:5678/workflow/${workflow.id}/executions/${failed.executionId}`,
			error: { message: failed.error!.message, name: failed.error!.name },
			lastNodeExecuted: failed.run.data.resultData.lastNodeExecuted,
			mode: 'trigger',
		},
		workflow: { id: workflow.id, name: workflow.name },
	};
}

describe('the alert on failure', () => {
	it('is the error workflow of the pull and the push workflow', () => {
		expect((pull.settings as { errorWorkflow?: string }).errorWorkflow).toBe(alert.id);
		expect((push.settings as { errorWorkflow?: string }).errorWorkflow).toBe(alert.id);
		expect(alert.nodes.map((n: INode) => n.type)).toContain('n8n-nodes-base.errorTrigger');
	});

	it('mails the administrators who failed, with which kinds of error, and a link to the execution', async () => {
		const env = await scenarioEnvironment([pull, alert]);
		try {
			env.graph.seed({ ...env.scenario.graphSeed, users: env.scenario.graphSeed.users.map((u) => (u.mail === 'bob@contoso.com' ? { ...u, accessDenied: true } : u)) });
			const failed = await runPullExpectingFailures(env, pull);
			expect(failedUsersOnly(failed)).toBe(true);
			const sent = await env.runner.run(alertWith('zoe@contoso.com', 'ann@contoso.com, cat@contoso.com'), { startNode: 'A sync run failed', mode: 'error', inputItems: [{ json: errorTriggerInput(failed, pull) }] });
			expect(sent.error).toBeUndefined();
			const [mail] = env.graph.mails();
			expect(env.graph.mails()).toHaveLength(1);
			expect(mail.from).toBe('zoe@contoso.com');
			expect(mail.to).toEqual(['ann@contoso.com', 'cat@contoso.com']);
			expect(mail.subject).toMatch(/^LN ⇄ Exchange: pull sync failed: \d of 3 sync users failed: .*bob@contoso.com \(permission/);
			expect(mail.content).toContain(`execution ${failed.executionId}`);
			expect(mail.content).toContain(`See it in n8n: http://localhost:5678/workflow/${pull.id}/executions/${failed.executionId}`);
			expect(mail.content).toContain('node "Fail the execution"');
		} finally {
			await env.stop();
		}
	});

	it('names a wrong recipient before sending anything', async () => {
		const env = await scenarioEnvironment([alert]);
		try {
			const input = { execution: { id: '7', error: { message: 'boom' }, lastNodeExecuted: 'Run report', mode: 'trigger' }, workflow: { id: pull.id, name: pull.name } };
			const result = await env.runner.run(alertWith('zoe@contoso.com', 'not-an-address'), { startNode: 'A sync run failed', mode: 'error', inputItems: [{ json: input }] });
			expect(String(result.error?.message)).toMatch(/field To: "not-an-address" is not an e-mail address/);
			expect(env.graph.mails()).toEqual([]);
		} finally {
			await env.stop();
		}
	});
});
