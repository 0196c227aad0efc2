/**
 * A small builder for the shipped workflow files: nodes with stable ids and positions, connections
 * by node name. The JSON in workflows/ is generated from scripts/workflows/*.ts (npm run workflows)
 * and a test checks that the committed files are what the generator makes.
 */
import { createHash } from 'node:crypto';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { name: PACKAGE } = require('../../package.json') as { name: string };

export { PACKAGE };

export interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
	executeOnce?: boolean;
	alwaysOutputData?: boolean;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	notes?: string;
	notesInFlow?: boolean;
}

export interface Workflow {
	id: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }>;
	settings: Record<string, unknown>;
	staticData: null;
	pinData: Record<string, never>;
	meta: Record<string, unknown>;
	tags: never[];
	active: boolean;
}

/** Credential references: ids match the ones `npm start` and the e2e tests import. */
export const CREDENTIALS = {
	ln: { inforLnIonApi: { id: 'lnIonApiCredent1', name: 'Infor LN (ION API)' } },
	graph: { microsoftGraphAppOnlyApi: { id: 'graphAppOnlyCre1', name: 'Microsoft Graph (app-only)' } },
	lnWebhook: { inforLnWebhookApi: { id: 'lnWebhookSecret1', name: 'Infor LN webhook' } },
	statusPage: { httpBasicAuth: { id: 'statusPageLogin1', name: 'Status page login' } },
	shardKey: { httpHeaderAuth: { id: 'shardWebhookKey1', name: 'Shard webhook key' } },
};

export class WorkflowBuilder {
	private readonly nodes: WorkflowNode[] = [];
	private readonly connections: Workflow['connections'] = {};

	constructor(
		private readonly id: string,
		private readonly name: string,
	) {}

	add(node: Omit<WorkflowNode, 'id'> & { id?: string }): string {
		if (this.nodes.some((n) => n.name === node.name)) throw new Error(`Two nodes named ${node.name}`);
		const id = node.id ?? deterministicUuid(`${this.id}/${node.name}`);
		this.nodes.push({ ...node, id });
		return node.name;
	}

	connect(from: string, to: string, output = 0, input = 0): this {
		for (const name of [from, to]) if (!this.nodes.some((n) => n.name === name)) throw new Error(`No node ${name}`);
		const entry = (this.connections[from] ??= { main: [] });
		while (entry.main.length <= output) entry.main.push([]);
		entry.main[output].push({ node: to, type: 'main', index: input });
		return this;
	}

	build(settings: Record<string, unknown> = {}): Workflow {
		return {
			id: this.id,
			name: this.name,
			nodes: this.nodes,
			connections: this.connections,
			settings: { executionOrder: 'v1', saveManualExecutions: true, callerPolicy: 'workflowsFromSameOwner', ...settings },
			staticData: null,
			pinData: {},
			meta: { templateCredsSetupCompleted: false },
			tags: [],
			active: false,
		};
	}
}

/** A UUID-shaped id derived from a name, so regenerating gives the same ids. */
export function deterministicUuid(seed: string): string {
	const hex = createHash('sha256').update(seed).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function ours(node: 'inforLn' | 'inforLnTrigger' | 'microsoftExchange' | 'microsoftGraphTrigger'): string {
	return `${PACKAGE}.${node}`;
}

export function sticky(name: string, content: string, position: [number, number], width: number, height: number, color = 7): Omit<WorkflowNode, 'id'> {
	return { name, type: 'n8n-nodes-base.stickyNote', typeVersion: 1, position, parameters: { content, width, height, color } };
}

type SetType = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** A Set (Edit Fields) node assigning the given values; expressions are strings unless `types` says otherwise. */
export function setNode(
	name: string,
	position: [number, number],
	values: Record<string, string | number | boolean>,
	includeOtherFields = false,
	types: Record<string, SetType> = {},
): Omit<WorkflowNode, 'id'> {
	return {
		name,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position,
		parameters: {
			mode: 'manual',
			assignments: {
				assignments: Object.entries(values).map(([key, value]) => ({
					id: deterministicUuid(`${name}/${key}`),
					name: key,
					value,
					type: types[key] ?? (typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string'),
				})),
			},
			includeOtherFields,
			options: {},
		},
	};
}

/** An IF (2.2) with one condition written as a boolean expression. */
export function ifNode(name: string, position: [number, number], expression: string): Omit<WorkflowNode, 'id'> {
	return {
		name,
		type: 'n8n-nodes-base.if',
		typeVersion: 2.2,
		position,
		parameters: {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
				conditions: [{ id: deterministicUuid(`${name}/condition`), leftValue: expression, rightValue: '', operator: { type: 'boolean', operation: 'true', singleValue: true } }],
				combinator: 'and',
			},
			looseTypeValidation: true,
			options: {},
		},
	};
}

/** A Filter (2.2) keeping the items for which one boolean expression holds. */
export function filterNode(name: string, position: [number, number], expression: string): Omit<WorkflowNode, 'id'> {
	const condition = ifNode(name, position, expression);
	return { ...condition, type: 'n8n-nodes-base.filter', typeVersion: 2.2, parameters: { conditions: (condition.parameters as { conditions: unknown }).conditions, looseTypeValidation: true, options: {} } };
}

/** A Switch (3.2) routing on the value of one expression; one named output per value. */
export function switchNode(name: string, position: [number, number], expression: string, cases: Array<{ value: string; output: string }>, fallback?: string): Omit<WorkflowNode, 'id'> {
	return {
		name,
		type: 'n8n-nodes-base.switch',
		typeVersion: 3.2,
		position,
		parameters: {
			rules: {
				values: cases.map((c) => ({
					conditions: {
						options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
						conditions: [{ id: deterministicUuid(`${name}/${c.value}`), leftValue: expression, rightValue: c.value, operator: { type: 'string', operation: 'equals' } }],
						combinator: 'and',
					},
					renameOutput: true,
					outputKey: c.output,
				})),
			},
			looseTypeValidation: true,
			options: fallback ? { fallbackOutput: 'extra', renameFallbackOutput: fallback } : {},
		},
	};
}

export function splitOut(name: string, position: [number, number], field: string): Omit<WorkflowNode, 'id'> {
	return { name, type: 'n8n-nodes-base.splitOut', typeVersion: 1, position, parameters: { fieldToSplitOut: field, options: {} } };
}

/** A Stop and Error node: the execution ends in error with this message. */
export function stopNode(name: string, position: [number, number], errorMessage: string): Omit<WorkflowNode, 'id'> {
	return { name, type: 'n8n-nodes-base.stopAndError', typeVersion: 1, position, parameters: { errorType: 'errorMessage', errorMessage } };
}

export const DATA_TABLE = 'n8n-nodes-base.dataTable';

/** n8n's Data Table node making a table the first time and finding it after (n8n 2.x); its output carries the table's id. */
export function dataTableCreateNode(name: string, position: [number, number], tableName: string, columns: ReadonlyArray<{ name: string; type: string }>): Omit<WorkflowNode, 'id'> {
	return {
		name,
		type: DATA_TABLE,
		typeVersion: 1,
		position,
		parameters: {
			resource: 'table',
			operation: 'create',
			tableName,
			columns: { column: columns.map((c) => ({ name: c.name, type: c.type })) },
			options: { createIfNotExists: true },
		},
	};
}

/** A copy of a workflow whose Settings node has these values (each must be a setting it has). */
export function withSettings<T extends { nodes: Array<{ name: string; parameters: Record<string, unknown> }> }>(workflow: T, values: Record<string, unknown>): T {
	const copy = JSON.parse(JSON.stringify(workflow)) as T;
	const settings = copy.nodes.find((n) => n.name === 'Settings');
	if (!settings) throw new Error('the workflow has no Settings node');
	const assignments = (settings.parameters.assignments as { assignments: Array<{ name: string; value: unknown }> }).assignments;
	for (const [name, value] of Object.entries(values)) {
		const assignment = assignments.find((a) => a.name === name);
		if (!assignment) throw new Error(`No setting ${name}`);
		assignment.value = value;
	}
	return copy;
}
