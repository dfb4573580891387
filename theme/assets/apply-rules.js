/* The rules an application's answers must meet, as the API applies them
   (functions/chalicelib/forms.py: check_answers, check_uploads). Patterns, limits and every
   message come from the page's configuration, which the build takes from that module, so the
   browser says exactly what the server would. tests/test_apply_rules.py runs this file under
   node against the server's rules on generated answers; in the page, apply-state.js imports it
   (it then defines window.ApplyRules). */
((root) => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: also a CommonJS script (node, the tests)
  "use strict";
  // Python's str.strip() whitespace (JS trim() differs on a few code points).
  const SPACE =
    "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  const STRIP = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");

  function strip(text) {
    return text.replace(STRIP, "");
  }
  function isNum(v) {
    return typeof v === "number" || typeof v === "boolean";
  }
  function isObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }
  // Python ==, as `answers.get(field) in cond["in"]` compares (True == 1).
  function pyEqual(a, b) {
    return isNum(a) && isNum(b) ? Number(a) === Number(b) : a === b;
  }
  // JSON Schema equality, as enum compares (true is not 1).
  function schemaEqual(a, b) {
    if (typeof a === "boolean" || typeof b === "boolean") return a === b;
    return a === b;
  }
  // re.search with the pattern: Python's "$" also matches before a final newline, and "\s" is
  // Python's whitespace (our patterns use it only inside a [...] class); "u" counts code points.
  function matches(pattern, text) {
    const source = pattern.replace(/\$$/, "\\n?$").replace(/\\s/g, SPACE.slice(1, -1));
    return new RegExp(source, "u").test(text);
  }
  function length(text) {
    return Array.from(text).length;
  } // code points, as len() counts
  function has(obj, key) {
    return Object.hasOwn(obj, key);
  }

  function shown(item, page, answers) {
    return [page.when, item.when].every((cond) => {
      if (!cond) return true;
      const value = has(answers, cond.field) ? answers[cond.field] : null;
      return cond.in.some((x) => pyEqual(value, x));
    });
  }

  function realDate(text) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
    const y = +text.slice(0, 4),
      m = +text.slice(5, 7),
      d = +text.slice(8, 10);
    if (y < 1 || m < 1 || m > 12 || d < 1) return false;
    const days = [
      31,
      (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28,
      31,
      30,
      31,
      30,
      31,
      31,
      30,
      31,
      30,
      31,
    ];
    return d <= days[m - 1];
  }

  function isString(v) {
    return typeof v === "string";
  }

  // Does the value meet the field's JSON Schema (forms._field_schema)?
  function valid(item, value, config) {
    const kind = item.type;
    if (kind === "text" || kind === "textarea") {
      const limit = item.max_length || config.text_limits[kind];
      return isString(value) && length(value) >= 1 && length(value) <= limit;
    }
    if (kind === "number") {
      return (
        typeof value === "number" &&
        Number.isFinite(value) &&
        !(has(item, "min") && value < item.min) &&
        !(has(item, "max") && value > item.max)
      );
    }
    if (kind === "select") {
      return item.options.some((o) => schemaEqual(value, o.value));
    }
    if (kind === "yes_no") return typeof value === "boolean";
    if (kind === "date") {
      return isString(value) && matches(config.patterns.date, value) && realDate(value);
    }
    if (kind === "address") {
      if (!isObject(value)) return false;
      const keys = Object.keys(value);
      if (keys.some((k) => ["province", "commune", "street"].indexOf(k) < 0)) return false;
      if (!has(value, "province") || !has(value, "commune") || !has(value, "street")) return false;
      return (
        isString(value.province) &&
        matches("^[0-9]{2}$", value.province) &&
        isString(value.commune) &&
        matches("^[0-9]{5}$", value.commune) &&
        isString(value.street) &&
        length(value.street) >= 1 &&
        length(value.street) <= 200
      );
    }
    return isString(value) && matches(config.patterns[kind], value) && length(value) <= 320;
  }

  function typeProblem(item, value) {
    const kind = item.type,
      m = item.messages;
    if (kind === "text" || kind === "textarea") return isString(value) ? m.text : m.required;
    return m[kind];
  }

  // The server's forms.CONTROL and LINE_BREAKS: C0/C1 controls and the bidirectional overrides
  // and isolates are refused in free text; a line break or tab only in a textarea.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  const LINE_BREAKS = /[\n\r\t]/;

  function hasControl(type, value) {
    let texts = [];
    if (["text", "textarea", "address"].indexOf(type) >= 0 && isString(value)) texts = [value];
    if (type === "address" && value !== null && typeof value === "object") {
      texts = Object.keys(value)
        .map((key) => value[key])
        .filter(isString);
    }
    return texts.some(
      (text) => CONTROL.test(text) || (type !== "textarea" && LINE_BREAKS.test(text)),
    );
  }

  // ctx.today: "YYYY-MM-DD"; ctx.unit(code) -> undefined if the province is unknown, null if its
  // communes are not loaded yet (the check waits for the server), else {commune code: name}.
  function semanticProblem(item, value, config, ctx) {
    if (hasControl(item.type, value)) return item.messages.control;
    if (item.type === "date") {
      if (item.not_after_today && value > ctx.today) return item.messages.future;
    }
    if (item.type === "address") {
      const communes = ctx.unit(value.province);
      if (communes === undefined) return item.messages.address;
      if (communes !== null && !has(communes, value.commune)) return config.commune_message;
      if (!strip(value.street)) return item.messages.address;
    }
    return null;
  }

  function items(config) {
    const list = [];
    config.pages.forEach((page) => {
      page.fields.forEach((item) => {
        list.push({ item: item, page: page });
      });
    });
    return list;
  }

  function pointerKey(key) {
    // the first 100 code points, as Python's [:100]
    const text = String(key).replace(/~/g, "~0").replace(/\//g, "~1");
    return Array.from(text).slice(0, 100).join("");
  }

  // -> {kept: answers the server keeps, errors: {"/answers/<id>": message}}
  function checkAnswers(config, answers, ctx) {
    // No prototype: a key such as "__proto__" is an answer like any other (the server's dict).
    const list = items(config),
      byId = {},
      asked = {},
      given = Object.create(null),
      errors = {};
    // Trimmed before anything else, so " cccd " asks the same questions that it requires.
    const trimmed = Object.create(null);
    Object.keys(answers).forEach((key) => {
      trimmed[key] = isString(answers[key]) ? strip(answers[key]) : answers[key];
    });
    list.forEach((x) => {
      byId[x.item.id] = x.item;
      if (shown(x.item, x.page, trimmed)) asked[x.item.id] = true;
    });
    Object.keys(trimmed).forEach((key) => {
      if (has(byId, key) && !asked[key]) return;
      const value = trimmed[key];
      if (value === null || value === "") return;
      given[key] = value;
    });
    function add(key, message) {
      const pointer = `/answers/${pointerKey(key)}`;
      if (!has(errors, pointer)) errors[pointer] = message;
    }
    list.forEach((x) => {
      const item = x.item;
      if (item.required === false || has(given, item.id)) return;
      const conditions = [x.page.when, item.when].filter(Boolean);
      const applies = conditions.every(
        (c) => has(given, c.field) && c.in.some((v) => schemaEqual(given[c.field], v)),
      );
      if (applies) {
        const kind = item.type === "select" || item.type === "yes_no" ? item.type : "required";
        add(item.id, item.messages[kind]);
      }
    });
    Object.keys(given).forEach((key) => {
      if (!has(byId, key)) add(key, config.unknown_message);
      else if (!valid(byId[key], given[key], config)) add(key, typeProblem(byId[key], given[key]));
    });
    Object.keys(given).forEach((key) => {
      if (has(byId, key) && !has(errors, `/answers/${pointerKey(key)}`)) {
        const problem = semanticProblem(byId[key], given[key], config, ctx);
        if (problem) errors[`/answers/${key}`] = problem;
      }
    });
    const kept = {};
    Object.keys(given).forEach((key) => {
      if (has(byId, key) && !has(errors, `/answers/${pointerKey(key)}`)) kept[key] = given[key];
    });
    return { kept: kept, errors: errors };
  }

  // Counts per asked slot (the server also checks each key was uploaded and verified).
  function checkUploads(config, kept, uploads) {
    const errors = {};
    config.pages.forEach((page) => {
      page.uploads.forEach((slot) => {
        if (!shown(slot, page, kept)) return;
        const keys = uploads[slot.id] || [];
        // A key listed twice is one file (the server drops repeats before counting).
        const count = keys.filter((k, i) => keys.indexOf(k) === i).length;
        if (count < slot.min_files) errors[`/uploads/${slot.id}`] = slot.messages.files_min;
        else if (count > slot.max_files) errors[`/uploads/${slot.id}`] = slot.messages.files_max;
      });
    });
    return errors;
  }

  const api = {
    shown: shown,
    checkAnswers: checkAnswers,
    checkUploads: checkUploads,
    strip: strip,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.ApplyRules = api;
})(typeof window === "undefined" ? this : window); // window: also when imported as a module
