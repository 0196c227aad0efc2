import type { IDataObject, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { checkLnWebhook, SeenSignatures, type LnWebhookAuthentication } from '../../lib/ln/webhook';

const DEFAULT_PATH = 'ln-exchange-sync/ln';

/** Signed posts accepted by this process lately: a repeat within the timestamp window is refused. */
const seenSignatures = new SeenSignatures();

export class InforLnTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Infor LN Trigger',
		name: 'inforLnTrigger',
		icon: 'file:inforLnTrigger.svg',
		group: ['trigger'],
		version: 1,
		description: 'Starts the workflow when Infor LN posts that an activity changed, authenticated by a shared secret or a timestamped HMAC signature',
		defaults: { name: 'Infor LN Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'inforLnWebhookApi', required: true }],
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

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const credentials = await this.getCredentials('inforLnWebhookApi');
		const authentication = (credentials.authentication as LnWebhookAuthentication) ?? 'header';
		const request = this.getRequestObject() as ReturnType<IWebhookFunctions['getRequestObject']> & { rawBody?: Buffer };
		// n8n keeps the raw body of webhook requests; HMACs are over those exact bytes.
		const rawBody = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(JSON.stringify(this.getBodyData() ?? {}));
		const verdict = checkLnWebhook(
			{
				authentication,
				headerName: String((authentication === 'hmac' ? credentials.signatureHeaderName : credentials.headerName) ?? ''),
				timestampHeaderName: String(credentials.timestampHeaderName ?? ''),
				secret: String(credentials.secret ?? ''),
			},
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
