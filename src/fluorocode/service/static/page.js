// The provider's prompt page: enter an encounter (a form, or JSON), check it, answer
// the prompts, take the claim. Plain JavaScript, no build step: encounter-form.js and
// line-prompts.js are loaded first. Talks only to this origin's /v1/check, and
// /v1/payers for the payer profiles the form offers.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("settings").textContent);
  // The encounter's one definition, as /v1/schema publishes it: every field, form,
  // count and unit the page checks or offers is read from it, none written here.
  const schema = JSON.parse($("encounter-schema").textContent);
  const FLUORO = schema.properties.documentation.properties.fluoroscopy.properties;
  const BASES = FLUORO.distinct_indication.properties.basis.enum;
  // unit -> its factor to mGy or Gy·cm² (the engine's; undefined: no range check), in
  // the order the schema lists the units
  const unitsOf = (dose, factors) => {
    const known = new Map(factors);
    return new Map(dose.properties.unit.examples.map((u) => [u, known.get(u)]));
  };
  const AK_UNITS = unitsOf(FLUORO.air_kerma, settings.air_kerma_units);
  const DAP_UNITS = unitsOf(FLUORO.dose_area_product, settings.dap_units);
  const example = JSON.parse($("example-encounter").textContent);
  const KEY_STORE = "fluorocode.apiKey";
  let encounter = null; // the encounter last checked, as sent
  let report = null; // its report
  let form = null; // the encounter form (encounter-form.js), made at the start
  let linePrompts = null; // the line questions' forms (line-prompts.js)
  let view = "form"; // the tab the encounter is entered in: "form" or "json"
  let payersKey = null; // the key the payer profiles were listed with

  const ACTION_WORDS = {
    keep: "Submit as it came in",
    modify: "Submit with the modifiers shown",
    hold: "On hold: answer the questions below first",
    remove: "Leave off the claim: not separately billable",
  };
  const STATUS_WORDS = {
    clean: "Clean: every line can be submitted as it is.",
    corrected: "Corrected: submit the lines as shown (modifiers added or lines left off).",
    needs_provider_input: "Needs the provider: a line is on hold until the questions below are answered.",
    no_data: "Not checked: no edition covers this date of service or program. The claim is not clean.",
    rejected: "The encounter is invalid: fix the fields listed below and check again.",
  };

  // -- small helpers -------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setError(id, message) {
    const box = $(id + "-error");
    const input = $(id);
    box.textContent = message || "";
    box.hidden = !message;
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    return !message;
  }

  function announce(text) {
    $("announce").textContent = "";
    window.setTimeout(() => { $("announce").textContent = text; }, 50);
  }

  function modifierText(mods) {
    return mods && mods.length ? mods.join("-") : "none";
  }

  function lineText(line) {
    return [line.code, ...line.modifiers].join("-") + " x" + line.units;
  }

  // -- the API key ---------------------------------------------------------------

  function loadKey() {
    const match = window.location.hash.match(/(?:^#|&)key=([^&]+)/);
    if (match) {
      sessionStorage.setItem(KEY_STORE, decodeURIComponent(match[1]));
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    $("api-key").value = sessionStorage.getItem(KEY_STORE) || "";
    loadPayers();
  }

  /** The payer profiles this key may use, into the form's payer choice. */
  async function loadPayers() {
    const key = $("api-key").value.trim();
    if (key === payersKey) return;
    payersKey = key;
    if (!key) {
      form.setPayers(null, "Paste the API key to list this service's payer profiles.");
      return;
    }
    let why;
    try {
      const res = await fetch("/v1/payers", { headers: { Authorization: "Bearer " + key } });
      if (key !== $("api-key").value.trim()) return; // another key since: its own call
      if (res.ok) {
        form.setPayers(await res.json());
        return;
      }
      const body = await res.json().catch(() => null);
      why = "The payer profiles could not be listed: " + ((body && body.message) || "HTTP " + res.status);
    } catch (err) {
      why = "The payer profiles could not be listed: " + err.message;
    }
    payersKey = null; // try again with the next change
    form.setPayers(null, why);
  }

  $("api-key").addEventListener("input", () => {
    const value = $("api-key").value.trim();
    if (value) sessionStorage.setItem(KEY_STORE, value);
    else sessionStorage.removeItem(KEY_STORE);
    setError("api-key", "");
  });
  $("api-key").addEventListener("change", loadPayers);
  $("forget-key").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    $("api-key").value = "";
    loadPayers();
    $("api-key").focus();
    announce("The key is forgotten.");
  });

  // -- the encounter -------------------------------------------------------------

  function readEncounter() {
    let obj;
    try {
      obj = JSON.parse($("encounter").value);
    } catch (err) {
      setError("encounter", "This is not valid JSON: " + err.message);
      return null;
    }
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
      setError("encounter", "Paste one encounter: a JSON object, not an array or a value.");
      return null;
    }
    setError("encounter", "");
    return obj;
  }

  /** Show ``obj`` in both views: the JSON, and the form when it can hold it. */
  function showEncounter(obj) {
    $("encounter").value = JSON.stringify(obj, null, 2);
    if (!form.misfit(obj)) form.fill(obj);
  }

  function firstField() {
    return view === "form" ? $("f-id") : $("encounter");
  }

  // -- the two views: tabs (WAI-ARIA tabs: arrows, Home and End move between them) ----

  const TABS = ["form", "json"];

  /** Show the ``to`` view, carrying the encounter over; false if it cannot be. */
  function showView(to, focusTab) {
    if (to !== view) {
      if (to === "json") {
        $("encounter").value = JSON.stringify(form.read(), null, 2);
      } else {
        const obj = readEncounter();
        if (!obj) return false;
        const why = form.misfit(obj);
        if (why) {
          setError("encounter", "The form cannot show this encounter: " + why + ". Edit it as JSON.");
          return false;
        }
        form.fill(obj);
      }
      setError("encounter", "");
      form.mark([]);
    }
    view = to;
    for (const name of TABS) {
      const tab = $("tab-" + name);
      const on = name === to;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $("panel-" + name).hidden = !on;
    }
    if (focusTab) $("tab-" + to).focus();
    return true;
  }

  for (const name of TABS) {
    $("tab-" + name).addEventListener("click", () => showView(name));
    $("tab-" + name).addEventListener("keydown", (ev) => {
      const at = TABS.indexOf(name);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      showView(TABS[(to + TABS.length) % TABS.length], true);
    });
  }

  /** The encounter as the active view holds it, or null (the error is shown). */
  function currentEncounter() {
    return view === "form" ? form.read() : readEncounter();
  }

  $("example").addEventListener("click", () => {
    showEncounter(example);
    setError("encounter", "");
    firstField().focus();
  });
  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    if (!file) return;
    const text = await file.text();
    $("file").value = "";
    showView("json"); // a file is shown as it is, even when the form could not hold it
    $("encounter").value = text;
    const obj = readEncounter();
    if (obj) {
      if (!form.misfit(obj)) form.fill(obj);
      announce("Opened " + file.name + ".");
    }
    $("encounter").focus();
  });
  $("check").addEventListener("click", () => {
    const obj = currentEncounter();
    if (obj) runCheck(obj);
    else firstField().focus();
  });
  // Enter in a field of the form checks the encounter, as a form's submit would
  $("encounter-form").addEventListener("keydown", (ev) => {
    const target = ev.target;
    const typing = target.tagName === "INPUT" && target.type !== "checkbox";
    const inNote = target.tagName === "TEXTAREA" && (ev.ctrlKey || ev.metaKey);
    if (ev.key === "Enter" && (typing || inNote)) {
      ev.preventDefault();
      $("check").click();
    }
  });

  // -- the encounter against its schema, before anything is sent ---------------------
  // The JSON Schema keywords the encounter schema uses (draft 2020-12): type, enum,
  // const, required, properties, additionalProperties, items, min/maxItems,
  // min/maxLength, pattern, minimum, maximum, if/then/else.

  function typeOf(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
  }

  const TYPE_WORDS = {
    object: "an object", array: "a list", string: "text", integer: "a whole number",
    number: "a number", boolean: "true or false",
  };

  function at(path, key) {
    if (typeof key === "number") return path + "[" + key + "]";
    return path ? path + "." + key : key;
  }

  function validate(value, sch, path, out) {
    const type = typeOf(value);
    if (sch.type && !(type === sch.type || (sch.type === "number" && type === "integer"))) {
      out.push([path, "must be " + (TYPE_WORDS[sch.type] || sch.type)]);
      return out;
    }
    if ("const" in sch && value !== sch.const) out.push([path, "must be " + JSON.stringify(sch.const)]);
    if (sch.enum && !sch.enum.includes(value)) {
      out.push([path, sch.enum.length <= 6
        ? "must be one of: " + sch.enum.join(", ")
        : JSON.stringify(value) + " is not one of the " + sch.enum.length + " known values"]);
    }
    if (type === "string") {
      if (sch.minLength === 1 && value.length === 0) out.push([path, "must not be empty"]);
      else if (value.length < (sch.minLength ?? 0) || value.length > (sch.maxLength ?? Infinity)) {
        out.push([path, sch.minLength === sch.maxLength
          ? `must be ${sch.minLength} characters` : `must be at most ${sch.maxLength} characters`]);
      }
      if (sch.pattern && !new RegExp(sch.pattern, "u").test(value)) {
        out.push([path, JSON.stringify(value) + " is not " +
          (sch.description ? "a " + sch.description : "of the form " + sch.pattern)]);
      }
    }
    if (type === "integer" || type === "number") {
      if (value < (sch.minimum ?? -Infinity)) out.push([path, "must be at least " + sch.minimum]);
      if (value > (sch.maximum ?? Infinity)) out.push([path, "must be at most " + sch.maximum]);
    }
    if (type === "array") {
      if (value.length < (sch.minItems ?? 0)) out.push([path, `needs at least ${sch.minItems}`]);
      if (value.length > (sch.maxItems ?? Infinity)) out.push([path, `may have at most ${sch.maxItems}`]);
      if (sch.items) value.forEach((item, i) => validate(item, sch.items, at(path, i), out));
    }
    if (type === "object") {
      for (const name of sch.required || []) {
        if (!(name in value)) out.push([at(path, name), "is required"]);
      }
      const props = sch.properties || {};
      for (const [name, item] of Object.entries(value)) {
        if (props[name]) validate(item, props[name], at(path, name), out);
        else if (sch.additionalProperties === false) out.push([at(path, name), "is not a field of an encounter"]);
      }
    }
    if (sch.if) {
      const branch = validate(value, sch.if, path, []).length === 0 ? sch.then : sch.else;
      if (branch) validate(value, branch, path, out);
    }
    return out;
  }

  // "lines may have at most 50" once, even when two parts of the schema say it
  function schemaErrors(obj) {
    return [...new Set(validate(obj, schema, "", []).map(([p, m]) => (p || "$") + " " + m))];
  }
  $("encounter").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $("check").click();
    }
  });

  async function runCheck(obj) {
    if (view === "form") {
      const found = validate(obj, schema, "", []);
      const first = form.mark(found);
      if (found.length) {
        const said = [...new Set(found.map(([p, m]) => form.labelOf(p || "$") + ": " + m))];
        setError("encounter", "Not sent: " + said.join("; ") + ".");
        (first || $("f-id")).focus();
        return;
      }
    }
    const invalid = schemaErrors(obj);
    if (invalid.length) {
      setError("encounter", "Not sent: " + invalid.join("; ") + ".");
      $("encounter").focus();
      return;
    }
    const key = $("api-key").value.trim();
    if (!key) {
      setError("api-key", "Paste an API key first.");
      $("api-key").focus();
      return;
    }
    for (const id of ["check", "recheck"]) $(id).disabled = true;
    document.body.setAttribute("aria-busy", "true");
    try {
      const res = await fetch("/v1/check", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
        body: JSON.stringify(obj),
      });
      const body = await res.json().catch(() => null);
      if (res.status === 401 || res.status === 403) {
        setError("api-key", (body && body.message) || "The key was refused.");
        $("api-key").focus();
        return;
      }
      if (!res.ok) {
        const fields = body && body.errors && body.errors.length
          ? " (" + body.errors.map((e) => e.field + ": " + e.message).join("; ") + ")" : "";
        setError("encounter", ((body && body.message) || "HTTP " + res.status) + fields);
        firstField().focus();
        return;
      }
      encounter = obj;
      report = body;
      render();
    } catch (err) {
      setError("encounter", "The service did not answer: " + err.message);
    } finally {
      for (const id of ["check", "recheck"]) $(id).disabled = false;
      document.body.removeAttribute("aria-busy");
    }
  }

  // -- the result ----------------------------------------------------------------

  function reasonsFor(line) {
    return report.findings.filter((f) => {
      if (!f.lines.includes(line.index) || f.status === "pass") return false;
      // a pair's finding belongs to the line it acts on, not its innocent partner
      const others = f.lines.filter((i) => i !== line.index);
      const acted = report.lines.filter((l) => others.includes(l.index) && l.action !== "keep");
      return line.action !== "keep" || acted.length === 0;
    });
  }

  function render() {
    $("result").hidden = false;
    $("status").textContent = STATUS_WORDS[report.status] || report.status;
    $("status").className = "status status-" + report.status;
    const ed = report.edition;
    $("edition").textContent = ed
      ? "Edition: " + ed.program + " " + ed.quarter + " (" + ed.table + " tables" +
        (ed.version ? ", " + ed.version : "") + ")"
      : "Edition: none";
    $("demo-warning").hidden = !(ed && ed.demo);
    renderPayer(report.payer);

    const errs = $("rejected-errors");
    errs.replaceChildren(...(report.errors || []).map((e) =>
      el("li", {}, el("code", {}, e.field), ": " + e.message)));
    errs.hidden = !(report.errors && report.errors.length);

    const rows = report.lines.map((line) => {
      const why = reasonsFor(line);
      return el("tr", { "data-code": line.code, class: "action-" + line.action },
        el("td", { "data-label": "Line" }, String(line.index)),
        el("th", { scope: "row", "data-label": "Code" }, line.code),
        el("td", { class: "mods", "data-label": "Modifiers" }, modifierText(line.modifiers)),
        el("td", { "data-label": "Units" }, String(line.units)),
        el("td", { "data-label": "Action" },
          el("span", { class: "badge badge-" + line.action }, line.action),
          " ", el("span", { class: "action-words" }, ACTION_WORDS[line.action] || "")),
        el("td", { class: "why", "data-label": "Why" }, why.length
          ? el("ul", {}, ...why.map((f) => el("li", {}, f.message)))
          : line.action === "keep" ? "No problem found." : ""));
    });
    $("lines").tBodies[0].replaceChildren(...rows);
    $("lines").parentElement.hidden = rows.length === 0;
    $("all-findings").hidden = report.findings.length === 0;
    $("edition").hidden = !ed;

    $("suggestions").replaceChildren(...report.suggestions.map((s) =>
      el("li", {}, "Suggested: add " + [s.code, ...s.modifiers].join("-") + ". " + s.message)));
    $("suggestions").hidden = report.suggestions.length === 0;

    $("findings").replaceChildren(...report.findings.map((f) =>
      el("li", {}, el("strong", {}, f.status + " · " + f.rule),
        f.lines.length ? " (lines " + f.lines.join(", ") + ")" : "",
        el("br", {}), f.message,
        f.citation ? el("span", { class: "citation" }, " Source: " + f.citation) : "")));

    renderQuestions();
    renderClaim();
    const held = report.lines.filter((l) => l.action === "hold").length;
    announce($("status").textContent + (held ? " " + held + " line(s) on hold." : ""));
    $("result-h").focus();
  }

  /** The report's payer block: the profile, and each departure applied with its source. */
  function renderPayer(payer) {
    $("payer").hidden = !payer;
    if (!payer) return;
    const applied = payer.departures || [];
    $("payer-name").textContent = "Payer: " + payer.name + " (" + payer.id + "), on " +
      payer.base_program + " NCCI. " + (applied.length
        ? "Where it departs from NCCI on this encounter:"
        : "None of its departures from NCCI changed a decision on this encounter.");
    $("payer-departures").replaceChildren(...applied.map((d) =>
      el("li", {}, el("code", {}, d.id), " (rule " + d.rule + ")",
        el("span", { class: "citation" }, " Source: " + d.source))));
    $("payer-departures").hidden = applied.length === 0;
  }

  // -- the questions -------------------------------------------------------------

  function fluoro() {
    const doc = (encounter && encounter.documentation) || {};
    return doc.fluoroscopy || {};
  }

  function setRadio(name, value) {
    for (const input of document.querySelectorAll(`input[name="${name}"]`)) {
      input.checked = value !== undefined && value !== null && input.value === (value ? "yes" : "no");
    }
  }

  function radio(name) {
    const checked = document.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value === "yes" : null;
  }

  function renderQuestions() {
    const distinct = report.prompts.find((p) => p.kind === "confirm_distinct_indication");
    const docPrompt = report.prompts.find((p) => p.kind === "fluoroscopy_documentation");
    const f = fluoro();
    $("distinct").hidden = !distinct;
    if (distinct) {
      $("distinct-question").textContent = distinct.question;
      const given = f.distinct_indication || {};
      setRadio("distinct", given.confirmed);
      $("basis").value = given.basis || "";
      syncBasis();
    }
    $("documentation").hidden = !docPrompt;
    if (docPrompt) {
      $("doc-question").textContent = docPrompt.question;
      const missing = new Set(docPrompt.missing || []);
      for (const box of document.querySelectorAll("#documentation [data-item]")) {
        box.classList.toggle("needed", missing.has(box.dataset.item));
      }
      $("indication").value = f.indication || "";
      $("minutes").value = f.minutes ?? "";
      fillDose("air-kerma", f.air_kerma, AK_UNITS);
      fillDose("dap", f.dose_area_product, DAP_UNITS);
      setRadio("images_saved", f.images_saved);
      setRadio("separate_report", f.separate_report);
      validateAll();
    }
    // a distinct service, units over the MUE, an unknown code or modifier, too many
    // modifiers: a form each (line-prompts.js)
    const lineForms = linePrompts.render($("line-prompts"), report, encounter);
    // a kind this page does not know yet: its question, answered in the encounter
    const known = ["confirm_distinct_indication", "fluoroscopy_documentation", ...linePrompts.KINDS];
    const others = report.prompts.filter((p) => !known.includes(p.kind));
    $("other-prompts").replaceChildren(...others.map((p) => el("p", {}, p.question)),
      ...(others.length ? [el("p", {}, "Answer these by editing the encounter above, then check again.")] : []));
    $("other-prompts").hidden = others.length === 0;
    $("form-error").hidden = true;
    $("recheck-actions").hidden = !distinct && !docPrompt && !lineForms;
    $("questions").hidden = report.prompts.length === 0;
  }

  function fillDose(id, dose, units) {
    $(id).value = dose ? dose.value : "";
    const select = $(id + "-unit");
    if (dose && !units.has(dose.unit) && !select.querySelector(`option[value="${CSS.escape(dose.unit)}"]`)) {
      select.append(el("option", { value: dose.unit }, dose.unit)); // an ASCII spelling
    }
    select.value = dose ? dose.unit : units.keys().next().value;
  }

  function syncBasis() {
    const yes = radio("distinct") === true;
    $("basis-field").hidden = !yes;
    if (!yes) setError("basis", "");
  }

  // -- validation as the provider types ---------------------------------------------

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

  function number(id, label) {
    const text = $(id).value.trim();
    if (!text) return { empty: true };
    if (!NUMBER.test(text)) return { error: label + " must be a number, e.g. 1.5." };
    return { value: Number(text) };
  }

  function checkMinutes() {
    const n = number("minutes", "The fluoroscopy time");
    if (n.error) return setError("minutes", n.error);
    if (n.empty) return setError("minutes", "");
    if (n.value <= 0) return setError("minutes", "The fluoroscopy time must be more than 0 minutes.");
    if (n.value > settings.max_minutes) {
      return setError("minutes", `Over ${settings.max_minutes} minutes is not plausible: check the fluoroscope's record.`);
    }
    return setError("minutes", "");
  }

  function checkDose(id, label, units, minimum, max, canonical) {
    const n = number(id, label);
    if (n.error) return setError(id, n.error);
    if (n.empty) return setError(id, "");
    if (n.value < minimum) {
      return setError(id, `${label} cannot be negative: enter the value from the fluoroscope's dose report.`);
    }
    const factor = units.get($(id + "-unit").value);
    if (factor !== undefined && n.value * factor > max) {
      return setError(id, `${label} over ${max.toLocaleString("en-US")} ${canonical} is not plausible: check the value and its unit.`);
    }
    return setError(id, "");
  }

  function checkIndication() {
    const text = $("indication").value;
    return setError("indication", text && !text.trim() ? "Enter the indication in words, or leave it empty." : "");
  }

  function checkBasis() {
    if (radio("distinct") === true && !$("basis").value) {
      return setError("basis", "Choose the basis of the distinct indication.");
    }
    return setError("basis", "");
  }

  const checks = {
    indication: checkIndication,
    minutes: checkMinutes,
    "air-kerma": () => checkDose("air-kerma", "Air kerma", AK_UNITS,
      FLUORO.air_kerma.properties.value.minimum, settings.max_air_kerma_mgy, "mGy"),
    dap: () => checkDose("dap", "Dose-area product", DAP_UNITS,
      FLUORO.dose_area_product.properties.value.minimum, settings.max_dap_gycm2, "Gy·cm²"),
  };

  function validateAll(withBasis) {
    const bad = []; // in page order: the first one gets the focus
    if (withBasis && !$("distinct").hidden && !checkBasis()) bad.push("basis");
    if (!$("documentation").hidden) {
      for (const [id, run] of Object.entries(checks)) if (!run()) bad.push(id);
    }
    return bad;
  }

  for (const [id, run] of Object.entries(checks)) {
    $(id).addEventListener("input", run);
    $(id).addEventListener("blur", run);
  }
  $("air-kerma-unit").addEventListener("change", checks["air-kerma"]);
  $("dap-unit").addEventListener("change", checks.dap);
  for (const input of document.querySelectorAll('input[name="distinct"]')) {
    input.addEventListener("change", syncBasis);
  }
  $("basis").addEventListener("change", checkBasis);

  // -- answers -> documentation.fluoroscopy -> re-check ---------------------------------

  function answered() {
    const obj = JSON.parse(JSON.stringify(encounter));
    obj.documentation = obj.documentation || {};
    const f = (obj.documentation.fluoroscopy = obj.documentation.fluoroscopy || {});
    const put = (name, value) => {
      if (value === null || value === undefined || value === "") delete f[name];
      else f[name] = value;
    };
    if (!$("distinct").hidden) {
      const yes = radio("distinct");
      if (yes === true) f.distinct_indication = { confirmed: true, basis: $("basis").value };
      else if (yes === false) f.distinct_indication = { confirmed: false };
    }
    if (!$("documentation").hidden) {
      put("indication", $("indication").value.trim());
      put("minutes", $("minutes").value.trim() === "" ? null : Number($("minutes").value));
      const dose = (id) => $(id).value.trim() === ""
        ? null : { value: Number($(id).value), unit: $(id + "-unit").value };
      put("air_kerma", dose("air-kerma"));
      put("dose_area_product", dose("dap"));
      put("images_saved", radio("images_saved"));
      put("separate_report", radio("separate_report"));
    }
    if (!Object.keys(f).length) delete obj.documentation.fluoroscopy;
    if (!Object.keys(obj.documentation).length) delete obj.documentation;
    return linePrompts.apply(obj);
  }

  $("answers").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const bad = [...validateAll(true).map((id) => $(id)), ...linePrompts.invalid()];
    if (bad.length) {
      $("form-error").textContent = "Not sent: fix the field" + (bad.length > 1 ? "s" : "") +
        " marked in red first.";
      $("form-error").hidden = false;
      bad[0].focus();
      return;
    }
    $("form-error").hidden = true;
    const obj = answered();
    showEncounter(obj);
    runCheck(obj);
  });

  // -- the final claim lines -------------------------------------------------------

  function claimLines() {
    return report.lines.filter((l) => l.action !== "remove")
      .map((l) => ({ code: l.code, modifiers: l.modifiers, units: l.units }));
  }

  function renderClaim() {
    const ready = ["clean", "corrected"].includes(report.status);
    $("claim").hidden = !ready;
    if (!ready) return;
    const removed = report.lines.filter((l) => l.action === "remove");
    $("claim-text").textContent = claimLines().map(lineText).join("\n") +
      (removed.length ? "\n\nLeft off: " + removed.map((l) => l.code).join(", ") : "");
    $("copy-status").textContent = "";
  }

  $("copy").addEventListener("click", async () => {
    const text = claimLines().map(lineText).join("\n");
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const range = document.createRange();
      range.selectNodeContents($("claim-text"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    $("copy-status").textContent = "Copied " + claimLines().length + " line(s).";
  });

  $("download").addEventListener("click", () => {
    const body = {
      encounter_id: report.encounter_id,
      status: report.status,
      edition: report.edition,
      ...(report.payer ? { payer: report.payer } : {}),
      lines: claimLines(),
    };
    const blob = new Blob([JSON.stringify(body, null, 2) + "\n"], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "claim-" + (report.encounter_id || "encounter") + ".json" });
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    $("copy-status").textContent = "Downloaded.";
  });

  // -- start ---------------------------------------------------------------------

  for (const [id, units] of [["air-kerma-unit", AK_UNITS], ["dap-unit", DAP_UNITS]]) {
    $(id).replaceChildren(...[...units.keys()].map((u) => el("option", { value: u }, u)));
  }
  // "separate-site" -> "Separate site (XS)": the schema's bases, the engine's modifiers
  $("basis").append(...BASES.map((basis) => el("option", { value: basis },
    basis.charAt(0).toUpperCase() + basis.slice(1).replace(/-/g, " ") +
    (settings.bases[basis] ? " (" + settings.bases[basis] + ")" : ""))));
  const matches = (value, sch) => validate(value, sch, "", []).length === 0;
  form = window.fluorocodeEncounterForm({ schema, el, matches });
  linePrompts = window.fluorocodeLinePrompts({ schema, settings, el });
  loadKey();
  window.addEventListener("hashchange", loadKey);
})();
