import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class InforLnWebhookApi implements ICredentialType {
	name = 'inforLnWebhookApi';

	displayName = 'Infor LN Webhook API';

	icon = { light: 'file:inforLn.svg', dark: 'file:inforLn.dark.svg' } as const;

	documentationUrl = 'https://docs.n8n.io/integrations/builtin/credentials/webhook/';

	// Checked by the Infor LN Trigger on every post; there is nothing remote to test.
	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Shared Secret in a Header', value: 'header', description: 'LN sends the secret itself in a header' },
				{
					name: 'HMAC-SHA256 Signature with a Timestamp',
					value: 'hmac',
					description: 'LN sends the Unix time and sha256=<hex HMAC of "<time>.<raw body>">; the secret never travels, and a message cannot be replayed',
				},
			],
			default: 'header',
		},
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: 'X-LN-Webhook-Secret',
			required: true,
			displayOptions: { show: { authentication: ['header'] } },
		},
		{
			displayName: 'Signature Header Name',
			name: 'signatureHeaderName',
			type: 'string',
			default: 'X-LN-Signature',
			required: true,
			displayOptions: { show: { authentication: ['hmac'] } },
		},
		{
			displayName: 'Timestamp Header Name',
			name: 'timestampHeaderName',
			type: 'string',
			default: 'X-LN-Timestamp',
			required: true,
			description: 'The header with the Unix time in seconds that the signature covers; posts older than 5 minutes or sent twice are refused',
			displayOptions: { show: { authentication: ['hmac'] } },
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'At least 16 random characters, the same as configured in LN',
		},
	];
}
