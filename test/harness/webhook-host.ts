import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { ExecutionLifecycleHooks, HookContext, WebhookContext } from 'n8n-core';
import { Node } from 'n8n-workflow';
import type { IDataObject, INode, INodeExecutionData, INodeType, IWebhookData, IWebhookDescription, IWorkflowBase, WebhookType, Workflow } from 'n8n-workflow';

import type { RunResult, WorkflowJson, WorkflowRunner } from './workflow-runner';

/** The parts of an Express response that nodes use, over a plain Node response. */
class ResponseAdapter {
	headersSent = false;
	/** What was sent, for tests that read every answer. */
	sentBody?: string;
	private statusCode = 200;
	private readonly headers: Record<string, string> = {};

	constructor(private readonly res: http.ServerResponse) {}

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	type(contentType: string): this {
		this.headers['content-type'] = contentType.includes('/') ? contentType : contentType === 'json' ? 'application/json' : `text/${contentType}`;
		return this;
	}

	setHeader(name: string, value: string): this {
		this.headers[name.toLowerCase()] = value;
		return this;
	}

	set(name: string, value: string): this {
		return this.setHeader(name, value);
	}

	json(body: unknown): void {
		this.headers['content-type'] ??= 'application/json';
		this.send(JSON.stringify(body));
	}

	send(body?: unknown): void {
		if (this.headersSent) return;
		this.headersSent = true;
		const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
		if (payload !== undefined && typeof body === 'string') this.headers['content-type'] ??= 'text/html; charset=utf-8';
		this.sentBody = payload === undefined ? undefined : String(payload);
		this.res.writeHead(this.statusCode, this.headers);
		this.res.end(payload);
	}

	end(body?: unknown): void {
		this.send(body);
	}

	writeHead(status: number, headers: Record<string, string> = {}): this {
		this.statusCode = status;
		for (const [name, value] of Object.entries(headers)) this.headers[name.toLowerCase()] = value;
		return this;
	}
}

export interface WebhookCall {
	path: string;
	status: number;
	emitted: INodeExecutionData[];
	run?: RunResult;
	ms: number;
	/** The body of the answer. */
	responseBody?: string;
}

/**
 * Serves the production webhooks of a workflow over real HTTP, as n8n's webhook server does:
 * activation runs the nodes' webhookMethods (checkExists → create), a request runs the node's
 * webhook() with n8n-core's WebhookContext, and emitted items start an execution of the rest of the
 * workflow. Deactivation runs delete.
 */
export class WebhookHost {
	private server?: http.Server;
	readonly calls: WebhookCall[] = [];
	private pending: Array<Promise<unknown>> = [];
	url = '';

	constructor(
		private readonly runner: WorkflowRunner,
		private readonly workflowJson: WorkflowJson,
		/** keepRuns false: an execution is let go once answered, as n8n's main does (a benchmark's memory); tests read them. */
		private readonly options: { runWorkflow?: boolean; maxBodyBytes?: number; keepRuns?: boolean } = {},
	) {}

	async start(): Promise<void> {
		this.server = http.createServer((req, res) => {
			const task = this.handle(req, res).catch((error) => {
				if (!res.headersSent) {
					res.writeHead(500, { 'content-type': 'text/plain' });
					res.end(String((error as Error).message));
				}
			});
			this.pending.push(task);
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
		this.runner.webhookBase = this.url;
	}

	async stop(): Promise<void> {
		await this.settle();
		await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
	}

	/** Waits for webhook calls in progress (and the executions they started). */
	async settle(): Promise<void> {
		while (this.pending.length > 0) {
			const batch = this.pending;
			this.pending = [];
			await Promise.allSettled(batch);
		}
	}

	webhookNodes(): INode[] {
		return this.workflowJson.nodes.filter((node) => {
			const type = this.nodeType(node);
			return Boolean(type.description.webhooks?.length) && !node.disabled;
		});
	}

	/** The production URL of a node's webhook, as n8n computes it (webhook id, or a full path). */
	webhookUrl(node: INode, name: WebhookType = 'default'): string {
		const workflow = this.runner.workflowOf(this.workflowJson);
		const description = this.nodeType(node).description.webhooks!.find((w) => w.name === name)!;
		const data = this.webhookData(workflow, node, description);
		const context = new HookContext(workflow, workflow.getNode(node.name)!, data.workflowExecuteAdditionalData, 'trigger', 'activate', data);
		return context.getNodeWebhookUrl(name)!;
	}

	private route(pathname: string, method: string): { node: INode; description: IWebhookDescription } | undefined {
		for (const node of this.webhookNodes()) {
			for (const description of this.nodeType(node).description.webhooks ?? []) {
				const url = new URL(this.webhookUrl(node, description.name));
				const methods = String(this.runner.workflowOf(this.workflowJson).expression.getSimpleParameterValue(node, description.httpMethod, 'webhook', {}) ?? description.httpMethod);
				if (url.pathname === pathname && methods.toUpperCase().includes(method)) return { node, description };
			}
		}
		return undefined;
	}

	async activate(): Promise<void> {
		await this.lifecycle('activate');
	}

	async deactivate(): Promise<void> {
		await this.lifecycle('deactivate');
	}

	private nodeType(node: INode): INodeType {
		return this.runner['options'].nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	}

	private webhookData(workflow: Workflow, node: INode, description: IWebhookDescription): IWebhookData {
		return {
			httpMethod: description.httpMethod as IWebhookData['httpMethod'],
			node: node.name,
			path: String(description.path),
			webhookDescription: description,
			workflowId: String(workflow.id),
			workflowExecuteAdditionalData: this.additionalData(workflow),
			webhookId: node.webhookId,
		} as IWebhookData;
	}

	private additionalData(workflow: Workflow) {
		const executionId = randomUUID();
		const hooks = new ExecutionLifecycleHooks('webhook', executionId, { id: workflow.id, name: workflow.name, nodes: [], connections: {}, active: true } as unknown as IWorkflowBase);
		return this.runner.additionalData(executionId, hooks);
	}

	private async lifecycle(which: 'activate' | 'deactivate'): Promise<void> {
		const workflow = this.runner.workflowOf(this.workflowJson);
		for (const node of this.webhookNodes()) {
			const type = this.nodeType(node);
			const methods = type.webhookMethods?.default;
			if (!methods) continue;
			for (const description of type.description.webhooks ?? []) {
				const data = this.webhookData(workflow, node, description);
				const context = new HookContext(workflow, workflow.getNode(node.name)!, data.workflowExecuteAdditionalData, 'trigger', which === 'activate' ? 'activate' : 'manual', data);
				if (which === 'activate') {
					if (!(await methods.checkExists.call(context))) await methods.create.call(context);
				} else {
					await methods.delete.call(context);
				}
			}
		}
		this.runner.saveStaticData(workflow);
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const started = Date.now();
		const url = new URL(req.url ?? '/', this.url);
		const target = this.route(url.pathname, req.method ?? 'GET');
		if (!target) {
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ code: 404, message: 'The requested webhook is not registered.' }));
			return;
		}
		const { node, description } = target;
		const raw = await readBody(req, this.options.maxBodyBytes ?? 16 * 1024 * 1024);
		if (raw === undefined) {
			res.writeHead(413, { 'content-type': 'text/plain' });
			res.end('Request body too large');
			return;
		}
		let body: unknown = {};
		if (raw.length > 0) {
			try {
				body = JSON.parse(raw);
			} catch {
				body = raw;
			}
		}
		const request = Object.assign(req, {
			body,
			query: Object.fromEntries(url.searchParams),
			rawBody: Buffer.from(raw),
			params: {},
			ip: '127.0.0.1',
			ips: [],
			contentType: String(req.headers['content-type'] ?? '').split(';')[0],
		});
		const response = new ResponseAdapter(res);
		const workflow = this.runner.workflowOf(this.workflowJson);
		const data = this.webhookData(workflow, node, description);
		const additionalData = { ...data.workflowExecuteAdditionalData, httpRequest: request, httpResponse: response };
		const context = new WebhookContext(workflow, workflow.getNode(node.name)!, additionalData as never, 'webhook', data, [], null);
		const type = this.nodeType(node);
		// As n8n's webhook service: class-based nodes get the context as argument, others as `this`.
		const result = type instanceof Node ? await type.webhook!(context) : await type.webhook!.call(context);
		this.runner.saveStaticData(workflow);
		const responseMode = workflow.expression.getSimpleParameterValue(node, node.parameters.responseMode as string, 'webhook', {});
		const respondsLater = responseMode === 'responseNode' || responseMode === 'lastNode';
		if (!result.noWebhookResponse && !respondsLater && !response.headersSent) response.status(200).json({ message: 'Workflow was started' });
		const emitted = result.workflowData?.[0] ?? [];
		const call: WebhookCall = { path: url.pathname, status: res.statusCode, emitted, ms: Date.now() - started };
		this.calls.push(call);
		if (emitted.length > 0 && this.options.runWorkflow !== false) {
			call.run = await this.runner.run(this.workflowJson, {
				startNode: node.name,
				inputItems: emitted,
				mode: 'webhook',
				onSendResponse: (sent) => {
					for (const [name, value] of Object.entries(sent.headers ?? {})) response.setHeader(name, value);
					response.status(sent.statusCode ?? 200).send(typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body ?? ''));
				},
			});
		}
		// "When last node finishes": the output of the node that ran last (n8n answers 500 when the execution failed).
		if (responseMode === 'lastNode' && call.run && !response.headersSent) {
			const { run } = call;
			const last = run.run.data.resultData.lastNodeExecuted;
			const items = last ? run.output(last).map((item) => item.json) : [];
			if (run.error) response.status(500).json({ message: 'Error in workflow', error: run.error.message });
			else response.status(200).json(node.parameters.responseData === 'allEntries' ? items : (items[0] ?? {}));
		}
		// A workflow that should have answered but did not.
		if (!response.headersSent) response.status(500).json({ message: 'The workflow did not answer', error: call.run?.error?.message });
		call.status = res.statusCode;
		call.responseBody = response.sentBody;
		if (this.options.keepRuns === false) delete call.run;
	}

	emitted(): IDataObject[] {
		return this.calls.flatMap((call) => call.emitted.map((item) => item.json));
	}
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let tooLarge = false;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) tooLarge = true;
			else chunks.push(chunk);
		});
		req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}
