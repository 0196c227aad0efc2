/**
 * The run history (an n8n Data Table, made on first use) and the status page, as parts of the
 * shipped workflows. n8n's core Data Table node does the storage: n8n 2.0 or later (its table
 * operations); on n8n 1.x set "keepHistory" to false.
 */
import { HISTORY_COLUMNS, HISTORY_TABLE } from '../../lib/status/history';
import { CREDENTIALS, DATA_TABLE, dataTableCreateNode, ifNode, ours, type WorkflowBuilder } from './builder';

export const STATUS_PAGE_PATH = 'ln-exchange-sync/status';
export const STATUS_WEBHOOK = 'Status page';
export const STATUS_RENDER = 'Render status page';

/** The history table, made the first time (its id is what the row operations take). */
const historyTableNode = (name: string, position: [number, number]) => ({ ...dataTableCreateNode(name, position, HISTORY_TABLE, HISTORY_COLUMNS), executeOnce: true });

const tableId = (node: string) => ({ __rl: true, mode: 'id', value: `={{ $('${node}').first().json.id }}` });

/**
 * After a report node ("Whole Run"), placed above what else follows it (n8n's v1 order runs the
 * higher branch first, to its end): the run's rows appended to the history, rows older than the
 * retention removed. A failure here never fails the sync: its error shows in the execution.
 */
export function addHistory(w: WorkflowBuilder, options: { report: string; at: [number, number]; everyUser: boolean; settings: string }): void {
	const [x, y] = options.at;
	const settings = `$('${options.settings}').first().json`;
	w.add(ifNode('Keep history?', [x, y], `={{ ${settings}.keepHistory !== false && !$('${options.report}').last().json.dryRun }}`));
	w.add({ ...historyTableNode('History table', [x + 240, y - 100]), onError: 'continueErrorOutput' });
	w.add({
		name: 'History rows',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 480, y - 120],
		credentials: CREDENTIALS.ln,
		parameters: { resource: 'report', operation: 'history', reports: `={{ $('${options.report}').all().map(item => item.json) }}`, everyUser: options.everyUser },
	});
	w.add({
		name: 'Keep in history',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 720, y - 120],
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'row',
			operation: 'insert',
			dataTableId: tableId('History table'),
			columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: [], schema: [], attemptToConvertTypes: false, convertFieldsToString: false },
			options: {},
		},
	});
	w.add({
		name: 'Forget old history',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 960, y - 120],
		executeOnce: true,
		alwaysOutputData: true,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'row',
			operation: 'deleteRows',
			dataTableId: tableId('History table'),
			matchType: 'allConditions',
			filters: { conditions: [{ keyName: 'createdAt', condition: 'lt', keyValue: `={{ $now.minus(Number(${settings}.historyDays) || 365, 'days').toISO() }}` }] },
			options: {},
		},
	});
	w.connect(options.report, 'Keep history?').connect('Keep history?', 'History table', 0);
	w.connect('History table', 'History rows', 0).connect('History rows', 'Keep in history').connect('Keep in history', 'Forget old history');
}

/**
 * The status page: GET <webhook URL>/ln-exchange-sync/status (HTTP Basic Auth, the "Status page
 * login" credential). With ?plan=1 the webhook starts the pull (at `pullEntry`) as a dry run, and
 * `planFrom` (after its report) leads back to the page, which then shows the plan.
 */
export function addStatusPage(w: WorkflowBuilder, options: { at: [number, number]; pullEntry: string; planFrom: string; report: string }): void {
	const [x, y] = options.at;
	w.add({
		name: STATUS_WEBHOOK,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [x, y],
		webhookId: '6d1f3c52-7a0e-4b8e-a1c4-3e9f5b2d7c03',
		credentials: CREDENTIALS.statusPage,
		parameters: { httpMethod: 'GET', path: STATUS_PAGE_PATH, authentication: 'basicAuth', responseMode: 'responseNode', options: {} },
	});
	w.add(ifNode('Plan asked?', [x + 240, y], "={{ ['1', 'true', 'yes'].includes(String($json.query?.plan ?? '').toLowerCase()) }}"));
	w.connect(STATUS_WEBHOOK, 'Plan asked?').connect('Plan asked?', options.pullEntry, 0);
	w.add({
		name: 'Page: sync users',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 480, y + 100],
		credentials: CREDENTIALS.ln,
		executeOnce: true,
		alwaysOutputData: true,
		onError: 'continueRegularOutput',
		parameters: { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'users' },
	});
	w.add({ ...historyTableNode('Page: history table', [x + 720, y + 100]), alwaysOutputData: true, onError: 'continueRegularOutput' });
	w.add({
		name: 'Page: history',
		type: DATA_TABLE,
		typeVersion: 1,
		position: [x + 960, y + 100],
		executeOnce: true,
		alwaysOutputData: true,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'row',
			operation: 'get',
			dataTableId: tableId('Page: history table'),
			matchType: 'allConditions',
			filters: { conditions: [{ keyName: 'createdAt', condition: 'gte', keyValue: "={{ $now.minus(30, 'days').toISO() }}" }] },
			returnAll: true,
			options: {},
		},
	});
	w.add({
		name: 'Page: subscriptions',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x + 1200, y + 100],
		credentials: CREDENTIALS.graph,
		executeOnce: true,
		alwaysOutputData: true,
		onError: 'continueRegularOutput',
		parameters: { resource: 'subscription', operation: 'getMany', urlContains: '' },
	});
	const all = (node: string) => `$('${node}').all().map(item => item.json)`;
	w.add({
		name: STATUS_RENDER,
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 1440, y + 100],
		credentials: CREDENTIALS.ln,
		executeOnce: true,
		parameters: {
			resource: 'report',
			operation: 'statusPage',
			history: `={{ ${all('Page: history')} }}`,
			syncUsers: `={{ ${all('Page: sync users')}.filter(user => user.email) }}`,
			subscriptions: `={{ ${all('Page: subscriptions')}.filter(subscription => subscription.resource) }}`,
			plan: `={{ $('${options.report}').isExecuted ? ${all(options.report)} : '' }}`,
			planLink: '?plan=1',
		},
	});
	w.add({
		name: 'Show the page',
		type: 'n8n-nodes-base.respondToWebhook',
		typeVersion: 1.1,
		position: [x + 1680, y + 100],
		parameters: {
			respondWith: 'text',
			responseBody: '={{ $json.html }}',
			options: {
				responseHeaders: {
					entries: [
						{ name: 'Content-Type', value: 'text/html; charset=utf-8' },
						{ name: 'Cache-Control', value: 'no-store' },
					],
				},
			},
		},
	});
	w.connect('Plan asked?', 'Page: sync users', 1);
	w.connect(options.planFrom, 'Page: sync users');
	w.connect('Page: sync users', 'Page: history table').connect('Page: history table', 'Page: history').connect('Page: history', 'Page: subscriptions');
	w.connect('Page: subscriptions', STATUS_RENDER).connect(STATUS_RENDER, 'Show the page');
}
