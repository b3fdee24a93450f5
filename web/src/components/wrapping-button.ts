/**
 * Styles for a Mantine Button whose label may be longer than a 320 px phone is wide ("Install on this
 * iPhone" in large type, a demo action): the label wraps onto a second line instead of being cut off, and
 * the button grows to fit, never below its usual height.
 */
export const wrappingButton = {
  root: { height: 'auto', minHeight: 'var(--button-height)', paddingBlock: 4 },
  label: { whiteSpace: 'normal', textAlign: 'center' },
} as const;
