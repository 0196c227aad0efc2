import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { checkLnWebhook, SeenSignatures, webhookSettingsProblem, type LnWebhookAuthentication, type LnWebhookSettings } from '../../lib/ln/webhook';

const DEFAULT_PATH = 'ln-exchange-sync/ln';

/** Signed posts accepted by this process lately: a repeat within the timestamp window is refused. */
const seenSignatures = new SeenSignatures();

function webhookSettings(credentials: ICredentialDataDecryptedObject): LnWebhookSettings {
	const authentication = (credentials.authentication as LnWebhookAuthentication) ?? 'header';
	return {
		authentication,
		headerName: String((authentication === 'hmac' ? credentials.signatureHeaderName : credentials.headerName) ?? ''),
		timestampHeaderName: String(credentials.timestampHeaderName ?? ''),
		secret: String(credentials.secret ?? ''),
	};
}

/** The webhook URL this trigger told the administrator about when it was activated. */
interface Registration {
	url?: string;
}

export class InforLnTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Infor LN Trigger',
		name: 'inforLnTrigger',
		icon: { light: 'file:inforLnTrigger.svg', dark: 'file:inforLnTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"POST /" + $parameter["path"]}}',
		description: 'Starts the workflow when Infor LN posts that an activity changed, authenticated by a shared secret or a timestamped HMAC signature',
		defaults: { name: 'Infor LN Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'inforLnWebhookApi', required: true, testedBy: 'inforLnWebhookApiTest' }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: DEFAULT_PATH,
				required: true,
				description: 'The webhook path LN posts to',
			},
			{
				displayName:
					'LN posts {"company": "100", "activityId": "ACT000123", "changeType": "created|updated|deleted"}. Only those three fields go on; the secret and the request headers never enter the execution data.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
		],
	};

	methods = {
		credentialTest: {
			/** LN posts to n8n: nothing remote to call; the settings are checked as every post will be. */
			async inforLnWebhookApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				const problem = webhookSettingsProblem(webhookSettings(credential.data ?? {}));
				return problem ? { status: 'Error', message: problem } : { status: 'OK', message: 'Usable: LN must send the same secret (or sign with it)' };
			},
		},
	};

	/**
	 * LN is told where to post by its administrator (an ION workflow or a BOD subscription), not by an
	 * API: activating checks that the credential can accept posts at all, and logs the URL LN must call;
	 * a changed URL (another WEBHOOK_URL or path) is logged again.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const registration = this.getWorkflowStaticData('node') as Registration;
				return registration.url === this.getNodeWebhookUrl('default');
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const problem = webhookSettingsProblem(webhookSettings(await this.getCredentials('inforLnWebhookApi')));
				if (problem) throw new NodeOperationError(this.getNode(), `Infor LN Trigger cannot accept LN's posts: ${problem}`);
				const url = this.getNodeWebhookUrl('default');
				this.logger.info(`Infor LN Trigger (${this.getNode().name}): LN must post its activity changes to ${url}`);
				(this.getWorkflowStaticData('node') as Registration).url = url;
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				delete (this.getWorkflowStaticData('node') as Registration).url;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = await this.getCredentials('inforLnWebhookApi');
		const settings = webhookSettings(credentials);
		const request = this.getRequestObject() as ReturnType<IWebhookFunctions['getRequestObject']> & { rawBody?: Buffer };
		// n8n keeps the raw body of webhook requests; HMACs are over those exact bytes.
		const rawBody = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(JSON.stringify(this.getBodyData() ?? {}));
		const verdict = checkLnWebhook(
			settings,
			{ headers: this.getHeaderData() as Record<string, unknown>, rawBody },
			{ nowSeconds: Math.floor(Date.now() / 1000), seen: seenSignatures },
		);
		const response = this.getResponseObject();
		if (!verdict.ok) {
			// The caller learns only the status; the administrator reads why in n8n's log.
			this.logger.warn(`Infor LN Trigger (${this.getNode().name}) refused a post with ${verdict.status}: ${verdict.detail}`);
			response.status(verdict.status).json({ error: verdict.error });
			return { noWebhookResponse: true };
		}
		// Acknowledged at once; the synchronization runs after the answer.
		response.status(202).json({ accepted: true, activityId: verdict.message.activityId });
		const item: IDataObject = { kind: 'ln', ...verdict.message, receivedAt: new Date().toISOString() };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray([item])] };
	}
}
