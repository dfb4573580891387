/* The status page's rating (tra-cuu/): once the result was returned, the dossier tra-cuu.js
   looked up ("tra-cuu:ho-so") carries `rating` (chalicelib/ratings.py): null before, then
   {given: false, questions, comment_max} until the applicant rated it, then {given: true}.
   The questions and their levels come from the API, so they have one home. The answers go to
   POST dossiers/<code>/rating {answers, comment} with the lookup secret; the API's Vietnamese
   message for each field is shown next to it and in the summary at the top of the form. */
const byId = (id) => document.getElementById(id);
const box = byId("tra-cuu-danh-gia"),
  form = byId("tra-cuu-danh-gia-mau"),
  thanks = byId("tra-cuu-danh-gia-da-gui"),
  questions = byId("tra-cuu-danh-gia-cau-hoi"),
  summary = byId("tra-cuu-danh-gia-loi"),
  comment = byId("y-kien");
const GIVEN = "Bạn đã đánh giá hồ sơ này. Cảm ơn bạn đã góp ý để cơ quan phục vụ tốt hơn.";
let current = null,
  secret = "",
  api = "",
  drawn = "";

function fieldError(id, message) {
  const error = byId(`${id}-loi`),
    group = byId(`nhom-${id}`);
  if (!error || !group) return;
  error.textContent = message || "";
  error.hidden = !message;
  group.classList.toggle("tthc-field--error", Boolean(message));
}

function clearErrors() {
  summary.hidden = true;
  summary.querySelector("ul").textContent = "";
  (current?.rating?.questions || []).forEach((q) => {
    fieldError(`danh-gia-${q.id}`, "");
  });
  fieldError("y-kien", "");
}

function showErrors(items) {
  const list = summary.querySelector("ul");
  list.textContent = "";
  items.forEach(([target, message]) => {
    const li = document.createElement("li");
    if (target) {
      const link = document.createElement("a");
      link.href = `#${target}`;
      link.textContent = message;
      li.appendChild(link);
    } else {
      li.textContent = message;
    }
    list.appendChild(li);
  });
  summary.hidden = false;
  summary.focus();
}

function draw(rating) {
  const key = JSON.stringify(rating.questions);
  if (key === drawn) return;
  drawn = key;
  questions.textContent = "";
  rating.questions.forEach((q) => {
    const set = document.createElement("fieldset");
    set.className = "tthc-rating-question";
    set.id = `nhom-danh-gia-${q.id}`;
    const legend = document.createElement("legend");
    legend.textContent = q.label;
    const error = document.createElement("p");
    error.className = "tthc-field-error";
    error.id = `danh-gia-${q.id}-loi`;
    error.hidden = true;
    set.append(legend, error);
    q.levels.forEach((level, n) => {
      const row = document.createElement("div");
      row.className = "tthc-rating-choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = q.id;
      input.value = level.id;
      input.id = `danh-gia-${q.id}-${n}`;
      const label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = level.label;
      row.append(input, label);
      set.appendChild(row);
    });
    questions.appendChild(set);
  });
  comment.maxLength = rating.comment_max;
}

function showGiven(message, focus) {
  form.hidden = true;
  thanks.textContent = message;
  thanks.hidden = false;
  if (focus) byId("tra-cuu-danh-gia-tieu-de").focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors();
  const answers = {};
  current.rating.questions.forEach((q) => {
    const chosen = form.querySelector(`input[name="${q.id}"]:checked`);
    if (chosen) answers[q.id] = chosen.value;
  });
  fetch(`${api}dossiers/${encodeURIComponent(current.code)}/rating`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-Lookup-Secret": secret,
    },
    body: JSON.stringify({ answers: answers, comment: comment.value }),
  })
    .then(
      (r) =>
        r
          .json()
          .catch(() => ({}))
          .then((b) => ({ status: r.status, body: b || {} })),
      () => ({ status: 0, body: {} }),
    )
    .then((reply) => {
      if (reply.status === 201) {
        current.rating = { given: true };
        showGiven(GIVEN, true);
        return;
      }
      if (reply.body.code === "already_rated") {
        current.rating = { given: true };
        showGiven(reply.body.message || GIVEN, true);
        return;
      }
      if (reply.status === 0) {
        showErrors([[null, "Không kết nối được với hệ thống. Kiểm tra kết nối mạng rồi thử lại."]]);
        return;
      }
      const fields = reply.body.fields || {},
        items = [];
      current.rating.questions.forEach((q) => {
        const message = fields[`/answers/${q.id}`];
        if (message) {
          fieldError(`danh-gia-${q.id}`, message);
          items.push([`danh-gia-${q.id}-0`, `${q.label}: ${message}`]);
        }
      });
      if (fields["/comment"]) {
        fieldError("y-kien", fields["/comment"]);
        items.push(["y-kien", fields["/comment"]]);
      }
      if (!items.length) {
        items.push([null, reply.body.message || `Hệ thống đang gặp sự cố (mã ${reply.status}).`]);
      }
      showErrors(items);
    });
});

document.addEventListener("tra-cuu:ho-so", (event) => {
  const dossier = event.detail.dossier,
    rating = dossier.rating;
  if (current?.code !== dossier.code) {
    form.reset();
    drawn = "";
  }
  current = dossier;
  secret = event.detail.secret || "";
  api = event.detail.api;
  box.hidden = !rating;
  if (!rating) return;
  clearErrors();
  if (rating.given) {
    showGiven(GIVEN, false);
    return;
  }
  thanks.hidden = true;
  draw(rating);
  form.hidden = false;
});
// tra-cuu.js may have shown a dossier before this module ran: ask for it again.
document.dispatchEvent(new CustomEvent("tra-cuu:san-sang"));
