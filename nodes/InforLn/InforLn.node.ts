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

import { DEFAULT_SERVICES } from '../../lib/ln/contract';
import { credentialTestRequester } from '../shared/http';
import { LnTransport } from '../../lib/ln/transport';
import { router } from './actions/router';
import { properties } from './descriptions/resources';
import { ionConfigFromCredential } from './transport';

export class InforLn implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Infor LN',
		name: 'inforLn',
		icon: { light: 'file:inforLn.svg', dark: 'file:inforLn.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Read and write Infor LN CRM contacts, activities, attendees and sync users through the ION API',
		defaults: { name: 'Infor LN' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: 'inforLnIonApi', required: true, testedBy: 'inforLnIonApiTest' }],
		properties,
	};

	methods = {
		credentialTest: {
			/** Gets a token and reads the $metadata of the contact service. */
			async inforLnIonApiTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				try {
					const data = credential.data ?? {};
					const ion = ionConfigFromCredential(data);
					const transport = new LnTransport(
						{ ion, company: String(data.company ?? '').trim(), language: String(data.language ?? '').trim() || undefined },
						credentialTestRequester(this),
						{ retry: { maxRetries: 1, baseDelayMs: 500, maxDelayMs: 2000 } },
					);
					await transport.metadata(DEFAULT_SERVICES.contactService);
					return { status: 'OK', message: `Connected to LN company ${String(data.company)} of tenant ${ion.tenant}` };
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
