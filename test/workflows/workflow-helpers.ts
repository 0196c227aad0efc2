import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Event } from '@microsoft/microsoft-graph-types';

import { startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { RunResult, WorkflowJson } from '../harness/workflow-runner';
import { withSettings } from '../../scripts/workflows/builder';
import { USERS_FAILED_NODE } from '../../scripts/workflows/pull-sync';
import { scenario } from './scenario';

export const WORKFLOW_DIR = path.join(__dirname, '..', '..', 'workflows');

/** A shipped workflow file, as a user imports it. */
export function shipped(file: string): WorkflowJson & { id: string } {
	return JSON.parse(fs.readFileSync(path.join(WORKFLOW_DIR, file), 'utf8'));
}

/** The same workflow with values changed in its Settings node, as a user would in the editor. */
export { withSettings };

/**
 * The push workflow active as a user runs it: its webhooks served, activated, and **Run now** once so
 * that the LN sync users' calendars are subscribed.
 */
export async function activePush(env: Environment, push: WorkflowJson): Promise<{ host: WebhookHost; keep: RunResult }> {
	const host = new WebhookHost(env.runner, push);
	await host.start();
	await host.activate();
	const keep = await env.runner.run(push, { startNode: 'Run now' });
	if (keep.error) throw keep.error;
	return { host, keep };
}

/** Both emulators with the scenario tenant and the built package's nodes (what users install). */
export async function scenarioEnvironment(workflows: WorkflowJson[]): Promise<Environment & { scenario: ReturnType<typeof scenario> }> {
	const data = scenario();
	const env = await startEnvironment({
		lnSeed: data.lnSeed,
		graphSeed: data.graphSeed,
		nodes: 'dist',
		workflows: Object.fromEntries(workflows.map((w) => [w.id!, w])),
	});
	return Object.assign(env, { scenario: data });
}

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

const prop = (event: WithProps, name: string) => event.singleValueExtendedProperties?.find((p) => p.id?.endsWith(`Name ${name}`))?.value;

/**
 * The end state of both systems without ids, ETags, iCalUIds and times of writing, so two runs of the
 * same scenario can be compared.
 */
export function endState(env: Environment): unknown {
	// LN numbers new appointments in the order they are written, which mailboxes side by side (or a
	// run that was cut short) change: an activity is named by its content, not by its number.
	const lnActivities = env.ln.list('100', 'activities');
	const nameOf = new Map(lnActivities.map((a) => [String(a.id), `${a.subject}@${a.start}`]));
	const activityName = (lnKey: string | null | undefined) => lnKey?.replace(/^(ln:100:activity:)(.+)$/, (_, prefix: string, id: string) => `${prefix}${nameOf.get(id) ?? id}`);
	const references = new Map<string, string>();
	const events: Record<string, unknown[]> = {};
	for (const mailbox of ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com', 'zoe@contoso.com']) {
		events[mailbox] = (env.graph.events(mailbox) as WithProps[])
			.map((event) => {
				if (event.iCalUId) references.set(event.iCalUId, `${event.subject}@${event.start?.dateTime}`);
				return {
					subject: event.subject,
					type: event.type,
					start: event.start?.dateTime,
					isOrganizer: event.isOrganizer,
					isCancelled: event.isCancelled,
					attendees: (event.attendees ?? []).map((a) => `${a.emailAddress?.address}:${a.type}`).sort(),
					lnKey: activityName(prop(event, 'LnKey')),
					lnOrigin: prop(event, 'LnState')?.split('|')[0],
					occurrences: prop(event, 'LnOccurrences') ? JSON.parse(prop(event, 'LnOccurrences')!).length : undefined,
				};
			})
			.sort((a, b) => `${a.subject}${a.start}`.localeCompare(`${b.subject}${b.start}`));
	}
	const contacts: Record<string, string[]> = {};
	for (const mailbox of ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com', 'zoe@contoso.com']) {
		contacts[mailbox] = env.graph.contacts(mailbox).map((c) => `${c.displayName}|${c.jobTitle ?? ''}|${c.parentFolderId ? 'folder' : ''}`).sort();
	}
	const activities = lnActivities
		.map((a) => ({
			type: a.type,
			subject: a.subject,
			start: a.start,
			status: a.status,
			synchronize: a.synchronize,
			reference: a.reference ? (references.get(String(a.reference)) ?? 'unknown event') : '',
			attendees: env.ln
				.list('100', 'attendees')
				.filter((t) => t.activity === a.id)
				.map((t) => `${t.sequence}:${t.role}:${t.type}:${t.code ?? ''}:${t.email}:invite=${t.invite}:sent=${t.sentToSynchronizer}:synced=${t.synchronized}:${t.status}`),
		}))
		.sort((a, b) => `${a.subject}@${a.start}@${a.reference}`.localeCompare(`${b.subject}@${b.start}@${b.reference}`));
	return { events, contacts, activities };
}

/** Requests that changed something (writes), per system. */
export function writes(env: Environment): { graph: string[]; ln: string[] } {
	const graph = env.graph.log
		.all()
		.filter((r) => r.method !== 'GET' && !r.path.endsWith('/token') && !r.path.endsWith('$batch'))
		.map((r) => `${r.method} ${r.path}`);
	const ln = env.ln.log
		.all()
		.filter((r) => r.method !== 'GET' && !r.path.includes('token'))
		.map((r) => `${r.method} ${r.path}`);
	return { graph, ln };
}

/**
 * Runs the shipped pull from "Run now". A run whose users failed ends in error by design (the report is
 * written first): that result is returned for the test to read; any other error is thrown.
 */
export async function runPullExpectingFailures(env: Environment, workflow: WorkflowJson): Promise<RunResult> {
	const result = await env.runner.run(workflow, { startNode: 'Run now' });
	if (result.error && !failedUsersOnly(result)) throw result.error;
	return result;
}

/** Whether the run ended in error only because sync users failed. */
export function failedUsersOnly(result: RunResult): boolean {
	return (result.error as { node?: { name?: string } } | undefined)?.node?.name === USERS_FAILED_NODE;
}
