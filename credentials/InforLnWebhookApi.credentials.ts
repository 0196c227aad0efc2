import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class InforLnWebhookApi implements ICredentialType {
	name = 'inforLnWebhookApi';

	displayName = 'Infor LN Webhook API';

	icon = 'file:inforLn.svg' as const;

	documentationUrl = 'https://docs.n8n.io/integrations/builtin/credentials/webhook/';

	// Checked by the Infor LN Trigger on every post; there is nothing remote to test.
	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Shared Secret in a Header', value: 'header', description: 'LN sends the secret itself in a header' },
				{ name: 'HMAC-SHA256 Signature of the Body', value: 'hmac', description: 'LN sends sha256=<hex HMAC of the raw body> in a header; the secret never travels' },
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
