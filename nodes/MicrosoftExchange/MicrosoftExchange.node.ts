import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { GraphTransport } from '../../lib/graph/transport';
import { router } from './actions/router';
import { properties } from './descriptions/resources';
import { searchMailboxes } from './methods/listSearch';
import { GRAPH_CREDENTIAL, graphConnectionFromCredential } from './transport';
import { credentialTestRequester } from '../shared/http';

export class MicrosoftExchange implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Exchange',
		name: 'microsoftExchange',
		icon: 'file:microsoftExchange.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Synchronize contacts and calendar events of Exchange Online mailboxes with Infor LN through Microsoft Graph',
		defaults: { name: 'Microsoft Exchange' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: GRAPH_CREDENTIAL, required: true, testedBy: 'microsoftGraphAppOnlyApiTest' }],
		properties,
	};

	methods = {
		listSearch: { searchMailboxes },
		credentialTest: {
			/** Gets a token and lists one user. */
			async microsoftGraphAppOnlyApiTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
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
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
