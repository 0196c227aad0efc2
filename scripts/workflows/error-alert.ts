import { CREDENTIALS, ours, setNode, sticky, WorkflowBuilder, type Workflow } from './builder';

export const ALERT_WORKFLOW_ID = 'lnExchangeAlert1';

/**
 * The error workflow of the pull and push workflows: when one of their executions fails (a sync user
 * failed, or the run itself), the administrator gets a mail with what failed and a link to it, sent
 * from a service mailbox through Microsoft Graph.
 */
export function errorAlertWorkflow(): Workflow {
	const w = new WorkflowBuilder(ALERT_WORKFLOW_ID, 'LN ⇄ Exchange: alert on failure');
	w.add(sticky('About', [
		'## Alert on failure',
		'The **error workflow** of the pull and push workflows (their *Settings → Error workflow*): n8n starts it when one of their executions fails.',
		'Set the sender (a service mailbox) and the administrators in **Settings**.',
		'',
		'**Credentials:** *Microsoft Graph (app-only)* on **Mail the administrators**; its app needs **Mail.Send**, limited to the sender with RBAC for Applications (see the README).',
	].join('\n'), [-240, -300], 560, 240, 5));
	w.add({ name: 'A sync run failed', type: 'n8n-nodes-base.errorTrigger', typeVersion: 1, position: [-200, 60], parameters: {} });
	w.add(setNode('Settings', [60, 60], { from: 'ln-sync@contoso.com', to: 'ln-admin@contoso.com' }, true));
	w.add({
		name: 'Mail the administrators',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [320, 60],
		credentials: CREDENTIALS.graph,
		parameters: {
			resource: 'mail',
			operation: 'send',
			mailbox: { __rl: true, mode: 'email', value: '={{ $json.from }}' },
			to: '={{ $json.to }}',
			subject: '={{ $json.workflow.name + " failed: " + String($json.execution?.error?.message ?? $json.trigger?.error?.message ?? "see n8n").slice(0, 160) }}',
			body: [
				'={{ [',
				'$json.workflow.name + " failed.",',
				'"",',
				'"What failed: " + ($json.execution?.error?.message ?? $json.trigger?.error?.message ?? "unknown"),',
				'"Where: node \\"" + ($json.execution?.lastNodeExecuted ?? "?") + "\\", execution " + ($json.execution?.id ?? "(none: the trigger failed)") + ", mode " + ($json.execution?.mode ?? $json.trigger?.mode ?? "?"),',
				'$json.execution?.url ? "See it in n8n: " + $json.execution.url : "",',
				'"",',
				'"The run report (one line per sync user: counts, skipped items, errors with their class) is the output of the Run report node of that execution."',
				"].join('\\n') }}",
			].join(' '),
			bodyType: 'text',
		},
	});
	w.connect('A sync run failed', 'Settings').connect('Settings', 'Mail the administrators');
	return w.build();
}
