import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { router } from './actions/router';
import { properties } from './descriptions/resources';
import { searchMailboxes } from './methods/listSearch';
import { graphCredentialTest } from '../shared/graph-transport';

export class MicrosoftExchange implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Exchange',
		name: 'microsoftExchange',
		icon: { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Synchronize contacts and calendar events of Exchange Online mailboxes with Infor LN through Microsoft Graph',
		defaults: { name: 'Microsoft Exchange' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'microsoftGraphAppOnlyApi', required: true, testedBy: 'microsoftGraphAppOnlyApiTest' }],
		properties,
	};

	methods = {
		listSearch: { searchMailboxes },
		credentialTest: { microsoftGraphAppOnlyApiTest: graphCredentialTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
