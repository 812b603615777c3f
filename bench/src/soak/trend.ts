// Does a series stay flat over the soak's steady phase? A least-squares line through the samples
// says how much it grew over the phase; the verdict compares that growth with a tolerance relative
// to the series' mean, with an absolute floor for small, noisy series (lag, GC).

export interface Fit {
  /** Units of y per unit of x. */
  slope: number;
  intercept: number;
  /** Share of the variance the line explains (0 for a constant series). */
  r2: number;
}

/** Least squares y = intercept + slope·x; undefined with fewer than two distinct x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): Fit | undefined {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return undefined;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 0 : (sxy * sxy) / (sxx * syy) };
}

export interface FlatRule {
  /** Growth allowed over the phase, as a share of the series' mean (0.02: 2 %). */
  relative: number;
  /** …but never less than this, in the series' unit (noise on a near-zero series). */
  absolute: number;
}

export interface Verdict {
  name: string;
  unit: string;
  mean: number;
  /** The fitted line's rise from the first to the last sample's time. */
  growth: number;
  allowed: number;
  fit: Fit | undefined;
  flat: boolean;
}

/** The series over xs (seconds) is flat when the fitted growth across its span stays within the rule. */
export function flatness(name: string, unit: string, xs: readonly number[], ys: readonly number[], rule: FlatRule): Verdict {
  const fit = linearFit(xs, ys);
  const mean = ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
  const span = xs.length ? xs[xs.length - 1]! - xs[0]! : 0;
  const growth = fit ? fit.slope * span : 0;
  const allowed = Math.max(rule.absolute, rule.relative * Math.abs(mean));
  return { name, unit, mean, growth, allowed, fit, flat: fit !== undefined && growth <= allowed };
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** One line per verdict: `PASS rss: +3.1 MiB over the phase (allowed 38 MiB = 2 % of 1,900), mean …`. */
export function renderVerdict(v: Verdict, rule: FlatRule): string {
  if (!v.fit) return `FAIL ${v.name}: fewer than two samples in the steady phase, no trend`;
  const sign = v.growth >= 0 ? '+' : '';
  return (
    `${v.flat ? 'PASS' : 'FAIL'} ${v.name}: ${sign}${fmt(v.growth)} ${v.unit} over the steady phase by a linear fit ` +
    `(allowed ${fmt(v.allowed)} ${v.unit} = max(${rule.relative * 100} % of the mean ${fmt(v.mean)}, ${rule.absolute}); R² ${v.fit.r2.toFixed(2)})`
  );
}
