// The median of a bench's repeated figures (rounds of bench:compare, bench:upload): the middle value,
// or the mean of the two middle ones for an even count. The input is not reordered.
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
