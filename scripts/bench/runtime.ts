/**
 * What the benchmark's workflow process needs around the test harness: node types loaded the way
 * n8n loads them (stock nodes from n8n-nodes-base, ours from the built package) and credentials that
 * point at the emulators. Kept here, in the bench, so nothing of it reaches the product.
 */
import * as path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject, INodeType, IVersionedNodeType } from 'n8n-workflow';

import { NodeTypeRegistry, PlainCredentials, type WorkflowJson } from '../../test/harness/workflow-runner';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ourPackage = require(path.join(ROOT, 'package.json')) as { name: string; n8n: { nodes: string[] } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stockPackage = require('n8n-nodes-base/package.json') as { n8n: { nodes: string[] } };

export const PACKAGE = ourPackage.name;
const STOCK_PREFIX = 'n8n-nodes-base.';

/** Where the emulators are and how to log in, as the parent process tells the workflow process. */
export interface EmulatorAccess {
	/** `maxConcurrentRequests`: the LN credential's request cap (its default when absent). */
	ln: { ionapi: IDataObject; company: string; maxConcurrentRequests?: number };
	graph: { url: string; loginUrl: string; tenantId: string; clientId: string; clientSecret: string };
}

function loadClass(file: string, className?: string): INodeType | IVersionedNodeType {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const module = require(file) as Record<string, new () => INodeType | IVersionedNodeType>;
	const Type = className ? module[className] : Object.values(module)[0];
	if (!Type) throw new Error(`No node class in ${file}`);
	return new Type();
}

/**
 * The node types the given workflows use: stock ones looked up in n8n-nodes-base's own list (the
 * file is named after the type, as n8n's loader expects), ours from `dist/` (run `npm run build`)
 * or a copy of it.
 */
export function registryFor(workflows: WorkflowJson[], distDir = path.join(ROOT, 'dist')): NodeTypeRegistry {
	const registry = new NodeTypeRegistry();
	const stockFiles = new Map<string, string>();
	for (const file of stockPackage.n8n.nodes) stockFiles.set(path.basename(file).replace(/\.node\.js$/, '').toLowerCase(), file);
	const wanted = new Set(workflows.flatMap((w) => w.nodes.map((n) => n.type)));
	for (const type of wanted) {
		if (!type.startsWith(STOCK_PREFIX)) continue;
		const file = stockFiles.get(type.slice(STOCK_PREFIX.length).toLowerCase());
		if (!file) throw new Error(`Stock node ${type} not found in n8n-nodes-base`);
		registry.register(type, loadClass(require.resolve(`n8n-nodes-base/${file}`)));
	}
	for (const file of ourPackage.n8n.nodes) {
		const instance = loadClass(path.join(distDir, file.replace(/^dist\//, '')), path.basename(file).replace(/\.node\.js$/, '')) as INodeType;
		registry.register(`${PACKAGE}.${instance.description.name}`, instance);
	}
	return registry;
}

/** Our two credentials (by type, whatever id the workflow carries). */
export function productCredentials(access: EmulatorAccess): Record<string, { type: string; data: ICredentialDataDecryptedObject }> {
	return {
		'bench-ln': {
			type: 'inforLnIonApi',
			data: {
				inputMode: 'file',
				ionapiSecretFile: JSON.stringify(access.ln.ionapi),
				company: access.ln.company,
				language: '',
				allowLoopbackHttp: true,
				...(access.ln.maxConcurrentRequests ? { maxConcurrentRequests: access.ln.maxConcurrentRequests } : {}),
			},
		},
		'bench-graph': {
			type: 'microsoftGraphAppOnlyApi',
			data: {
				tenantId: access.graph.tenantId,
				clientId: access.graph.clientId,
				clientSecret: access.graph.clientSecret,
				cloud: 'custom',
				graphBaseUrl: access.graph.url,
				loginUrl: access.graph.loginUrl,
			},
		},
	};
}

const OUTLOOK_CREDENTIAL = 'microsoftOutlookOAuth2Api';
const GRAPH_HOST = 'https://graph.microsoft.com';

/**
 * Credentials for the peer: besides ours, one *Microsoft Outlook OAuth2* credential per mailbox
 * ("Use Shared Mailbox" with the user's address, how a stock n8n user reaches other mailboxes).
 * n8n would add the OAuth2 bearer token stored in the credential; here `authenticate` does it with
 * an app token from the Graph emulator's token endpoint (fetched once per process and counted in the
 * emulator's log like every other request), and sends the stock node's requests, which go to
 * https://graph.microsoft.com, to the emulator instead. The emulator serves the default calendar
 * at `/calendar`, not under `/calendars/{id}`, so the peer's `/calendars/{id}/events` requests are
 * sent there: still one request for one request.
 */
export class PeerCredentials extends PlainCredentials {
	private token?: { value: string; expiresAt: number };
	private tokenRequest?: Promise<string>;

	constructor(
		byId: Record<string, { type: string; data: ICredentialDataDecryptedObject }>,
		private readonly graph: EmulatorAccess['graph'],
	) {
		super(byId);
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, requestOptions: never): Promise<never> {
		if (typeName !== OUTLOOK_CREDENTIAL) return super.authenticate(credentials, typeName, requestOptions);
		const options = requestOptions as unknown as { uri?: string; url?: string; headers?: Record<string, string> };
		const key = options.uri !== undefined ? 'uri' : 'url';
		const target = String(options[key] ?? '');
		options[key] = target
			.replace(GRAPH_HOST, this.graph.url)
			.replace(/(\/v1\.0\/users\/[^/]+)\/calendars\/[^/?]+\/events/, '$1/calendar/events');
		options.headers = { ...(options.headers ?? {}), Authorization: `Bearer ${await this.bearer()}` };
		return options as never;
	}

	private async bearer(): Promise<string> {
		if (this.token && this.token.expiresAt > Date.now() + 60_000) return this.token.value;
		this.tokenRequest ??= (async () => {
			const response = await fetch(`${this.graph.loginUrl}/${this.graph.tenantId}/oauth2/v2.0/token`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({
					client_id: this.graph.clientId,
					client_secret: this.graph.clientSecret,
					scope: `${this.graph.url}/.default`,
					grant_type: 'client_credentials',
				}).toString(),
			});
			if (!response.ok) throw new Error(`Peer token request failed: ${response.status} ${await response.text()}`);
			const body = (await response.json()) as { access_token: string; expires_in: number };
			this.token = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
			return body.access_token;
		})().finally(() => {
			this.tokenRequest = undefined;
		});
		return this.tokenRequest;
	}
}

/** One Outlook credential per mailbox, by the id the peer's per-user workflow uses. */
export function outlookCredentialId(user: string): string {
	return `outlook-${user}`;
}

export function outlookCredentials(users: Array<{ user: string; email: string }>): Record<string, { type: string; data: ICredentialDataDecryptedObject }> {
	return Object.fromEntries(
		users.map((u) => [outlookCredentialId(u.user), { type: OUTLOOK_CREDENTIAL, data: { useShared: true, userPrincipalName: u.email } }]),
	);
}
