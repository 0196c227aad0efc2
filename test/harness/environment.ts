import * as path from 'node:path';

import { PackageDirectoryLoader } from 'n8n-core';
import type { ICredentialDataDecryptedObject, IDataObject, INode, INodeExecutionData, INodeType } from 'n8n-workflow';

import type { LnApiMapping } from '../../lib/ln/contract';
import { GraphEmulator, type GraphEmulatorOptions, type GraphSeed } from '../emulators/graph/emulator';
import { LnEmulator, type LnSeed } from '../emulators/ln/emulator';
import { NodeTypeRegistry, PlainCredentials, WorkflowRunner, type RunResult, type WorkflowJson } from './workflow-runner';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTestCertificate } = require('../../scripts/tls.js') as { ensureTestCertificate: () => { keyPath: string; certPath: string } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const packageJson = require('../../package.json') as { name: string; n8n: { nodes: string[] } };

export const PACKAGE = packageJson.name;
export const LN_CREDENTIAL_ID = 'ln-1';
export const GRAPH_CREDENTIAL_ID = 'graph-1';
export const LN_WEBHOOK_CREDENTIAL_ID = 'ln-webhook-1';
export const LN_WEBHOOK_HEADER = 'X-LN-Webhook-Secret';
export const LN_WEBHOOK_SECRET = 'ln-webhook-secret-for-tests-7f3a';

/** Stock n8n nodes the templates use, from n8n-nodes-base, by type name. */
const STOCK_NODES: Record<string, string> = {
	manualTrigger: 'ManualTrigger/ManualTrigger.node.js',
	scheduleTrigger: 'Schedule/ScheduleTrigger.node.js',
	executeWorkflow: 'ExecuteWorkflow/ExecuteWorkflow/ExecuteWorkflow.node.js',
	executeWorkflowTrigger: 'ExecuteWorkflow/ExecuteWorkflowTrigger/ExecuteWorkflowTrigger.node.js',
	set: 'Set/Set.node.js',
	if: 'If/If.node.js',
	switch: 'Switch/Switch.node.js',
	splitOut: 'Transform/SplitOut/SplitOut.node.js',
	merge: 'Merge/Merge.node.js',
	noOp: 'NoOp/NoOp.node.js',
	filter: 'Filter/Filter.node.js',
	webhook: 'Webhook/Webhook.node.js',
	respondToWebhook: 'RespondToWebhook/RespondToWebhook.node.js',
	stickyNote: 'StickyNote/StickyNote.node.js',
	splitInBatches: 'SplitInBatches/SplitInBatches.node.js',
	aggregate: 'Transform/Aggregate/Aggregate.node.js',
	httpRequest: 'HttpRequest/HttpRequest.node.js',
	stopAndError: 'StopAndError/StopAndError.node.js',
	errorTrigger: 'ErrorTrigger/ErrorTrigger.node.js',
	// This n8n-nodes-base (1.121) has no table operations and the harness no Data Table service: the
	// history and mailbox-table steps fail here as on n8n 1.x, and the sync must not mind (the state then
	// stays in static data; the Data Table path is tested in e2e and by the Mailbox State node tests).
	dataTable: 'DataTable/DataTable.node.js',
};

function loadStock(registry: NodeTypeRegistry): void {
	for (const [name, file] of Object.entries(STOCK_NODES)) {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require(`n8n-nodes-base/dist/nodes/${file}`) as Record<string, new () => INodeType>;
		const Type = Object.values(module)[0];
		registry.register(`n8n-nodes-base.${name}`, new Type());
	}
}

/**
 * Our nodes from the built package, loaded by n8n-core's PackageDirectoryLoader as n8n loads a
 * community package (workflow tests), or from the TypeScript sources (node tests).
 */
async function loadOurs(registry: NodeTypeRegistry, from: 'source' | 'dist'): Promise<void> {
	const root = path.join(__dirname, '..', '..');
	if (from === 'dist') {
		const loader = new PackageDirectoryLoader(root);
		await loader.loadAll();
		for (const [name, { type }] of Object.entries(loader.nodeTypes)) registry.register(`${loader.packageName}.${name}`, type as INodeType);
		return;
	}
	for (const file of packageJson.n8n.nodes) {
		const modulePath = path.join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require(modulePath) as Record<string, new () => INodeType>;
		// As n8n's loader: the class is named after the file.
		const Type = module[path.basename(file).replace(/\.node\.js$/, '')];
		const instance = new Type();
		registry.register(`${PACKAGE}.${instance.description.name}`, instance);
	}
}

export interface Environment {
	ln: LnEmulator;
	graph: GraphEmulator;
	nodeTypes: NodeTypeRegistry;
	credentials: PlainCredentials;
	runner: WorkflowRunner;
	lnCredentialData: IDataObject;
	graphCredentialData: IDataObject;
	stop(): Promise<void>;
}

export interface EnvironmentOptions {
	lnSeed?: LnSeed;
	graphSeed?: GraphSeed;
	/** Graph emulator knobs (e.g. a notification flush delay). */
	graph?: Partial<Omit<GraphEmulatorOptions, 'tls'>>;
	lnMapping?: LnApiMapping;
	lnPageSize?: number;
	nodes?: 'source' | 'dist';
	workflows?: Record<string, WorkflowJson>;
	company?: string;
}

/** Both emulators, credentials that point at them, and a runner with our nodes and the stock ones. */
export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
	const ln = new LnEmulator({ mapping: options.lnMapping, pageSize: options.lnPageSize });
	const graph = new GraphEmulator({ ...options.graph, tls: ensureTestCertificate() });
	await Promise.all([ln.start(), graph.start()]);
	if (options.lnSeed) ln.seed(options.lnSeed);
	if (options.graphSeed) graph.seed(options.graphSeed);
	const lnCredentialData: IDataObject = { inputMode: 'file', ionapiSecretFile: JSON.stringify(ln.ionapi()), company: options.company ?? '100', language: '', allowLoopbackHttp: true };
	const graphCredentialData: IDataObject = {
		tenantId: graph.tenantId,
		clientId: graph.app.clientId,
		clientSecret: graph.app.clientSecret,
		cloud: 'custom',
		graphBaseUrl: graph.url,
		loginUrl: graph.loginUrl,
	};
	const credentials = new PlainCredentials({
		[LN_CREDENTIAL_ID]: { type: 'inforLnIonApi', data: lnCredentialData as ICredentialDataDecryptedObject },
		[GRAPH_CREDENTIAL_ID]: { type: 'microsoftGraphAppOnlyApi', data: graphCredentialData as ICredentialDataDecryptedObject },
		[LN_WEBHOOK_CREDENTIAL_ID]: { type: 'inforLnWebhookApi', data: { authentication: 'header', headerName: LN_WEBHOOK_HEADER, secret: LN_WEBHOOK_SECRET } },
	});
	const nodeTypes = new NodeTypeRegistry();
	loadStock(nodeTypes);
	await loadOurs(nodeTypes, options.nodes ?? 'source');
	const runner = new WorkflowRunner({ nodeTypes, credentials, workflows: options.workflows });
	return {
		ln,
		graph,
		nodeTypes,
		credentials,
		runner,
		lnCredentialData,
		graphCredentialData,
		stop: async () => {
			await Promise.all([ln.stop(), graph.stop()]);
			stopN8nCoreTimers();
		},
	};
}

/** n8n-core starts an SSH-client cleanup interval on first use; stop it so test processes can exit. */
function stopN8nCoreTimers(): void {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { Container } = require('@n8n/di') as { Container: { get<T>(type: new (...args: never[]) => T): T } };
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { SSHClientsManager } = require('n8n-core/dist/execution-engine/ssh-clients-manager') as { SSHClientsManager: new (...args: never[]) => { onShutdown(): void } };
	Container.get(SSHClientsManager).onShutdown();
}

let nodeCounter = 0;

/** A node of ours with its credential, for a one-node workflow. */
export function ourNode(type: 'inforLn' | 'inforLnTrigger' | 'microsoftExchange' | 'microsoftGraphTrigger', parameters: IDataObject, extra: Partial<INode> = {}): INode {
	const credential =
		type === 'inforLn'
			? { inforLnIonApi: { id: LN_CREDENTIAL_ID, name: 'LN' } }
			: type === 'inforLnTrigger'
				? { inforLnWebhookApi: { id: LN_WEBHOOK_CREDENTIAL_ID, name: 'LN webhook' } }
				: { microsoftGraphAppOnlyApi: { id: GRAPH_CREDENTIAL_ID, name: 'Graph' } };
	return {
		id: `node-${++nodeCounter}`,
		name: extra.name ?? `${type} ${nodeCounter}`,
		type: `${PACKAGE}.${type}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: credential,
		...extra,
	} as INode;
}

/** Runs one node on the given input items (as if an upstream node produced them). */
export async function runNode(env: Environment, node: INode, input: IDataObject[] = [{}], workflowId = 'node-test'): Promise<RunResult & { items: INodeExecutionData[] }> {
	const result = await env.runner.run(
		{ id: workflowId, name: workflowId, nodes: [node], connections: {} },
		{ startNode: node.name, inputItems: input.map((json) => ({ json })), mode: 'cli' },
	);
	return { ...result, items: result.output(node.name) };
}
