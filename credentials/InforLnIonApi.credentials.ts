import type { ICredentialType, INodeProperties } from 'n8n-workflow';

export class InforLnIonApi implements ICredentialType {
	name = 'inforLnIonApi';

	displayName = 'Infor LN ION API';

	icon = { light: 'file:inforLn.svg', dark: 'file:inforLn.dark.svg' } as const;

	documentationUrl = 'https://docs.infor.com/ln/2025.x/en-us/lnesolh/lnrestapiag/default.html';

	// Tested by the Infor LN node (getting a token needs more than one request).
	properties: INodeProperties[] = [
		{
			displayName: 'Input Mode',
			name: 'inputMode',
			type: 'options',
			options: [
				{ name: 'Paste the .ionapi File', value: 'file' },
				{ name: 'Enter the Fields One by One', value: 'fields' },
			],
			default: 'file',
		},
		{
			displayName: '.ionapi File Content',
			// The file holds the client secret and the service account's secret key.
			name: 'ionapiSecretFile',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: '{"ti": "ACME_PRD", "ci": "…", "cs": "…", "iu": "https://…", "pu": "https://…", "ot": "token.oauth2", "saak": "…", "sask": "…"}',
			description:
				'The whole content of the .ionapi file downloaded from ION API (Authorized Apps → your Backend Service app → Download Credentials)',
			displayOptions: { show: { inputMode: ['file'] } },
		},
		{
			displayName: 'Tenant (Ti)',
			name: 'ti',
			type: 'string',
			default: '',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Client ID (Ci)',
			name: 'ci',
			type: 'string',
			default: '',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Client Secret (Cs)',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'ION API Gateway URL (Iu)',
			name: 'iu',
			type: 'string',
			default: '',
			placeholder: 'https://mingle-ionapi.eu1.inforcloudsuite.com',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Authorization Server URL (Pu)',
			name: 'pu',
			type: 'string',
			default: '',
			placeholder: 'https://mingle-sso.eu1.inforcloudsuite.com:443/ACME_PRD/as/',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Token Path (Ot)',
			name: 'ot',
			type: 'string',
			default: 'token.oauth2',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Service Account Access Key (Saak)',
			name: 'saak',
			type: 'string',
			default: '',
			description: 'Leave empty for a client-credentials app',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'Service Account Secret Key (Sask)',
			name: 'serviceAccountSecretKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Leave empty for a client-credentials app',
			displayOptions: { show: { inputMode: ['fields'] } },
		},
		{
			displayName: 'LN Company',
			name: 'company',
			type: 'string',
			default: '',
			required: true,
			placeholder: '100',
			description: 'The LN company number, sent as the X-Infor-LnCompany header',
		},
		{
			displayName: 'Concurrent Requests',
			name: 'maxConcurrentRequests',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 64 },
			default: 8,
			description:
				'How many requests this n8n process sends to the ION API gateway at once, over all executions that use this credential; lower it when ION answers 429',
		},
		{
			displayName: 'Allow Plain HTTP to This Machine',
			name: 'allowLoopbackHttp',
			type: 'boolean',
			default: false,
			description:
				'Whether http:// URLs on 127.0.0.1 or localhost are accepted: only for an LN test server or emulator on the n8n machine. ION API itself is always https.',
		},
		{
			displayName: 'Language',
			name: 'language',
			type: 'string',
			default: '',
			placeholder: 'en-US',
			description:
				'Optional language tag sent as Content-Language; empty uses the language of the LN service user',
		},
	];
}
