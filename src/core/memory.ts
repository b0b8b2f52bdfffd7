/**
 * Memory readings for run records. Node gives the process's peak resident set size so far (not a
 * per-stage peak), so a stage's reading is "peak RSS at the end of this stage": a stage that raises
 * it is the one that needed the memory.
 */
export function peakRssMiB(): number {
  // resourceUsage().maxRSS is in kibibytes.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}
