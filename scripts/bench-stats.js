// The one summary every bench case reports: median, p25, p75 (linear interpolation), minimum and count.

/** `{median, p25, p75, min, n}` of the samples, or null when there are none. */
export function spread(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), min: s[0], n: s.length };
}
