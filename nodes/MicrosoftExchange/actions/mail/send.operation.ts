import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { mailbox, mailboxValue, show } from '../../descriptions/common';
import { mailboxList, output, toNodeError } from '../../helpers/execute';
import { graphTransport } from '../../../shared/graph-transport';

const where = show('mail', ['send']);

export const description: INodeProperties[] = [
	{
		...mailbox('mail', ['send'], 'The mailbox the mail is sent from (a service mailbox; the app needs Mail.Send, scoped to it)'),
		displayName: 'From Mailbox',
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'admin@email.com, other@email.com',
		description: 'Recipients: a comma-separated list, or a list from an expression',
		displayOptions: where,
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		required: true,
		default: '',
		displayOptions: where,
	},
	{
		displayName: 'Body',
		name: 'body',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		displayOptions: where,
	},
	{
		displayName: 'Body Type',
		name: 'bodyType',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text' },
			{ name: 'HTML', value: 'html' },
		],
		default: 'text',
		displayOptions: where,
	},
];

/** One mail per input item, from a mailbox of the tenant (Graph `sendMail`; kept in its Sent Items). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const graph = await graphTransport.call(this);
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const from = mailboxValue(this.getNodeParameter('mailbox', i));
		try {
			if (!from) throw new Error('field From Mailbox is empty');
			const to = mailboxList(this.getNodeParameter('to', i));
			const invalid = to.find((address) => !/^[^\s@]+@[^\s@]+$/.test(address));
			if (to.length === 0) throw new Error('field To is empty');
			if (invalid) throw new Error(`field To: "${invalid}" is not an e-mail address`);
			const subject = String(this.getNodeParameter('subject', i, '')).trim();
			if (!subject) throw new Error('field Subject is empty');
			const contentType = this.getNodeParameter('bodyType', i, 'text') === 'html' ? 'HTML' : 'Text';
			await graph.post(`/users/${encodeURIComponent(from)}/sendMail`, {
				message: {
					subject,
					body: { contentType, content: String(this.getNodeParameter('body', i, '')) },
					toRecipients: to.map((address) => ({ emailAddress: { address } })),
				},
				saveToSentItems: true,
			});
			out.push(output({ sent: true, from, to, subject } as IDataObject, i));
		} catch (error) {
			const nodeError = toNodeError(this, error, i, `Mail from ${from || '(no mailbox)'}`);
			if (!this.continueOnFail()) throw nodeError;
			out.push(output({ sent: false, from, error: nodeError.message }, i));
		}
	}
	return out;
}
