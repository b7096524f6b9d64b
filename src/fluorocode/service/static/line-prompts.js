// The line questions of a report, each answered by a form: a distinct service
// (add XE/XS/XP/XU/59, or leave the line off), units over the MUE (the MUE value or
// the units as billed), a code or modifier CMS does not list (correct it, or leave
// it off), and more modifiers than a line holds (choose which). page.js creates it;
// the answers are applied to the encounter, which is checked again. Code and
// modifier forms and the modifier limit come from the encounter schema.
"use strict";

window.fluorocodeLinePrompts = function linePrompts({ schema, settings, el }) {
  const ITEM = schema.properties.lines.items.properties;
  const MAX_MODS = ITEM.modifiers.maxItems;
  const CODE = new RegExp(ITEM.code.pattern, "u");
  const MODIFIER = new RegExp(ITEM.modifiers.items.pattern, "u");
  // "XS" -> "separate site": the engine's bases of a distinct indication, by modifier
  const BASIS_OF = Object.fromEntries(Object.entries(settings.bases)
    .map(([basis, modifier]) => [modifier, basis.replace(/-/g, " ")]));
  const KINDS = ["confirm_distinct_service", "confirm_units", "confirm_code", "choose_modifiers"];
  let groups = []; // {kind, lines, prompt, box, ...}: one fieldset each

  const units = (line) => (line.units === undefined ? 1 : line.units);

  function choice(name, value, text, attrs) {
    const id = `${name}-${String(value).replace(/[^A-Za-z0-9]/g, "_")}`;
    const input = el("input", { type: "radio", name, value, id, ...(attrs || {}) });
    return el("label", { for: id }, input, " " + text);
  }

  function errorBox(id) {
    return el("p", { id: id + "-error", class: "field-error", hidden: "" });
  }

  function textField(id, label, maxlength) {
    const input = el("input", {
      type: "text", id, maxlength, autocomplete: "off", spellcheck: "false",
      autocapitalize: "characters", "aria-describedby": id + "-error",
    });
    return el("div", { class: "field inline-field" }, el("label", { for: id }, label), input, errorBox(id));
  }

  // -- one form per question -------------------------------------------------------

  function distinctService(g, line) {
    const name = g.name;
    return g.prompt.options.map((opt) => opt === "remove"
      ? choice(name, opt, `Leave line ${g.line} (${line.code}) off the claim`)
      : choice(name, opt, `Add ${opt}` + (BASIS_OF[opt] ? ` (${BASIS_OF[opt]})` : "")));
  }

  function unitsOverMue(g, lines) {
    const total = g.lines.reduce((sum, i) => sum + units(lines[i]), 0);
    return g.prompt.options.map((opt) => Number(opt) === total
      ? choice(g.name, opt, `Keep ${opt} units: the record documents each one (for an appeal)`)
      : choice(g.name, opt, `Reduce the day's units to ${opt}`));
  }

  function unknownCode(g, line, report) {
    const finding = report.findings.find((f) =>
      f.rule === "claim.modifier-unknown" && f.lines.includes(g.line));
    // the same line may also carry an unknown code: its own question names no modifier
    const listed = finding ? finding.evidence.modifiers.join(", ") : null;
    g.strange = listed && g.prompt.question.includes("carries " + listed)
      ? finding.evidence.modifiers : null;
    if (g.strange) {
      return [
        choice(g.name, "correct", `Correct ${listed}`),
        ...g.strange.map((m, k) => textField(`${g.name}-mod-${k}`, `Replace ${m} with`,
          ITEM.modifiers.items.maxLength)),
        choice(g.name, "remove", `Drop ${listed}`),
      ];
    }
    return [
      choice(g.name, "correct", "Correct the code"),
      textField(`${g.name}-code`, `Correct code for line ${g.line}`, ITEM.code.maxLength),
      choice(g.name, "remove", `Leave line ${g.line} (${line.code}) off the claim`),
    ];
  }

  function chooseModifiers(g, line) {
    const submitted = new Set(line.modifiers || []);
    const status = el("p", { class: "help", id: g.name + "-count", "aria-live": "polite" });
    const boxes = g.prompt.options.map((mod, k) => {
      const id = `${g.name}-${k}`;
      const added = !submitted.has(mod); // put on by the check (26, XE...): it stays
      const box = el("input", { type: "checkbox", id, value: mod, "aria-describedby": status.id });
      box.checked = added;
      box.disabled = added;
      box.dataset.added = added ? "yes" : "";
      return el("label", { for: id }, box, " " + mod + (added ? " (added by the check)" : ""));
    });
    g.count = () => {
      const inputs = g.box.querySelectorAll("input[type=checkbox]");
      const chosen = [...inputs].filter((b) => b.checked).length;
      for (const b of inputs) if (!b.dataset.added) b.disabled = !b.checked && chosen >= MAX_MODS;
      status.textContent = `${chosen} of ${MAX_MODS} chosen.`;
    };
    return [el("div", { class: "choices" }, ...boxes), status];
  }

  // -- rendering -----------------------------------------------------------------------

  const TITLES = {
    confirm_distinct_service: (g, line) => `Line ${g.line} (${line.code}): a distinct service?`,
    confirm_units: (g, line) => `${line.code}: units over the MUE`,
    confirm_code: (g, line) => `Line ${g.line} (${line.code}): not a code or modifier CMS lists`,
    choose_modifiers: (g, line) => `Line ${g.line} (${line.code}): at most ${MAX_MODS} modifiers`,
  };

  function grouped(prompts) {
    const out = [];
    const byQuestion = new Map(); // the units of one code: one question for its lines
    for (const prompt of prompts) {
      const key = prompt.kind === "confirm_units" ? prompt.question : null;
      if (key && byQuestion.has(key)) {
        byQuestion.get(key).lines.push(prompt.line);
        continue;
      }
      const g = { kind: prompt.kind, line: prompt.line, lines: [prompt.line], prompt, touched: false };
      if (key) byQuestion.set(key, g);
      out.push(g);
    }
    return out.sort((a, b) => a.line - b.line); // in line order (a stable sort)
  }

  /** Render the line questions of ``report`` (about ``encounter``); how many. */
  function render(container, report, encounter) {
    const lines = encounter.lines || [];
    groups = grouped(report.prompts.filter((p) => KINDS.includes(p.kind) && lines[p.line]));
    container.replaceChildren(...groups.map((g, n) => {
      g.name = `lp${n}`;
      const line = lines[g.line];
      const body = g.kind === "confirm_distinct_service" ? distinctService(g, line)
        : g.kind === "confirm_units" ? unitsOverMue(g, lines)
        : g.kind === "confirm_code" ? unknownCode(g, line, report)
        : chooseModifiers(g, line);
      g.box = el("fieldset", { class: "line-prompt", "data-kind": g.kind, "data-line": g.line },
        el("legend", {}, TITLES[g.kind](g, line)),
        el("p", { class: "question" }, g.prompt.question),
        ...(g.kind === "choose_modifiers" ? body : [el("div", { class: "choices stacked" }, ...body)]));
      g.box.addEventListener("change", () => {
        g.touched = true;
        if (g.count) g.count();
        sync(g);
      });
      if (g.count) g.count();
      sync(g);
      return g.box;
    }));
    return groups.length;
  }

  function picked(g) {
    const checked = g.box.querySelector(`input[name="${g.name}"]:checked`);
    return checked ? checked.value : null;
  }

  // the correction fields are there only while "correct" is chosen
  function sync(g) {
    if (g.kind !== "confirm_code") return;
    const on = picked(g) === "correct";
    for (const field of g.box.querySelectorAll(".inline-field")) {
      field.hidden = !on;
      if (!on) setFieldError(field.querySelector("input"), "");
    }
  }

  function setFieldError(input, message) {
    const box = input.parentElement.querySelector(".field-error"); // maybe not yet shown
    box.textContent = message;
    box.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return !message;
  }

  /** The fields whose answer cannot be sent, in page order (each says why). */
  function invalid() {
    const bad = [];
    for (const g of groups) {
      if (g.kind !== "confirm_code" || picked(g) !== "correct") continue;
      for (const input of g.box.querySelectorAll(".inline-field input")) {
        const value = input.value.trim().toUpperCase();
        const code = !g.strange;
        const ok = code ? CODE.test(value) : value === "" || MODIFIER.test(value);
        const words = code ? ITEM.code.description || "a code"
          : `${ITEM.modifiers.items.maxLength} letters or digits, or empty to drop it`;
        if (!setFieldError(input, ok ? "" : `Enter ${words}.`)) bad.push(input);
      }
    }
    return bad;
  }

  // -- the answers, applied to a copy of the encounter ----------------------------------

  function apply(obj) {
    const lines = obj.lines || [];
    const drop = new Set();
    for (const g of groups) {
      const value = picked(g);
      const line = lines[g.line];
      if (g.kind === "confirm_distinct_service" && value) {
        if (value === "remove") drop.add(g.line);
        else if (!(line.modifiers || []).includes(value)) line.modifiers = [...(line.modifiers || []), value];
      } else if (g.kind === "confirm_units" && value) {
        const total = g.lines.reduce((sum, i) => sum + units(lines[i]), 0);
        let left = Number(value);
        if (left < total) {
          for (const i of [...g.lines].sort((a, b) => a - b)) { // kept in claim order
            const keep = Math.min(units(lines[i]), left);
            left -= keep;
            if (keep === 0) drop.add(i);
            else lines[i].units = keep;
          }
        }
      } else if (g.kind === "confirm_code" && value) {
        if (!g.strange && value === "remove") drop.add(g.line);
        else if (!g.strange) line.code = g.box.querySelector(".inline-field input").value.trim().toUpperCase();
        else {
          const fields = [...g.box.querySelectorAll(".inline-field input")];
          const instead = new Map(g.strange.map((m, k) =>
            [m, value === "correct" ? fields[k].value.trim().toUpperCase() : ""]));
          line.modifiers = (line.modifiers || []).map((m) => (instead.has(m) ? instead.get(m) : m))
            .filter(Boolean);
        }
      } else if (g.kind === "choose_modifiers" && g.touched) {
        // the modifiers the check adds are added again: send the provider's own
        line.modifiers = [...g.box.querySelectorAll("input[type=checkbox]")]
          .filter((b) => b.checked && !b.dataset.added).map((b) => b.value);
      }
    }
    obj.lines = lines.filter((_, i) => !drop.has(i));
    return obj;
  }

  return { KINDS, render, invalid, apply };
};
