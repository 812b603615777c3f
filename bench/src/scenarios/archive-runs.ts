// `bench:compare --archive off,on`: each Glider target runs once per archive setting (XEP-0313
// `archive.enabled`), so what archiving costs the same scenarios is read from one run, on one
// machine load. Other targets (Prosody, ejabberd) run once, as configured in bench/peers.
// Without the flag Glider runs with the archive off: the peers archive nothing (bench/peers loads
// neither Prosody's mod_mam nor ejabberd's), so a comparison with it on would not be like for like.

export interface TargetRun {
  target: string;
  /** The label in the tables; undefined = the target's own. */
  label?: string;
  /** Extra server environment (GLIDER_* config keys). */
  env?: Record<string, string>;
}

const SETTINGS = { off: 'false', on: 'true' } as const;
/** Glider's runs without --archive: no archive, as the peers run. */
const LIKE_THE_PEERS = { GLIDER_ARCHIVE__ENABLED: SETTINGS.off };

export function expandArchiveRuns(targets: string[], archive: string | undefined): TargetRun[] {
  if (archive === undefined) return targets.map((target) => (target.startsWith('glider') ? { target, env: { ...LIKE_THE_PEERS } } : { target }));
  const values = archive.split(',');
  for (const v of values) if (!(v in SETTINGS)) throw new Error(`--archive: ${v} is neither off nor on`);
  return targets.flatMap((target) =>
    target.startsWith('glider')
      ? values.map((v) => ({
          target,
          label: `${target}/mam-${v}`,
          env: { GLIDER_ARCHIVE__ENABLED: SETTINGS[v as keyof typeof SETTINGS] },
        }))
      : [{ target }],
  );
}
