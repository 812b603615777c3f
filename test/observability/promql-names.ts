/**
 * The metric names a PromQL expression reads. Prometheus's HTTP API says whether a query parses but
 * not which series names it reads; this finds them so a test can compare them with what was
 * scraped. Strings, label matchers, ranges, durations and the label lists of by/without/on/
 * ignoring/group_left/group_right are removed first; what is left and is neither a function, an
 * aggregation, a keyword nor a number is a metric name.
 */
const FUNCTIONS = new Set(
  `abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max clamp_min
   cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv exp floor
   histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar histogram_sum
   holt_winters hour idelta increase irate label_join label_replace last_over_time ln log10 log2 mad_over_time
   max_over_time min_over_time minute month pi predict_linear present_over_time quantile_over_time rad rate
   resets round scalar sgn sin sinh sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan
   tanh time timestamp vector year`.split(/\s+/),
);
const AGGREGATIONS = new Set('sum min max avg group stddev stdvar count count_values bottomk topk quantile'.split(' '));
const KEYWORDS = new Set('by without on ignoring group_left group_right bool and or unless offset inf nan'.split(' '));

export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ') // label lists
    .replace(/\boffset\s+-?[0-9a-z]+/gi, ' ')
    .replace(/@\s*[0-9.]+|@\s*(start|end)\(\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice(m.index + word.length).trimStart();
    // a word before "(" is a function or an aggregation (sum by (...) (...) had its label list removed)
    if (after.startsWith('(') && (FUNCTIONS.has(word) || AGGREGATIONS.has(word))) continue;
    if (FUNCTIONS.has(word) && word === 'time') continue;
    if (AGGREGATIONS.has(word) || KEYWORDS.has(word.toLowerCase())) continue;
    // exponents and hex in numbers (1e-9, 0x1f) and durations left alone (5m)
    const before = s.slice(0, m.index);
    if (/[0-9.]$/.test(before)) continue;
    names.add(word);
  }
  return [...names];
}
