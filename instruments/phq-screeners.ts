/**
 * Terms shared by the PHQ-9 and GAD-7, both published on phqscreeners.com: no permission required to
 * reproduce, translate, display or distribute; the credit line must be kept; items and options unchanged.
 */
export const phqScreenersLicence = {
  kind: "free",
  terms:
    "No permission required to reproduce, translate, display or distribute (phqscreeners.com). Keep the credit line; do not alter items or response options.",
  attribution:
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute.",
  url: "https://www.phqscreeners.com/select-screener",
} as const;
