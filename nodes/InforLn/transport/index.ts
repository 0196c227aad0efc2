import { createHash } from 'node:crypto';

import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { resolveMapping, type LnApiMapping, type LnMappingOverrides } from '../../../lib/ln/contract';
import { parseIonApiText, toIonApiConfig, type IonApiConfig } from '../../../lib/ln/ionapi';
import type { HttpRequester } from '../../../lib/http/requester';
import { DEFAULT_LN_CONCURRENCY, LnTransport } from '../../../lib/ln/transport';
import { Semaphore } from '../../../lib/http/semaphore';
import { ledgerFor } from '../../../lib/sync/report';
import { concurrencySetting, jsonOf } from '../../shared/errors';

export const CREDENTIAL_NAME = 'inforLnIonApi';

/** The ION API configuration from the credential: the pasted .ionapi file or the single fields. */
export function ionConfigFromCredential(data: ICredentialDataDecryptedObject): IonApiConfig {
	const options = { allowLoopbackHttp: data.allowLoopbackHttp === true };
	if (data.inputMode === 'fields') {
		// Credentials saved before 0.2 keep the .ionapi key names (cs, sask) as field names.
		const field = (...names: string[]) => names.map((name) => data[name]).find((value): value is string => typeof value === 'string' && value !== '');
		return toIonApiConfig({
			ti: field('ti'),
			ci: field('ci'),
			cs: field('clientSecret', 'cs'),
			iu: field('iu'),
			pu: field('pu'),
			ot: field('ot'),
			saak: field('saak') || undefined,
			sask: field('serviceAccountSecretKey', 'sask') || undefined,
		}, options);
	}
	return toIonApiConfig(parseIonApiText(String(data.ionapiSecretFile ?? data.ionapiText ?? '')), options);
}

export interface LnContext {
	transport: LnTransport;
	mapping: LnApiMapping;
	company: string;
	/** Requests this process may have in flight to the gateway: items are worked this many at a time. */
	concurrency: number;
}

/** One gate per gateway, tenant and client, shared by all executions in this process. */
const gates = new Map<string, Semaphore>();

export function lnConcurrencyOf(data: ICredentialDataDecryptedObject): number {
	return concurrencySetting(data.maxConcurrentRequests, 'Concurrent Requests', DEFAULT_LN_CONCURRENCY);
}

function gateFor(ion: IonApiConfig, limit: number): Semaphore {
	const key = createHash('sha256').update([ion.gatewayUrl, ion.tenant, ion.clientId, limit].join('|')).digest('hex');
	let gate = gates.get(key);
	if (!gate) {
		gate = new Semaphore(limit);
		gates.set(key, gate);
	}
	return gate;
}

export function mappingFromParameter(value: unknown): LnApiMapping {
	if (value === undefined || value === null || value === '') return resolveMapping();
	let overrides: unknown = value;
	if (typeof value === 'string') {
		const parsed = jsonOf(value);
		if (!parsed.ok) throw new Error('API Mapping is not valid JSON, e.g. {"services": {"syncService": "txcrm.calendar"}, "activity": {"subject": "Title"}}');
		overrides = parsed.value;
	}
	if (typeof overrides !== 'object' || Array.isArray(overrides)) {
		throw new Error('API Mapping must be a JSON object of groups (services, contact, activity, attendee, syncUser, …)');
	}
	return resolveMapping(overrides as LnMappingOverrides);
}

/** The LN transport for this node run: credential, company, mapping, request counting into the run report. */
export async function lnContext(this: IExecuteFunctions): Promise<LnContext> {
	const credential = await this.getCredentials(CREDENTIAL_NAME);
	let ion: IonApiConfig;
	let mapping: LnApiMapping;
	let concurrency: number;
	try {
		ion = ionConfigFromCredential(credential);
		concurrency = lnConcurrencyOf(credential);
		mapping = mappingFromParameter(this.getNodeParameter('apiMapping', 0, '{}'));
	} catch (error) {
		throw new NodeOperationError(this.getNode(), (error as Error).message);
	}
	const company = String(credential.company ?? '').trim();
	const ledger = ledgerFor(this.getExecutionId());
	const http: HttpRequester = async (options) =>
		(await this.helpers.httpRequest(options)) as Awaited<ReturnType<HttpRequester>>;
	let transport: LnTransport;
	try {
		transport = new LnTransport({ ion, company, language: String(credential.language ?? '').trim() || undefined }, http, {
			onRequest: (info) => ledger.request('ln', info.kind),
			gate: gateFor(ion, concurrency),
		});
	} catch (error) {
		throw new NodeOperationError(this.getNode(), `Infor LN credential: ${(error as Error).message}`);
	}
	return { transport, mapping, company, concurrency };
}
