// Starts the NHS.UK frontend's components (header menu, buttons, details) on every page.
import { initAll } from "./vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
