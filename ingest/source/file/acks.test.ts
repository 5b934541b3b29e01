import { AckTracker } from './acks';

const H = (n: number) => [Buffer.from(`header-${n}`)];

describe('AckTracker', () => {
  it('moves the committed offset with in-order cumulative acknowledgements', () => {
    const acks = new AckTracker(100);
    acks.issue(500);
    expect(acks.ackThrough(300, H(1))).toBe(true);
    expect(acks.committed).toBe(300);
    expect(acks.ackThrough(200, H(0))).toBe(false);
    expect(acks.committed).toBe(300);
    expect(acks.header).toEqual(H(1));
    expect(acks.settled).toBe(false);
    expect(acks.ackThrough(500, H(2))).toBe(true);
    expect(acks.settled).toBe(true);
  });

  it('holds a range acknowledged ahead of a gap until the gap is filled', () => {
    const acks = new AckTracker(0);
    acks.issue(400);
    // Batches [0,100) [100,250) [250,400) acknowledged as 3, 1, 2.
    expect(acks.ackRange(250, 400, H(3))).toBe(false);
    expect(acks.committed).toBe(0);
    expect(acks.ackRange(0, 100, H(1))).toBe(true);
    expect(acks.committed).toBe(100);
    expect(acks.header).toEqual(H(1));
    expect(acks.ackRange(100, 250, H(2))).toBe(true);
    // The header is the one given with the range that ends where the prefix now ends.
    expect(acks.committed).toBe(400);
    expect(acks.header).toEqual(H(3));
    expect(acks.outstanding).toBe(0);
  });

  it('takes overlapping and repeated ranges in any order', () => {
    const order = [
      [300, 350],
      [0, 50],
      [100, 300],
      [50, 100],
      [0, 50],
      [350, 600],
      [200, 350],
    ];
    const acks = new AckTracker(0);
    acks.issue(600);
    const committed: number[] = [];
    for (const [start, end] of order) {
      acks.ackRange(start, end, H(end));
      committed.push(acks.committed);
    }
    expect(committed).toEqual([0, 50, 50, 350, 350, 600, 600]);
    expect(acks.header).toEqual(H(600));
  });

  it('refuses to acknowledge what was never handed out', () => {
    const acks = new AckTracker(0);
    acks.issue(100);
    expect(() => acks.ackRange(50, 150, [])).toThrow(/not within what was handed out/);
    expect(() => acks.ackThrough(101, [])).toThrow(/not within what was handed out/);
    expect(() => acks.ackRange(80, 20, [])).toThrow(/not within/);
    expect(acks.committed).toBe(0);
  });
});
