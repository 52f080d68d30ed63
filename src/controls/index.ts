/** ISO/IEC 27001:2022 Annex A: the control catalog. */
export { ANNEX_A, type Control, control, THEMES, type Theme } from "./catalog.js";
