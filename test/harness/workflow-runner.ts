import { randomUUID } from 'node:crypto';

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	createDeferredPromise,
	ICredentialsHelper,
	Workflow,
	type ExecuteWorkflowData,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IDataObject,
	type IExecuteWorkflowInfo,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type IConnections,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

/** Node types by their full type name (e.g. `n8n-nodes-ln-exchange-sync.inforLn`), any version. */
export class NodeTypeRegistry implements INodeTypes {
	private readonly types = new Map<string, INodeType | IVersionedNodeType>();

	register(typeName: string, type: INodeType | IVersionedNodeType): this {
		this.types.set(typeName, type);
		return this;
	}

	has(typeName: string): boolean {
		return this.types.has(typeName);
	}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types.get(nodeType);
		if (!type) throw new Error(`Unknown node type ${nodeType}`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		const type = this.getByName(nodeType);
		if ('nodeVersions' in type) {
			const versioned = type as IVersionedNodeType;
			return versioned.getNodeType(version);
		}
		return type as INodeType;
	}

	getKnownTypes(): IDataObject {
		return Object.fromEntries([...this.types.keys()].map((name) => [name, {}]));
	}
}

/** Credentials by id, given as plain data (what `n8n import:credentials` would encrypt). */
export class PlainCredentials extends ICredentialsHelper {
	constructor(private readonly byId: Record<string, { type: string; data: ICredentialDataDecryptedObject }>) {
		super();
	}

	/** Adds or replaces a credential, as a user editing it in n8n would. */
	set(id: string, type: string, data: ICredentialDataDecryptedObject): void {
		this.byId[id] = { type, data };
	}

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(_credentials: ICredentialDataDecryptedObject, _typeName: string, requestOptions: never): Promise<never> {
		return requestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		return { id: nodeCredentials.id, name: nodeCredentials.name, type, data: '' } as unknown as ICredentials;
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const entry = (nodeCredentials.id && this.byId[nodeCredentials.id]) || Object.values(this.byId).find((c) => c.type === type);
		if (!entry || entry.type !== type) throw new Error(`No credential "${nodeCredentials.name}" of type ${type}`);
		return { ...entry.data };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IDataObject;
	staticData?: IDataObject;
	pinData?: IDataObject;
}

export interface RunResult {
	run: IRun;
	executionId: string;
	/** Output items of a node (first output, all runs concatenated). */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	error?: Error;
	staticData: IDataObject;
}

export interface RunnerOptions {
	nodeTypes: NodeTypeRegistry;
	credentials: PlainCredentials;
	/** Workflows that Execute Workflow nodes may call, by id. */
	workflows?: Record<string, WorkflowJson>;
	timezone?: string;
	webhookBaseUrl?: string;
}

/**
 * Runs workflow JSON in-process with n8n-core's WorkflowExecute, as `n8n execute` does: from a
 * start node, with real node code, credentials given as plain data, and sub-workflows through
 * Execute Workflow. Static data is kept per workflow id between runs, like n8n's database would.
 */
export class WorkflowRunner {
	readonly staticData = new Map<string, IDataObject>();
	/** Base URL of n8n's webhooks (ends with /); a webhook host changes it to its own address. */
	webhookBase: string;
	/** Told about every execution that ends, sub-executions included (for tests that look inside). */
	onRun?: (result: RunResult) => void;

	constructor(private readonly options: RunnerOptions) {
		this.webhookBase = options.webhookBaseUrl ?? 'http://127.0.0.1:5678/';
	}

	/** The Workflow object n8n would build for this JSON, with the stored static data. */
	workflowOf(workflowJson: WorkflowJson): Workflow {
		const id = workflowJson.id ?? 'workflow';
		return new Workflow({
			id,
			name: workflowJson.name ?? id,
			nodes: workflowJson.nodes,
			connections: workflowJson.connections,
			active: true,
			nodeTypes: this.options.nodeTypes,
			staticData: JSON.parse(JSON.stringify(this.staticData.get(id) ?? workflowJson.staticData ?? {})) as IDataObject,
			settings: { executionOrder: 'v1', timezone: this.options.timezone ?? 'UTC', ...(workflowJson.settings ?? {}) },
		});
	}

	/** Keeps a workflow's static data, as n8n saves it after an execution or a webhook call. */
	saveStaticData(workflow: Workflow): void {
		const copy = { ...workflow.staticData } as IDataObject;
		delete copy.__dataChanged;
		this.staticData.set(String(workflow.id), JSON.parse(JSON.stringify(copy)));
	}

	async run(
		workflowJson: WorkflowJson,
		options: {
			startNode?: string;
			mode?: WorkflowExecuteMode;
			inputItems?: INodeExecutionData[];
			executionId?: string;
			/** Receives what a Respond to Webhook node sends. */
			onSendResponse?: (response: { body?: unknown; headers?: Record<string, string>; statusCode?: number }) => void;
		} = {},
	): Promise<RunResult> {
		const executionId = options.executionId ?? randomUUID();
		const id = workflowJson.id ?? 'workflow';
		const staticData = JSON.parse(JSON.stringify(this.staticData.get(id) ?? workflowJson.staticData ?? {})) as IDataObject;
		const workflow = new Workflow({
			id,
			name: workflowJson.name ?? id,
			nodes: workflowJson.nodes,
			connections: workflowJson.connections,
			active: false,
			nodeTypes: this.options.nodeTypes,
			staticData,
			settings: { executionOrder: 'v1', timezone: this.options.timezone ?? 'UTC', ...(workflowJson.settings ?? {}) },
		});
		const mode = options.mode ?? 'cli';
		const workflowData = { ...workflowJson, id, name: workflow.name, active: false, createdAt: new Date(), updatedAt: new Date(), isArchived: false, settings: workflow.settings } as unknown as IWorkflowBase;
		const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
		if (options.onSendResponse) hooks.addHandler('sendResponse', async (response) => options.onSendResponse!(response as never));
		const additionalData = this.additionalData(executionId, hooks);
		const execute = new WorkflowExecute(additionalData, mode);
		let run: IRun;
		const startNodeName = options.startNode ?? this.defaultStart(workflowJson);
		const startNode = workflow.getNode(startNodeName);
		if (!startNode) throw new Error(`No node "${startNodeName}" in workflow ${workflow.name}`);
		if (options.inputItems) {
			const runExecutionData = {
				startData: {},
				resultData: { runData: {} },
				executionData: {
					contextData: {},
					nodeExecutionStack: [{ node: startNode, data: { main: [options.inputItems] }, source: null }],
					metadata: {},
					waitingExecution: {},
					waitingExecutionSource: {},
				},
			} as unknown as IRunExecutionData;
			const executeWithData = new WorkflowExecute(additionalData, mode, runExecutionData);
			run = await executeWithData.processRunExecutionData(workflow);
		} else {
			run = await execute.run(workflow, startNode);
		}
		// As n8n: saved after a run outside manual mode, and only when a node changed it.
		if (workflow.staticData.__dataChanged === true && mode !== 'manual') this.saveStaticData(workflow);
		const result: RunResult = {
			run,
			executionId,
			error: run.data.resultData.error as Error | undefined,
			staticData: this.staticData.get(id) ?? {},
			output: (nodeName, outputIndex = 0) =>
				(run.data.resultData.runData[nodeName] ?? []).flatMap((task) => task.data?.main?.[outputIndex] ?? []),
		};
		this.onRun?.(result);
		return result;
	}

	private defaultStart(workflowJson: WorkflowJson): string {
		const manual = workflowJson.nodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger');
		if (manual) return manual.name;
		return workflowJson.nodes[0].name;
	}

	additionalData(executionId: string, hooks: ExecutionLifecycleHooks): IWorkflowExecuteAdditionalData {
		const base = this.webhookBase;
		return {
			credentialsHelper: this.options.credentials,
			executeWorkflow: (info: IExecuteWorkflowInfo, additionalData: IWorkflowExecuteAdditionalData, options: { inputData?: INodeExecutionData[] }) =>
				this.executeSubWorkflow(info, additionalData, options),
			getRunExecutionData: async () => undefined,
			executionId,
			currentNodeExecutionIndex: 0,
			restApiUrl: `${base}rest`,
			instanceBaseUrl: base,
			formWaitingBaseUrl: `${base}form-waiting`,
			webhookBaseUrl: `${base}webhook`,
			webhookWaitingBaseUrl: `${base}webhook-waiting`,
			webhookTestBaseUrl: `${base}webhook-test`,
			variables: {},
			logAiEvent: () => undefined,
			hooks,
			startRunnerTask: async () => {
				throw new Error('Code nodes are not available in-process (and the templates use none)');
			},
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	/** Execute Workflow: runs the called workflow in this runner, in its own execution. */
	private async executeSubWorkflow(
		info: IExecuteWorkflowInfo,
		_additionalData: IWorkflowExecuteAdditionalData,
		options: { inputData?: INodeExecutionData[]; doNotWaitToFinish?: boolean },
	): Promise<ExecuteWorkflowData> {
		const target = info.code ?? (info.id ? this.options.workflows?.[info.id] : undefined);
		if (!target) throw new Error(`Workflow ${info.id ?? '(inline)'} is not known to the test runner`);
		const json = target as unknown as WorkflowJson;
		const trigger = json.nodes.find((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger');
		if (!trigger) throw new Error(`Workflow ${json.name ?? info.id} has no Execute Workflow Trigger`);
		const result = await this.run(json, { startNode: trigger.name, mode: 'integrated', inputItems: options.inputData ?? [{ json: {} }] });
		if (result.error) throw result.error;
		const lastNode = result.run.data.resultData.lastNodeExecuted;
		const data = lastNode ? [result.output(lastNode)] : [[]];
		return { executionId: result.executionId, data };
	}
}

export { createDeferredPromise };
