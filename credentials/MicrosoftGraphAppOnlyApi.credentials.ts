import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { GRAPH_CLOUD_OPTIONS } from '../lib/graph/clouds';

export class MicrosoftGraphAppOnlyApi implements ICredentialType {
	name = 'microsoftGraphAppOnlyApi';

	displayName = 'Microsoft Graph (App-Only) API';

	icon = { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' } as const;

	documentationUrl = 'https://learn.microsoft.com/en-us/graph/auth-v2-service';

	// Tested by the Microsoft Exchange node: it gets a token and lists one user.
	properties: INodeProperties[] = [
		{
			displayName: 'Directory (Tenant) ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '00000000-0000-0000-0000-000000000000',
		},
		{
			displayName: 'Application (Client) ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Sign In With',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'clientSecret' },
				{ name: 'Certificate', value: 'certificate', description: 'A certificate uploaded to the app registration, and its private key' },
			],
			default: 'clientSecret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The secret value (not the secret ID) from Certificates & secrets of the app registration',
			displayOptions: { show: { authentication: ['clientSecret'] } },
		},
		{
			displayName: 'Certificate',
			name: 'certificate',
			type: 'string',
			typeOptions: { rows: 6, password: true },
			default: '',
			required: true,
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'The PEM certificate uploaded to Certificates & secrets of the app registration',
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----',
			description: "The certificate's RSA private key, PEM, unencrypted; it signs each sign-in and never leaves n8n",
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		{
			displayName: 'Microsoft Cloud',
			name: 'cloud',
			type: 'options',
			options: GRAPH_CLOUD_OPTIONS,
			default: 'global',
		},
		{
			displayName: 'Graph Base URL',
			name: 'graphBaseUrl',
			type: 'string',
			default: '',
			placeholder: 'https://graph.microsoft.com',
			description: 'The Graph root without version, https only',
			displayOptions: { show: { cloud: ['custom'] } },
		},
		{
			displayName: 'Login URL',
			name: 'loginUrl',
			type: 'string',
			default: '',
			placeholder: 'https://login.microsoftonline.com',
			description: 'The Microsoft Entra ID authority host, https only',
			displayOptions: { show: { cloud: ['custom'] } },
		},
	];
}
