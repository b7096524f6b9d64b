// The encounter form of the provider's page: an encounter entered field by field.
// Plain JavaScript, no build step; page.js creates it. Every choice, limit and form
// is read from the encounter's JSON Schema (/v1/schema, rendered into the page):
// places of service, claim types, programs, the line cap per claim type, the
// modifiers per line, units, code lengths, dose units. None is written here. The
// payer profiles are this service's own: page.js reads them from /v1/payers with the
// page's key and hands them to ``setPayers``.
"use strict";

window.fluorocodeEncounterForm = function encounterForm({ schema, el, matches }) {
  const $ = (id) => document.getElementById(id);
  const P = schema.properties;
  const LINE = P.lines.items.properties;
  const MAX_MODS = LINE.modifiers.maxItems;
  const FLUORO = P.documentation.properties.fluoroscopy.properties;
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;
  const WHOLE = /^\d+$/;
  const body = $("f-lines").tBodies[0];
  // the encounter last shown: what the form does not show (the distinct-indication
  // answer, any other field) is kept as it was
  let base = {};
  // payer profile id -> its base program (the program a chosen payer sets)
  let payerPrograms = new Map();

  const copy = (obj) => JSON.parse(JSON.stringify(obj));

  // -- built from the schema -------------------------------------------------------

  function options(select, values, first) {
    select.replaceChildren(...(first ? [el("option", { value: "" }, first)] : []),
      ...values.map((v) => el("option", { value: v }, v)));
  }

  /** The line cap for a claim type: the schema's cap, and its if/then/else branch's. */
  function maxLines(claimType) {
    let cap = P.lines.maxItems ?? Infinity;
    if (schema.if) {
      const branch = matches({ claim_type: claimType }, schema.if) ? schema.then : schema.else;
      const lines = branch && branch.properties && branch.properties.lines;
      if (lines && lines.maxItems !== undefined) cap = Math.min(cap, lines.maxItems);
    }
    return cap;
  }

  function syncCap() {
    const cap = maxLines($("f-claim-type").value);
    const count = body.rows.length;
    $("add-line").disabled = count >= cap;
    $("f-lines-help").textContent = `Up to ${cap} lines on a ${$("f-claim-type").value} claim, ` +
      `${MAX_MODS} modifiers a line. Units: ${LINE.units.minimum} to ` +
      `${LINE.units.maximum.toLocaleString("en-US")}.`;
    for (const button of body.querySelectorAll("button.remove-line")) button.disabled = count <= 1;
  }

  function input(attrs) {
    return el("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  }

  function addRow(line) {
    const row = el("tr", {});
    const code = input({
      class: "code", maxlength: LINE.code.maxLength, autocapitalize: "characters", placeholder: "Code",
    });
    const mods = [];
    for (let k = 0; k < MAX_MODS; k++) {
      mods.push(input({
        class: "mod", maxlength: LINE.modifiers.items.maxLength, autocapitalize: "characters", placeholder: "Mod",
      }));
    }
    const units = input({
      class: "units", inputmode: "numeric", maxlength: String(LINE.units.maximum).length, placeholder: "Units",
    });
    const remove = el("button", { type: "button", class: "remove-line quiet" }, "Remove");
    remove.addEventListener("click", () => {
      const at = row.sectionRowIndex;
      row.remove();
      renumber();
      const next = body.rows[Math.min(at, body.rows.length - 1)];
      next.querySelector("input.code").focus();
    });
    row.append(el("td", { class: "line-no" }), el("td", {}, code),
      el("td", { class: "mods-cell" }, ...mods), el("td", {}, units), el("td", {}, remove));
    body.append(row);
    code.value = line && typeof line.code === "string" ? line.code : "";
    const given = (line && Array.isArray(line.modifiers)) ? line.modifiers : [];
    mods.forEach((m, k) => { m.value = given[k] ?? ""; });
    units.value = line && line.units !== undefined ? line.units : LINE.units.default;
    renumber();
    return row;
  }

  function renumber() {
    [...body.rows].forEach((row, i) => {
      row.cells[0].textContent = String(i); // the index the report gives the line
      const [code, ...rest] = row.querySelectorAll("input");
      const units = rest.pop();
      code.setAttribute("aria-label", `Line ${i} code`);
      code.dataset.path = `lines[${i}].code`;
      rest.forEach((m, k) => {
        m.setAttribute("aria-label", `Line ${i} modifier ${k + 1}`);
        m.dataset.path = `lines[${i}].modifiers[${k}]`;
      });
      units.setAttribute("aria-label", `Line ${i} units`);
      units.dataset.path = `lines[${i}].units`;
      row.querySelector("button.remove-line").setAttribute("aria-label", `Remove line ${i}`);
    });
    syncCap();
  }

  // -- the form -> an encounter ---------------------------------------------------

  function put(obj, name, value) {
    if (value === undefined || value === null || value === "") delete obj[name];
    else obj[name] = value;
  }

  // a number as typed, or the text itself, so the schema says what is wrong with it
  const number = (text, form) => (text === "" ? undefined : form.test(text) ? Number(text) : text);
  const yesNo = (value) => (value === "" ? undefined : value === "yes");

  function dose(id) {
    const text = $(id).value.trim();
    return text === "" ? undefined : { value: number(text, NUMBER), unit: $(id + "-unit").value };
  }

  function read() {
    const obj = copy(base);
    put(obj, "id", $("f-id").value.trim());
    put(obj, "date_of_service", $("f-date").value);
    put(obj, "place_of_service", $("f-pos").value);
    put(obj, "claim_type", $("f-claim-type").value);
    put(obj, "program", $("f-program").value);
    put(obj, "payer", $("f-payer").value); // none: the program's built-in profile
    obj.billing = { ...(obj.billing || {}), global_billing: $("f-global").checked };
    obj.lines = [...body.rows].map((row) => {
      const [code, ...rest] = row.querySelectorAll("input");
      const units = rest.pop();
      const line = {
        code: code.value.trim().toUpperCase(),
        modifiers: rest.map((m) => m.value.trim().toUpperCase()).filter(Boolean),
      };
      put(line, "units", number(units.value.trim(), WHOLE));
      return line;
    });
    const doc = obj.documentation || {};
    const f = { ...(doc.fluoroscopy || {}) };
    put(f, "indication", $("f-indication").value.trim());
    put(f, "minutes", number($("f-minutes").value.trim(), NUMBER));
    put(f, "air_kerma", dose("f-air-kerma"));
    put(f, "dose_area_product", dose("f-dap"));
    put(f, "images_saved", yesNo($("f-images").value));
    put(f, "separate_report", yesNo($("f-report").value));
    if (Object.keys(f).length) doc.fluoroscopy = f;
    else delete doc.fluoroscopy;
    if (Object.keys(doc).length) obj.documentation = doc;
    else delete obj.documentation;
    put(obj, "note", $("f-note").value.trim() ? $("f-note").value : "");
    return obj;
  }

  // -- an encounter -> the form ---------------------------------------------------

  /** Why ``obj`` cannot be shown in the form without losing something, or "". */
  function misfit(obj) {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return "it is not one encounter";
    if (obj.lines !== undefined && !Array.isArray(obj.lines)) return "its lines are not a list";
    for (const [i, line] of (obj.lines || []).entries()) {
      if (!line || typeof line !== "object") return `line ${i} is not an object`;
      if (line.modifiers !== undefined && !(Array.isArray(line.modifiers) &&
          line.modifiers.length <= MAX_MODS && line.modifiers.every((m) => typeof m === "string"))) {
        return `line ${i} has modifiers the form cannot show (${MAX_MODS} at most)`;
      }
    }
    const f = ((obj.documentation || {}).fluoroscopy) || {};
    for (const name of ["air_kerma", "dose_area_product"]) {
      if (f[name] !== undefined && (typeof f[name] !== "object" || f[name] === null)) {
        return `${name} is not a value with its unit`;
      }
    }
    return "";
  }

  function choose(select, value, fallback) {
    const wanted = value === undefined || value === null ? fallback : String(value);
    if (wanted && ![...select.options].some((o) => o.value === wanted)) {
      select.append(el("option", { value: wanted }, wanted)); // shown as given
    }
    select.value = wanted ?? "";
  }

  function fill(obj) {
    base = copy(obj);
    const text = (value) => (value === undefined || value === null ? "" : String(value));
    $("f-id").value = text(obj.id);
    $("f-date").value = text(obj.date_of_service);
    choose($("f-pos"), obj.place_of_service, "");
    choose($("f-claim-type"), obj.claim_type, P.claim_type.default);
    choose($("f-program"), obj.program, P.program.default);
    choose($("f-payer"), obj.payer, "");
    if (obj.program === undefined) syncProgram(); // the payer's program, as the engine
    $("f-global").checked = Boolean((obj.billing || {}).global_billing ?? P.billing.properties.global_billing.default);
    body.replaceChildren();
    const lines = Array.isArray(obj.lines) && obj.lines.length ? obj.lines : [null];
    for (const line of lines) addRow(line);
    const f = ((obj.documentation || {}).fluoroscopy) || {};
    $("f-indication").value = text(f.indication);
    $("f-minutes").value = text(f.minutes);
    for (const [id, value] of [["f-air-kerma", f.air_kerma], ["f-dap", f.dose_area_product]]) {
      $(id).value = text(value && value.value);
      if (value && value.unit) choose($(id + "-unit"), value.unit);
      else $(id + "-unit").selectedIndex = 0;
    }
    const yn = (value) => (value === true ? "yes" : value === false ? "no" : "");
    $("f-images").value = yn(f.images_saved);
    $("f-report").value = yn(f.separate_report);
    $("f-doc").open = Object.keys(f).some((k) => k !== "distinct_indication");
    $("f-note").value = text(obj.note);
    mark([]);
  }

  // -- the payer profiles ------------------------------------------------------------

  /** Offer ``profiles`` (GET /v1/payers), or none with ``why`` when there are none. */
  function setPayers(profiles, why) {
    const select = $("f-payer");
    const chosen = select.value;
    payerPrograms = new Map((profiles || []).map((p) => [p.id, p.base_program]));
    select.replaceChildren(el("option", { value: "" }, "None: the program's built-in profile"),
      ...(profiles || []).map((p) => el("option", { value: p.id },
        `${p.name} (${p.id}, ${p.base_program} NCCI)`)));
    choose(select, chosen, ""); // a payer the encounter names stays, even if unlisted
    $("f-payer-help").textContent = why || (profiles && profiles.length
      ? "A payer's profile says where it departs from NCCI; choosing one sets the " +
        "program to the profile's."
      : "This service has no payer profiles.");
  }

  // a payer is checked on its own NCCI edition family: the program follows it
  function syncProgram() {
    const program = payerPrograms.get($("f-payer").value);
    if (program) choose($("f-program"), program);
  }

  // -- errors next to their fields ---------------------------------------------------

  function fieldFor(path) {
    return document.querySelector(`#encounter-form [data-path="${CSS.escape(path)}"]`) ||
      (path === "lines" || /^lines\[\d+\]$/.test(path) ? $("add-line") : null);
  }

  function labelOf(path) {
    const field = fieldFor(path);
    if (!field) return path;
    if (field.getAttribute("aria-label")) return field.getAttribute("aria-label");
    if (field.labels && field.labels.length) return field.labels[0].textContent.trim();
    const by = field.getAttribute("aria-labelledby");
    return by ? $(by).textContent.trim() : path;
  }

  /** Mark the fields of ``errors`` ([path, message]) invalid; the first one, or null. */
  function mark(errors) {
    for (const node of $("encounter-form").querySelectorAll("[aria-invalid]")) {
      node.removeAttribute("aria-invalid");
    }
    let first = null;
    for (const [path] of errors) {
      // "documentation.fluoroscopy.air_kerma" marks its value's field
      const field = fieldFor(path) || fieldFor(path + ".value");
      if (!field) continue;
      if (field.tagName !== "BUTTON") {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-errormessage", "encounter-error");
      }
      first = first || field;
    }
    if (first && first.closest("details")) first.closest("details").open = true;
    return first;
  }

  // -- start -------------------------------------------------------------------------

  options($("f-pos"), P.place_of_service.enum, "Choose…");
  options($("f-claim-type"), P.claim_type.enum);
  options($("f-program"), P.program.enum);
  options($("f-air-kerma-unit"), FLUORO.air_kerma.properties.unit.examples);
  options($("f-dap-unit"), FLUORO.dose_area_product.properties.unit.examples);
  $("f-id").maxLength = P.id.maxLength;
  if (P.note.maxLength) $("f-note").maxLength = P.note.maxLength;
  $("f-mod-head").textContent = `Modifiers (up to ${MAX_MODS})`;
  $("f-claim-type").addEventListener("change", syncCap);
  $("f-payer").addEventListener("change", syncProgram);
  setPayers(null, "Paste the API key to list this service's payer profiles.");
  $("add-line").addEventListener("click", () => addRow(null).querySelector("input.code").focus());
  fill({});

  return { read, fill, misfit, mark, labelOf, setPayers };
};
