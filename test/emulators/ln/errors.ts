import { randomUUID } from 'node:crypto';

import type { EmulatorResponse } from '../common/server';

/** One entry of LN's `Details` list. */
export interface LnErrorDetail {
	Code: string;
	Message: string;
}

/** LN's error body (lnapi): the shape the LN transport parses. */
export interface LnErrorBody {
	Code: string;
	Message: string;
	Details: LnErrorDetail[];
	InnerError: {
		StatusCode: number;
		Error: number;
		LastDBError: number;
		LastIOError: number;
		RequestId: string;
		TenantId: string;
		PackageCombination: string;
		LnUser: string;
		Company: number;
	};
}

/** The LN user bound to the service account of an `.ionapi` file with a blank full name. */
export const LN_SERVICE_USER = 'svc_ln';
/** What `InnerError.PackageCombination` shows; any stable text would do. */
export const LN_PACKAGE_COMBINATION = 'LNCE_2025.10_la';

/**
 * LN's internal error numbers in `InnerError.Error`. Only 201 (stale ETag) is taken from the LN
 * documentation's example; the others are stable made-up numbers so tests can tell them apart.
 */
const LN_ERROR_NUMBERS: Record<number, number> = {
	400: 100,
	404: 110,
	405: 120,
	409: 200,
	412: 201,
	415: 130,
	422: 300,
	428: 202,
};

/**
 * An error the emulator answers with LN's body. Thrown anywhere below the HTTP boundary and turned
 * into a response by `toResponse`, so validation code can stay free of HTTP plumbing.
 */
export class LnHttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details: LnErrorDetail[] = [],
	) {
		super(message);
		this.name = 'LnHttpError';
	}

	toBody(tenant: string, company: string | undefined): LnErrorBody {
		return {
			Code: this.code,
			Message: this.message,
			Details: this.details.length ? this.details : [{ Code: this.code, Message: this.message }],
			InnerError: {
				StatusCode: this.status,
				Error: LN_ERROR_NUMBERS[this.status] ?? 1,
				LastDBError: 0,
				LastIOError: 0,
				RequestId: randomUUID(),
				TenantId: tenant,
				PackageCombination: LN_PACKAGE_COMBINATION,
				LnUser: LN_SERVICE_USER,
				Company: Number(company ?? 0) || 0,
			},
		};
	}

	toResponse(tenant: string, company: string | undefined): EmulatorResponse {
		return {
			status: this.status,
			headers: { 'content-type': 'application/json; charset=utf-8', 'OData-Version': '4.0' },
			body: this.toBody(tenant, company),
		};
	}
}

export const badRequest = (message: string, code = 'ERROR:BadRequest', details?: LnErrorDetail[]) =>
	new LnHttpError(400, code, message, details);
export const notFound = (message: string, code = 'ERROR:ResourceNotFound') => new LnHttpError(404, code, message);
export const conflict = (message: string) => new LnHttpError(409, 'ERROR:EntityAlreadyExists', message);
export const unprocessable = (message: string, detailCode: string) =>
	new LnHttpError(422, 'ERROR:FunctionalError', message, [{ Code: detailCode, Message: message }]);
