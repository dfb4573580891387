/* Reading and writing the questions, the answers as the API takes them, the questions shown
   under their conditions, and the communes of a province (loaded on demand). */
import { rules } from "./apply-state.js";
import { $, el, today } from "./apply-util.js";

export function raw(item) {
  const id = item.id;
  if (item.type === "address") {
    const select = $(`f-${id}-xa`); // while its communes load, the answer is the one restored
    const commune = select.hasAttribute("data-pending")
      ? select.getAttribute("data-pending")
      : select.value;
    return {
      province: $(`f-${id}`).value,
      commune: commune,
      street: $(`f-${id}-duong`).value,
    };
  }
  const radios = document.querySelectorAll(`input[type=radio][name="${id}"]`);
  if (radios.length) {
    for (let i = 0; i < radios.length; i++) if (radios[i].checked) return radios[i].value;
    return "";
  }
  return $(`f-${id}`).value;
}

export function fill(s, item, value) {
  const id = item.id;
  if (value === undefined || value === null) return;
  if (item.type === "address") {
    $(`f-${id}`).value = value.province || "";
    $(`f-${id}-duong`).value = value.street || "";
    loadCommunes(s, id, value.commune || "");
    return;
  }
  const radios = document.querySelectorAll(`input[type=radio][name="${id}"]`);
  if (radios.length) {
    for (let i = 0; i < radios.length; i++) radios[i].checked = radios[i].value === value;
    return;
  }
  $(`f-${id}`).value = value;
}

// The answer as the API takes it; what cannot be read stays as typed, so the rules say why.
export function typed(item, value) {
  if (item.type === "address") {
    if (!value.province && !value.commune && !rules.strip(value.street)) return undefined;
    return value;
  }
  if (value === "" || value === undefined) return undefined;
  if (item.type === "yes_no") return value === "true";
  if (item.type === "number") {
    const text = rules.strip(value).replace(",", ".");
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
  }
  if (item.type === "date") {
    const m = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/.exec(rules.strip(value));
    return m ? `${m[3]}-${(`0${m[2]}`).slice(-2)}-${(`0${m[1]}`).slice(-2)}` : value;
  }
  if (item.type === "cccd" || item.type === "phone") return value.replace(/[\s.]/g, "");
  return value;
}

export function answers(s) {
  const result = {};
  Object.keys(s.fieldsById).forEach((id) => {
    const value = typed(s.fieldsById[id].item, raw(s.fieldsById[id].item));
    if (value !== undefined) result[id] = value;
  });
  return result;
}

export function context(s) {
  const known = {};
  s.cfg.provinces.forEach((p) => {
    known[p[0]] = true;
  });
  return {
    today: today(),
    unit: (code) => (known[code] ? s.communes[code] || null : undefined),
  };
}

export function check(s) {
  const result = rules.checkAnswers(s.cfg, answers(s), context(s));
  const uploads = uploadKeys(s, result.kept);
  const uploadErrors = rules.checkUploads(s.cfg, result.kept, uploads);
  Object.keys(uploadErrors).forEach((k) => {
    result.errors[k] = uploadErrors[k];
  });
  Object.keys(s.files).forEach((slot) => {
    if (s.files[slot].some((f) => f.state === "uploading" || f.state === "scanning")) {
      result.errors[`/uploads/${slot}`] = "Tệp đang được tải lên; vui lòng đợi tải xong.";
    }
  });
  result.uploads = uploads;
  return result;
}

export function uploadKeys(s, kept) {
  const result = {};
  s.pages.forEach((page) => {
    page.uploads.forEach((slot) => {
      if (!rules.shown(slot, page, kept)) return;
      result[slot.id] = (s.files[slot.id] || [])
        .filter((f) => f.state === "done")
        .map((f) => f.key);
    });
  });
  return result;
}

export function refresh(s) {
  const current = answers(s);
  s.pages.forEach((page) => {
    page.fields.concat(page.uploads).forEach((item) => {
      $(`q-${item.id}`).hidden = !rules.shown(item, page, current);
    });
  });
}

/* The choices of the drop-down lists of provinces (every address question) and of offices (the
   "noi-nop" step), from the configuration rather than written in the page once per list. */
export function fillChoices(s) {
  s.pages.forEach((page) => {
    page.fields.forEach((item) => {
      if (item.type === "address") addOptions($(`f-${item.id}`), s.cfg.provinces);
    });
  });
  const office = $("f-ap-office");
  if (office)
    addOptions(
      office,
      s.cfg.offices.map((o) => [o.id, o.label]),
    );
}

function addOptions(select, pairs) {
  const options = document.createDocumentFragment();
  pairs.forEach((p) => {
    options.appendChild(el("option", { value: p[0], text: p[1] }));
  });
  select.appendChild(options);
}

export function loadCommunes(s, id, chosen) {
  const province = $(`f-${id}`).value,
    select = $(`f-${id}-xa`);
  function showCommunes(list) {
    select.removeAttribute("data-pending");
    select.textContent = "";
    select.appendChild(
      el("option", {
        value: "",
        text: list ? "Chọn xã, phường, đặc khu" : "Chọn tỉnh, thành phố trước",
      }),
    );
    Object.keys(list || {}).forEach((code) => {
      select.appendChild(el("option", { value: code, text: list[code] }));
    });
    select.disabled = !list;
    if (chosen && list?.[chosen]) select.value = chosen;
  }
  if (!province) return showCommunes(null);
  if (s.communes[province]) return showCommunes(s.communes[province]);
  select.disabled = true;
  select.setAttribute("data-pending", chosen || "");
  select.firstChild.textContent = "Đang tải danh sách xã, phường…";
  return fetch(`${s.cfg.root}du-lieu/don-vi/${province}.json`)
    .then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    })
    .then((body) => {
      const map = {};
      body.communes.forEach((c) => {
        map[c[0]] = c[1];
      });
      s.communes[province] = map;
      if ($(`f-${id}`).value === province) showCommunes(map);
    })
    .catch(() => {
      select.disabled = true;
      select.removeAttribute("data-pending");
      select.firstChild.textContent =
        "Không tải được danh sách xã, phường: chọn lại tỉnh để thử lại";
    });
}

export function communeName(s, value) {
  const list = s.communes[value.province] || {};
  const province = s.cfg.provinces.filter((p) => p[0] === value.province)[0];
  return [
    value.street,
    list[value.commune] || value.commune,
    province ? province[1] : value.province,
  ]
    .filter(Boolean)
    .join(", ");
}
