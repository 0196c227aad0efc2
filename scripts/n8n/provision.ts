/**
 * Puts the package, its credentials and the shipped workflows into an n8n instance, pointed at the
 * emulators: what a user does after installing (community package, credentials, import), done
 * through n8n's own CLI.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { EmulatorEnv } from '../../test/emulators/cli';
import { CREDENTIALS, withSettings } from '../workflows/builder';
import { PROJECT_DIR } from './install';
import type { ImportCredential, N8nInstance } from './instance';

export const WORKFLOW_FILES = {
	pull: path.join(PROJECT_DIR, 'workflows', 'pull-sync.json'),
	push: path.join(PROJECT_DIR, 'workflows', 'push-sync.json'),
	alert: path.join(PROJECT_DIR, 'workflows', 'error-alert.json'),
};

function workflowId(file: string): string {
	return (JSON.parse(fs.readFileSync(file, 'utf8')) as { id: string }).id;
}

export const PULL_ID = workflowId(WORKFLOW_FILES.pull);
export const PUSH_ID = workflowId(WORKFLOW_FILES.push);
export const ALERT_ID = workflowId(WORKFLOW_FILES.alert);

/** The header LN sends its secret in (the push workflow's "LN changed" webhook, Header Auth). */
export const LN_WEBHOOK_HEADER = 'X-LN-Webhook-Secret';
/** Paths of the push workflow's webhooks (under <WEBHOOK_URL>webhook/). */
export const LN_WEBHOOK_PATH = 'ln-exchange-sync/ln';
export const GRAPH_TRIGGER_PATH = 'ln-exchange-sync/graph';
export { STATUS_PAGE_PATH } from '../workflows/history';

/** The status page's login (HTTP Basic Auth, the "Status page login" credential). */
export interface StatusLogin {
	user: string;
	password: string;
}

/** The credentials the shipped workflows reference (same ids), with the emulators' values. */
/** The header the pull's shard webhook checks (credential "Shard webhook key", shared by the post and the webhook). */
export const SHARD_KEY_HEADER = 'X-Shard-Key';

export function syncCredentials(env: EmulatorEnv, lnWebhookSecret: string, statusLogin: StatusLogin, shardKey: string): ImportCredential[] {
	const ln = CREDENTIALS.ln.inforLnIonApi;
	const graph = CREDENTIALS.graph.microsoftGraphAppOnlyApi;
	const hook = CREDENTIALS.lnWebhook.inforLnWebhookApi;
	return [
		{ id: ln.id, name: ln.name, type: 'inforLnIonApi', data: { inputMode: 'file', ionapiSecretFile: env.LN_IONAPI, company: env.LN_COMPANY, language: '', allowLoopbackHttp: true } },
		{
			id: graph.id,
			name: graph.name,
			type: 'microsoftGraphAppOnlyApi',
			data: {
				tenantId: env.GRAPH_TENANT_ID,
				clientId: env.GRAPH_CLIENT_ID,
				clientSecret: env.GRAPH_CLIENT_SECRET,
				cloud: 'custom',
				graphBaseUrl: env.GRAPH_BASE_URL,
				loginUrl: env.GRAPH_LOGIN_URL,
			},
		},
		{ id: hook.id, name: hook.name, type: 'inforLnWebhookApi', data: { authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: lnWebhookSecret } },
		{ id: CREDENTIALS.statusPage.httpBasicAuth.id, name: CREDENTIALS.statusPage.httpBasicAuth.name, type: 'httpBasicAuth', data: { ...statusLogin } },
		{ id: CREDENTIALS.shardKey.httpHeaderAuth.id, name: CREDENTIALS.shardKey.httpHeaderAuth.name, type: 'httpHeaderAuth', data: { name: SHARD_KEY_HEADER, value: shardKey } },
	];
}

/** A secret of an instance: made once, kept in its user folder. */
function keptSecret(instance: N8nInstance, name: string): string {
	const file = path.join(instance.userFolder, name);
	try {
		const secret = fs.readFileSync(file, 'utf8').trim();
		if (secret) return secret;
	} catch {
		// first run
	}
	const secret = randomBytes(18).toString('base64url');
	fs.writeFileSync(file, secret, { mode: 0o600 });
	return secret;
}

/** The LN webhook secret of an instance. */
export function lnWebhookSecret(instance: N8nInstance): string {
	return keptSecret(instance, 'ln-webhook-secret');
}

/** The status page's login of an instance. */
export function statusLogin(instance: N8nInstance): StatusLogin {
	return { user: 'ln-admin', password: keptSecret(instance, 'status-page-password') };
}

type WorkflowJson = { nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }> };

/** The workflow's hourly schedules due at `minute` past the hour (n8n picks a random minute when none is set). */
export function scheduledAt<T extends WorkflowJson>(workflow: T, minute: number): T {
	const due = (interval: Record<string, unknown>) => (interval.field === 'hours' ? { ...interval, triggerAtMinute: minute } : interval);
	return {
		...workflow,
		nodes: workflow.nodes.map((node) => {
			const rule = node.parameters.rule as { interval?: Array<Record<string, unknown>> } | undefined;
			if (node.type !== 'n8n-nodes-base.scheduleTrigger' || !rule?.interval) return node;
			return { ...node, parameters: { ...node.parameters, rule: { ...rule, interval: rule.interval.map(due) } } };
		}),
	};
}

/**
 * For tests: the minute just gone (UTC; n8n's zone here is a whole-hour one), as the schedules' minute
 * past the hour, so that the next scheduled run is almost an hour away and n8n does not start a pull of
 * its own in the middle of a test.
 */
export function minuteJustGone(): number {
	return (new Date().getUTCMinutes() + 59) % 60;
}

/** Imports shipped workflow files, their schedules due at `schedulesAt` past the hour when given. */
async function importShipped(instance: N8nInstance, files: string[], schedulesAt?: number, edit: (workflow: WorkflowJson) => WorkflowJson = (w) => w): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflows-'));
	const written = files.map((file) => {
		const workflow = edit(JSON.parse(fs.readFileSync(file, 'utf8')) as WorkflowJson);
		const target = path.join(dir, path.basename(file));
		fs.writeFileSync(target, JSON.stringify(schedulesAt === undefined ? workflow : scheduledAt(workflow, schedulesAt), null, '\t'));
		return target;
	});
	try {
		await instance.importWorkflows(written);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * Installs the tarball, imports the credentials and the three workflows (same ids: a re-run overwrites,
 * it never duplicates). Returns the LN webhook secret.
 * `schedulesAt`: the minute past the hour the schedules are due (tests; see minuteJustGone).
 */
export async function provision(instance: N8nInstance, options: { tarball?: string; env: EmulatorEnv; log?: (line: string) => void; schedulesAt?: number }): Promise<string> {
	const log = options.log ?? (() => {});
	// Without a tarball the package is already there (installed the way a test of an install path did).
	if (options.tarball) {
		const installed = await instance.installPackage(options.tarball);
		log(`installed ${path.basename(options.tarball)} into ${path.relative(PROJECT_DIR, path.dirname(path.dirname(installed.dir)))}`);
	}
	const secret = lnWebhookSecret(instance);
	await instance.importCredentials(syncCredentials(options.env, secret, statusLogin(instance), keptSecret(instance, 'shard-webhook-key')));
	// The alert first: the other two name it as their error workflow.
	await importShipped(instance, [WORKFLOW_FILES.alert, WORKFLOW_FILES.pull, WORKFLOW_FILES.push], options.schedulesAt);
	log(`imported 5 credentials and the alert, pull and push workflows${options.schedulesAt === undefined ? '' : ` (schedules due at minute ${options.schedulesAt})`}`);
	return secret;
}

/** Imports the pull workflow with these Settings values (same id: it replaces the shipped one). */
export async function importPullWith(instance: N8nInstance, values: Record<string, unknown>, schedulesAt?: number): Promise<void> {
	await importShipped(instance, [WORKFLOW_FILES.pull], schedulesAt, (pull) => withSettings(pull, values));
}
