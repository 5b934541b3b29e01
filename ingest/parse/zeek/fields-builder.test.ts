import { compileFieldsBuilder, TOO_FEW_COLUMNS } from './fields-builder';
import { columnConverter } from './types';

const MARKERS = { setSeparator: ',', emptyField: '(empty)', unsetField: '-' };

describe('compileFieldsBuilder', () => {
  it('stores a field named __proto__ as an own field, leaving the prototype alone', () => {
    const build = compileFieldsBuilder(['__proto__', 'x"y']);
    const fields = build('a,b\t1', '\t', [columnConverter('set[string]', MARKERS), columnConverter('count', MARKERS)], { end: 0 });
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.keys(fields)).toEqual(['__proto__', 'x"y']);
    expect(fields).toEqual({ ['__proto__']: ['a', 'b'], 'x"y': 1 });
  });

  it('reports the first column that does not convert and leaves unset columns out', () => {
    const build = compileFieldsBuilder(['a', 'b', 'c']);
    const converters = ['count', 'count', 'bool'].map((t) => columnConverter(t, MARKERS));
    expect(build('-\t2\tmaybe', '\t', converters, { end: 0 })).toBe(2);
    expect(build('-\t2\tT', '\t', converters, { end: 0 })).toEqual({ b: 2, c: true });
  });

  it('reports a line with fewer columns than declared, and where the declared columns end', () => {
    const build = compileFieldsBuilder(['a', 'b']);
    const converters = ['count', 'count'].map((t) => columnConverter(t, MARKERS));
    const cursor = { end: 0 };
    expect(build('1', '||', converters, cursor)).toBe(TOO_FEW_COLUMNS);
    expect(build('1||2', '||', converters, cursor)).toEqual({ a: 1, b: 2 });
    expect(cursor.end).toBe(4);
    expect(build('1||2||extra', '||', converters, cursor)).toEqual({ a: 1, b: 2 });
    expect(cursor.end).toBe(4);
  });
});
