/**
 * Global Privacy Control (https://privacycg.github.io/gpc-spec/): a person's browser-wide
 * request not to have their data sold or shared. insitu reads it as a denial of `metrics`, the
 * only purpose that sends anything off the device. A site may override that, but only through
 * the visible `globalPrivacyControl: 'override'` option, which `status` and the audit panel show.
 */

export type GpcState = 'absent' | 'respected' | 'overridden';

/** Not in TypeScript's DOM types yet. */
interface NavigatorWithGpc {
  globalPrivacyControl?: unknown;
}

export function detectGpc(nav: Navigator | undefined, mode: 'respect' | 'override'): GpcState {
  let signal: unknown;
  try {
    signal = (nav as NavigatorWithGpc | undefined)?.globalPrivacyControl;
  } catch {
    // A navigator whose getter throws sends no signal we can read.
    return 'absent';
  }
  // The spec's value is a boolean; `true` alone means the person asked.
  if (signal !== true) return 'absent';
  return mode === 'override' ? 'overridden' : 'respected';
}
