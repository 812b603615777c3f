/** Go-style durations as the CRD takes them (`2160h`, `1h30m`, `90s`), in milliseconds. */
export function parseDuration(s: string): number {
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) ms += Number(n) * { h: 3_600_000, m: 60_000, s: 1000 }[unit as 'h' | 'm' | 's'];
  return ms;
}
