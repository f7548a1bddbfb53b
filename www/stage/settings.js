// What a course author sets with attributes besides the mechanism's own: faults at the start
// (every mechanism's Simulation takes them), which parts of the widget show, and when it runs.
// A value that does not parse is passed on as it is, for the wasm core to refuse with its
// message in the banner ("Bad settings: …"); hide and autoplay are checked here.

/** "150-300" (or "150–300") as [150, 300], "12" as [12, 12]; anything else as it is. */
export const range = (v) => (/^[\d.]+([-–][\d.]+)?$/.test(v) ? ((r) => [+r[0], +(r[1] ?? r[0])])(v.split(/[-–]/)) : v);

/** "on" (or present and empty) as true, "off" as false; anything else as it is. */
export const onOff = (v) => (v === 'off' ? false : v === 'on' || v === '' || v);

/** The parts attribute `hide` names, as a set (with experiments="off", the Experiments panel); throws on a part it does not know, or a bad autoplay. */
export function hidden(attr) {
  const parts = new Set((attr('hide') ?? '').split(/[\s,]+/).filter(Boolean));
  for (const p of parts) if (!/^(actions|panel|faults|events|metrics|legend|experiments|clients)$/.test(p)) throw Error(`hide: unknown part "${p}"`);
  if ((attr('autoplay') ?? 'visible') !== 'visible') throw Error('autoplay must be "visible"');
  if (attr('experiments') === 'off') parts.add('experiments');
  return parts;
}

/** Simulation options every mechanism takes, from attributes latency-ms, drop-rate, duplicate-rate and bugs. */
export function commonOptions(attr) {
  const o = {};
  const a = (name, key, f) => attr(name) !== null && (o[key] = f(attr(name)));
  a('latency-ms', 'latencyMs', range);
  a('drop-rate', 'dropRate', Number);
  a('duplicate-rate', 'duplicateRate', Number);
  a('bugs', 'bugs', (v) => v.split(/[\s,]+/).filter(Boolean));
  return o;
}
