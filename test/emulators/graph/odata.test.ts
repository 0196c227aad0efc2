import { filterProperties, parseFilter } from './odata';

describe('filterProperties', () => {
	it('lists the top-level properties a filter reads, not the lambda variable', () => {
		const lookUp = parseFilter("singleValueExtendedProperties/Any(ep: ep/id eq 'String {x} Name k' and ep/value eq 'BP-1')");
		expect([...filterProperties(lookUp)]).toEqual(['singlevalueextendedproperties']);
	});

	it('finds properties under and/or/not, functions and nested paths', () => {
		const filter = parseFilter("not (startswith(givenName, 'J')) or businessAddress/city eq 'Ede' and categories/any(c: c eq 'ep')");
		expect([...filterProperties(filter)].sort()).toEqual(['businessaddress', 'categories', 'givenname']);
	});

	it('counts a path named like an outer lambda variable outside that lambda', () => {
		const filter = parseFilter("attendees/any(ep: ep/type eq 'required') and ep eq 'x'");
		expect([...filterProperties(filter)].sort()).toEqual(['attendees', 'ep']);
	});
});
