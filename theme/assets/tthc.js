/* Procedure pages, no server needed: (1) "as of date" picker: go to the version in force on the
   chosen date; (2) expected result date from today's (or the chosen) filing date, counting
   working days with the non-working days the build precomputed (assets/ngay-nghi.js).
   Both tools are `hidden` in the HTML and shown here, so a page without JavaScript shows no
   control that does nothing (the version list and the deadlines table are plain HTML). */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const pad = (n) => (n < 10 ? "0" : "") + n;
  /* UTC calendar arithmetic on "YYYY-MM-DD" strings ... */
  const iso = (d) => d.toISOString().slice(0, 10);
  /* ... but "today" is the reader's local date (toISOString is UTC: before 07:00 in Vietnam it
     would still be yesterday). */
  const localToday = () => {
    const d = new Date();
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  };
  const vn = (s) => `${s.slice(8, 10)}/${s.slice(5, 7)}/${s.slice(0, 4)}`;
  const form = document.querySelector("form.tthc-asof");
  if (form) {
    const versions = JSON.parse(document.getElementById("tthc-phien-ban").textContent);
    form.hidden = false;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const day = form.querySelector("input").value,
        status = form.querySelector("[role=status]");
      const hit = versions.filter((v) => v.from <= day && (!v.to || day < v.to))[0];
      if (hit) {
        location.href = hit.url;
      } else {
        status.textContent = `Không có phiên bản nào áp dụng vào ngày ${vn(day)}.`;
      }
    });
  }
  const data = document.getElementById("tthc-thoi-han"),
    cal = window.MOTCUA_NGAY_NGHI;
  if (!data || !cal) {
    return;
  }
  const deadlines = JSON.parse(data.textContent),
    off = new Set(cal.off);
  const input = document.getElementById("ngay-nop"),
    list = document.getElementById("ket-qua-du-kien");
  const next = (s) => {
    const d = new Date(`${s}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return iso(d);
  };
  const working = (s) => !off.has(s);
  const nextWorking = (s) => {
    s = next(s);
    while (!working(s)) {
      s = next(s);
    }
    return s;
  };
  function due(start, amount, unit) {
    let day = working(start) ? start : nextWorking(start),
      i;
    if (unit === "same_day") {
      return day;
    }
    if (unit === "hours") {
      amount = Math.ceil(amount / 8);
      unit = "working_days";
    }
    if (unit === "working_days") {
      for (i = 0; i < amount; i++) {
        day = nextWorking(day);
      }
      return day;
    }
    if (unit === "days") {
      for (i = 0; i < amount; i++) {
        day = next(day);
      }
      return working(day) ? day : nextWorking(day);
    }
    return null;
  }
  function show() {
    const start = input.value || localToday();
    list.textContent = "";
    deadlines.forEach((d) => {
      const li = document.createElement("li"),
        end = d.amount || d.unit === "same_day" ? due(start, d.amount, d.unit) : null;
      const text =
        end && end <= cal.to
          ? vn(end)
          : end
            ? "ngoài phạm vi lịch đã công bố"
            : "chưa được công bố";
      li.textContent = `Nộp ${d.channel}: ${text}`;
      list.appendChild(li);
    });
  }
  input.value = localToday();
  input.addEventListener("change", show);
  show();
  input.closest("section").hidden = false;
})();
