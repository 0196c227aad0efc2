import { GraphError, badRequest } from './errors';

/**
 * JSON batching: at most 20 requests, `dependsOn` ordering (a failed dependency → 424), at most
 * 4 requests of the batch running at once (as Outlook does), responses in completion order.
 */

export interface BatchItem {
	id: string;
	method: string;
	url: string;
	headers?: Record<string, string>;
	body?: unknown;
	dependsOn?: string[];
}

export interface BatchItemResponse {
	id: string;
	status: number;
	headers: Record<string, string>;
	body?: unknown;
}

export const MAX_BATCH = 20;
export const BATCH_PARALLELISM = 4;
const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

export function parseBatch(body: unknown): BatchItem[] {
	const requests = (body && typeof body === 'object' ? (body as { requests?: unknown }).requests : undefined);
	if (!Array.isArray(requests)) throw badRequest('Invalid batch payload format.', 'BadRequest');
	if (requests.length === 0) throw badRequest('Invalid batch payload format: the batch has no requests.', 'BadRequest');
	if (requests.length > MAX_BATCH) {
		throw badRequest(`Limit of ${MAX_BATCH} requests per batch exceeded (the batch has ${requests.length}).`, 'BadRequest');
	}
	const ids = new Set<string>();
	const items: BatchItem[] = requests.map((raw: unknown) => {
		const r = (raw ?? {}) as Record<string, unknown>;
		const id = r.id === undefined || r.id === null ? '' : String(r.id);
		if (!id) throw badRequest('Every request in a batch needs an id.', 'BadRequest');
		if (ids.has(id)) throw badRequest(`Batch request ids must be unique; '${id}' is used more than once.`, 'BadRequest');
		ids.add(id);
		const method = String(r.method ?? '').toUpperCase();
		if (!METHODS.includes(method)) throw badRequest(`Invalid method '${String(r.method)}' for request id ${id}.`, 'BadRequest');
		if (typeof r.url !== 'string' || !r.url) throw badRequest(`Request id ${id} has no url.`, 'BadRequest');
		const headers: Record<string, string> = {};
		if (r.headers && typeof r.headers === 'object') {
			for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
		}
		if (r.body !== undefined && r.body !== null && !headers['content-type']) {
			throw badRequest(`Write request id : ${id} does not contain Content-Type header or body.`, 'BadRequest');
		}
		const dependsOn = r.dependsOn === undefined ? undefined : (r.dependsOn as unknown[]).map(String);
		if (dependsOn !== undefined && !Array.isArray(r.dependsOn)) throw badRequest(`dependsOn of request id ${id} must be an array.`, 'BadRequest');
		return { id, method, url: r.url, headers, body: r.body ?? undefined, dependsOn };
	});
	for (const item of items) {
		for (const dep of item.dependsOn ?? []) {
			if (!ids.has(dep)) throw badRequest(`Request id ${item.id} depends on unknown request id ${dep}.`, 'BadRequest');
		}
	}
	assertAcyclic(items);
	return items;
}

function assertAcyclic(items: BatchItem[]): void {
	const byId = new Map(items.map((i) => [i.id, i]));
	const state = new Map<string, 'visiting' | 'done'>();
	const visit = (id: string): void => {
		if (state.get(id) === 'done') return;
		if (state.get(id) === 'visiting') throw badRequest('The dependsOn relations of the batch form a cycle.', 'BadRequest');
		state.set(id, 'visiting');
		for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep);
		state.set(id, 'done');
	};
	for (const item of items) visit(item.id);
}

/** Runs the items; `run` executes one inner request through the normal pipeline. */
export async function runBatch(items: BatchItem[], run: (item: BatchItem) => Promise<BatchItemResponse>): Promise<BatchItemResponse[]> {
	const responses: BatchItemResponse[] = [];
	const done = new Map<string, number>();
	const waiting = [...items];
	const running = new Set<Promise<void>>();
	const failedDependency = (item: BatchItem): string | undefined =>
		item.dependsOn?.find((dep) => {
			const status = done.get(dep);
			return status !== undefined && !(status >= 200 && status < 300);
		});
	const ready = (item: BatchItem): boolean => (item.dependsOn ?? []).every((dep) => done.has(dep));

	while (waiting.length || running.size) {
		let progressed = false;
		for (let i = 0; i < waiting.length; i++) {
			const item = waiting[i];
			if (!ready(item)) continue;
			const failed = failedDependency(item);
			if (failed !== undefined) {
				waiting.splice(i--, 1);
				const response: BatchItemResponse = {
					id: item.id,
					status: 424,
					headers: { 'content-type': 'application/json' },
					body: { error: { code: 'FailedDependency', message: `The request depends on request ${failed}, which failed.` } },
				};
				responses.push(response);
				done.set(item.id, 424);
				progressed = true;
				continue;
			}
			if (running.size >= BATCH_PARALLELISM) break;
			waiting.splice(i--, 1);
			const task = run(item)
				.catch((error: unknown): BatchItemResponse => {
					const e = error instanceof GraphError ? error : new GraphError(500, 'InternalServerError', String(error));
					return { id: item.id, status: e.status, headers: { 'content-type': 'application/json' }, body: { error: { code: e.code, message: e.message } } };
				})
				.then((response) => {
					responses.push(response);
					done.set(item.id, response.status);
				});
			const tracked: Promise<void> = task.finally(() => running.delete(tracked));
			running.add(tracked);
			progressed = true;
		}
		if (!progressed || running.size >= BATCH_PARALLELISM || (waiting.length && !waiting.some(ready))) {
			if (running.size) await Promise.race(running);
			else if (!progressed) break;
		}
	}
	return responses;
}
