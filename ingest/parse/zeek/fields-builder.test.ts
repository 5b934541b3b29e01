import { compileFieldsBuilder } from './fields-builder';
import { columnConverter } from './types';

const MARKERS = { setSeparator: ',', emptyField: '(empty)', unsetField: '-' };

describe('compileFieldsBuilder', () => {
  it('stores a field named __proto__ as an own field, leaving the prototype alone', () => {
    const build = compileFieldsBuilder(['__proto__', 'x"y']);
    const fields = build(['a,b', '1'], [columnConverter('set[string]', MARKERS), columnConverter('count', MARKERS)]);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.keys(fields)).toEqual(['__proto__', 'x"y']);
    expect(fields).toEqual({ ['__proto__']: ['a', 'b'], 'x"y': 1 });
  });

  it('reports the first column that does not convert and leaves unset columns out', () => {
    const build = compileFieldsBuilder(['a', 'b', 'c']);
    const converters = ['count', 'count', 'bool'].map((t) => columnConverter(t, MARKERS));
    expect(build(['-', '2', 'maybe'], converters)).toBe(2);
    expect(build(['-', '2', 'T'], converters)).toEqual({ b: 2, c: true });
  });
});
