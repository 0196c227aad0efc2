/**
 * Puts the package, its credentials and the shipped workflows into an n8n instance, pointed at the
 * emulators: what a user does after installing (community package, credentials, import), done
 * through n8n's own CLI.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
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

/**
 * Installs the tarball, imports the credentials and the three workflows (same ids: a re-run overwrites,
 * it never duplicates). Returns the LN webhook secret.
 */
export async function provision(instance: N8nInstance, options: { tarball?: string; env: EmulatorEnv; log?: (line: string) => void }): Promise<string> {
	const log = options.log ?? (() => {});
	// Without a tarball the package is already there (installed the way a test of an install path did).
	if (options.tarball) {
		const installed = await instance.installPackage(options.tarball);
		log(`installed ${path.basename(options.tarball)} into ${path.relative(PROJECT_DIR, path.dirname(path.dirname(installed.dir)))}`);
	}
	const secret = lnWebhookSecret(instance);
	await instance.importCredentials(syncCredentials(options.env, secret, statusLogin(instance), keptSecret(instance, 'shard-webhook-key')));
	// The alert first: the other two name it as their error workflow.
	await instance.importWorkflows([WORKFLOW_FILES.alert, WORKFLOW_FILES.pull, WORKFLOW_FILES.push]);
	log('imported 5 credentials and the alert, pull and push workflows');
	return secret;
}

/** Imports the pull workflow with these Settings values (same id: it replaces the shipped one). */
export async function importPullWith(instance: N8nInstance, values: Record<string, unknown>): Promise<void> {
	const file = path.join(instance.userFolder, 'pull-sync.json');
	const pull = JSON.parse(fs.readFileSync(WORKFLOW_FILES.pull, 'utf8')) as Parameters<typeof withSettings>[0];
	fs.writeFileSync(file, JSON.stringify(withSettings(pull, values), null, '\t'));
	try {
		await instance.importWorkflows([file]);
	} finally {
		fs.rmSync(file, { force: true });
	}
}
