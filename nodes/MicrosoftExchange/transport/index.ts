import { createHash } from 'node:crypto';

import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHookFunctions, ILoadOptionsFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { resolveEndpoints, type GraphCloud } from '../../../lib/graph/clouds';
import { createGates, GraphTransport, secretMaterial, type GraphConnection, type GraphGates } from '../../../lib/graph/transport';
import { linkKey } from '../../../lib/sync/link';
import { ledgerFor } from '../../../lib/sync/report';

export const GRAPH_CREDENTIAL = 'microsoftGraphAppOnlyApi';

export function graphConnectionFromCredential(data: ICredentialDataDecryptedObject): GraphConnection {
	const text = (name: string) => String(data[name] ?? '').trim();
	for (const name of ['tenantId', 'clientId', 'clientSecret']) {
		if (!text(name)) throw new Error(`The Microsoft Graph credential has no ${name === 'tenantId' ? 'Directory (Tenant) ID' : name === 'clientId' ? 'Application (Client) ID' : 'Client Secret'}`);
	}
	const endpoints = resolveEndpoints((text('cloud') || 'global') as GraphCloud, { graphBaseUrl: text('graphBaseUrl'), loginUrl: text('loginUrl') });
	return { tenantId: text('tenantId'), clientId: text('clientId'), clientSecret: String(data.clientSecret), ...endpoints };
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
		gates: gatesFor(connection),
		onRequest: ledger ? (info) => ledger.request('graph', info.kind, info.mailbox) : undefined,
	});
}

/** The key that signs and checks the link properties of this credential's items (link.ts). */
export function linkKeyOf(graph: GraphTransport): Buffer {
	return linkKey(secretMaterial(graph.connection));
}
