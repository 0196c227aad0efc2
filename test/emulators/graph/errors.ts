/**
 * Graph errors. Handlers throw a GraphError; the dispatcher turns it into Graph's error envelope
 * `{"error":{"code","message","innerError":{…}}}` with the request's ids.
 */
export class GraphError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

export const badRequest = (message: string, code = 'BadRequest'): GraphError => new GraphError(400, code, message);

export const itemNotFound = (): GraphError =>
	new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export const invalidRequest = (message: string): GraphError => new GraphError(400, 'ErrorInvalidRequest', message);

/** Graph answers 400 RequestBodyRead for properties the entity type does not have. */
export const unknownProperty = (name: string, type: string): GraphError =>
	new GraphError(
		400,
		'RequestBodyRead',
		`The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
	);

export const readOnlyProperty = (name: string): GraphError =>
	new GraphError(
		400,
		'ErrorInvalidPropertyRequest',
		`The property '${name}' is read-only and cannot be set.`,
	);

export function errorBody(error: GraphError, requestId: string, clientRequestId: string, date: string): unknown {
	return {
		error: {
			code: error.code,
			message: error.message,
			innerError: { date, 'request-id': requestId, 'client-request-id': clientRequestId },
		},
	};
}
