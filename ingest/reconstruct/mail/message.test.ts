import { documentId } from '../../pipeline';
import { decodeEventIds, encodeEventIds } from './message';

describe('event links of an open message', () => {
  it('write the file key once for ids of one file, and read back exactly the ids given', () => {
    const a = documentId('Zk3vY0y2m1nQJ8xW4bT0aRr9', 1234);
    const b = documentId('Zk3vY0y2m1nQJ8xW4bT0aRr9', 1399);
    const c = documentId('P0otherFileKeyAAAAAAAAAA', 7);
    const d = documentId('Zk3vY0y2m1nQJ8xW4bT0aRr9', 2000);
    const ids = [a, b, c, d, 'l17', 'no-dot-id'];
    const encoded = encodeEventIds(ids);
    expect(decodeEventIds(encoded)).toEqual(ids);
    expect(encoded.length).toBeLessThan(ids.join(' ').length - 20);
    expect(decodeEventIds('')).toEqual([]);
    expect(decodeEventIds(encodeEventIds([a]))).toEqual([a]);
  });
});
