import { createHash } from 'node:crypto';

import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	IHookFunctions,
	ILoadOptionsFunctions,
	INodeCredentialTestResult,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { HttpResponse } from '../../lib/http/requester';
import { parseCertificateSignIn } from '../../lib/graph/client-assertion';
import { resolveEndpoints, type GraphCloud } from '../../lib/graph/clouds';
import { createGates, GraphTransport, secretMaterial, type GraphConnection, type GraphGates } from '../../lib/graph/transport';
import { linkKey } from '../../lib/sync/link';
import { credentialTestRequester } from './http';
import { ledgerFor } from '../../lib/sync/report';

export const GRAPH_CREDENTIAL = 'microsoftGraphAppOnlyApi';

export function graphConnectionFromCredential(data: ICredentialDataDecryptedObject): GraphConnection {
	const text = (name: string) => String(data[name] ?? '').trim();
	const byCertificate = data.authentication === 'certificate';
	const required = byCertificate
		? { tenantId: 'Directory (Tenant) ID', clientId: 'Application (Client) ID', certificate: 'Certificate', privateKey: 'Private Key' }
		: { tenantId: 'Directory (Tenant) ID', clientId: 'Application (Client) ID', clientSecret: 'Client Secret' };
	for (const [name, label] of Object.entries(required)) {
		if (!text(name)) throw new Error(`The Microsoft Graph credential has no ${label}`);
	}
	const endpoints = resolveEndpoints((text('cloud') || 'global') as GraphCloud, { graphBaseUrl: text('graphBaseUrl'), loginUrl: text('loginUrl') });
	const identity = { tenantId: text('tenantId'), clientId: text('clientId'), ...endpoints };
	if (!byCertificate) return { ...identity, clientSecret: String(data.clientSecret) };
	const certificate = { certificate: text('certificate'), privateKey: text('privateKey') };
	// Checked here, so that a wrong pair is named before any request (the key itself never is).
	parseCertificateSignIn(certificate);
	return { ...identity, certificate };
}

/** Concurrency gates per credential, shared by all executions in this process. */
const gatesByCredential = new Map<string, GraphGates>();

function gatesFor(connection: GraphConnection): GraphGates {
	const key = createHash('sha256').update([connection.graphBaseUrl, connection.tenantId, connection.clientId].join('|')).digest('hex');
	let gates = gatesByCredential.get(key);
	if (!gates) {
		gates = createGates();
		gatesByCredential.set(key, gates);
	}
	return gates;
}

type Context = IExecuteFunctions | IHookFunctions | IWebhookFunctions | ILoadOptionsFunctions;

/** The Graph transport for this node run; requests are counted into the run report of the execution. */
export async function graphTransport(this: Context, record = true): Promise<GraphTransport> {
	const credential = await this.getCredentials(GRAPH_CREDENTIAL);
	let connection: GraphConnection;
	try {
		connection = graphConnectionFromCredential(credential);
	} catch (error) {
		throw new NodeOperationError(this.getNode(), `Microsoft Graph credential: ${(error as Error).message}`);
	}
	const executionId = record && 'getExecutionId' in this ? (this as IExecuteFunctions).getExecutionId() : undefined;
	const ledger = executionId ? ledgerFor(executionId) : undefined;
	return new GraphTransport(connection, {
		// n8n's request helper: n8n's proxy settings and request policy apply to Graph and Entra ID.
		http: async (options) => (await this.helpers.httpRequest(options)) as HttpResponse,
		gates: gatesFor(connection),
		onRequest: ledger ? (info) => ledger.request('graph', info.kind, info.mailbox) : undefined,
	});
}

/** The credential test of the Microsoft Graph credential (both nodes that use it): a token, then one user read. */
export async function graphCredentialTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const graph = new GraphTransport(graphConnectionFromCredential(credential.data ?? {}), {
			http: credentialTestRequester(this),
			retry: { maxRetries: 1, baseDelayMs: 500, maxDelayMs: 2000 },
		});
		const page = await graph.get<{ value?: Array<{ mail?: string }> }>('/users?$top=1&$select=id,mail');
		return { status: 'OK', message: `Connected; the app can read users${page.value?.[0]?.mail ? ` (e.g. ${page.value[0].mail})` : ''}` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}

/** The key that signs and checks the link properties of this credential's items (link.ts). */
export function linkKeyOf(graph: GraphTransport): Buffer {
	return linkKey(secretMaterial(graph.connection));
}
