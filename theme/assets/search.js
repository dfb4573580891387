/* Tìm kiếm thủ tục: Vietnamese with or without diacritics, codes, synonyms, small typos.
 * Reads the index written by buildlib/search.py (site/search/): meta.json first, then only the
 * shards the query needs. The ranking is the same as search.query in Python; the constants come
 * from meta.json, and tests run both on the same queries. No framework, no external request.
 */
((root) => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const SPLIT = /[^0-9a-z]+/;
  const MARKS = /[\u0300-\u036f]/g;
  const SHORT_Y = /^([bcdghklmnpqrstvx]+)y$/;
  const CODE = /^\d{1,2}\.\d{6}$/;
  const DIGITS = /^\d{4,8}$/;
  const HEAD = /[,;:(]/;

  /* Same rules as buildlib/search.py fold(); a test checks they agree. */
  function fold(text) {
    const t = String(text).toLowerCase().normalize("NFD").replace(/đ/g, "d").replace(MARKS, "");
    return t
      .split(SPLIT)
      .filter(Boolean)
      .map((w) => w.replace(SHORT_Y, "$1i"));
  }

  function shardOf(token) {
    return token.split("_")[0].slice(0, 2);
  }

  const config = { index: null, site: null };
  let cache = {};

  function load(rel) {
    if (!cache[rel]) {
      cache[rel] = fetch(config.index + rel).then((r) => {
        if (!r.ok) throw new Error(`search index: ${rel} ${r.status}`);
        return r.json();
      });
    }
    return cache[rel];
  }

  function Index(meta) {
    this.meta = meta;
    this.shards = {};
    this.listed = { t: new Set(meta.shards), b: new Set(meta.body) };
  }
  Index.prototype.fetch = function (kind, prefixes) {
    return Promise.all(
      prefixes
        .filter((p) => this.listed[kind].has(p) && !this.shards[kind + p])
        .map((p) =>
          load(`${kind}/${p}.json`).then((s) => {
            this.shards[kind + p] = s;
          }),
        ),
    );
  };
  Index.prototype.shard = function (kind, prefix) {
    return this.shards[kind + prefix] || {};
  };

  function own(obj, key) {
    return Object.hasOwn(obj, key);
  }

  function oneEdit(a, b) {
    if (a === b || Math.abs(a.length - b.length) > 1) return false;
    let i;
    if (a.length === b.length) {
      const diff = [];
      for (i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
      if (diff.length === 1) return true;
      return (
        diff.length === 2 &&
        diff[1] === diff[0] + 1 &&
        a[diff[0]] === b[diff[1]] &&
        a[diff[1]] === b[diff[0]]
      );
    }
    if (a.length > b.length) {
      const t = a;
      a = b;
      b = t;
    }
    i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return a.slice(i) === b.slice(i + 1);
  }

  function expand(index, kind, token, last) {
    const s = index.meta.scoring,
      shard = index.shard(kind, shardOf(token)),
      found = new Map();
    if (own(shard, token)) found.set(token, s.exact);
    let term;
    if (last && token.length >= 2) {
      for (term in shard) {
        if (
          term !== token &&
          term.indexOf(token) === 0 &&
          term.indexOf("_") < 0 &&
          !found.has(term)
        )
          found.set(term, s.prefix);
      }
    }
    if (!found.size && token.length >= s.fuzzy_min) {
      for (term in shard) {
        if (term.indexOf("_") < 0 && oneEdit(token, term)) found.set(term, s.fuzzy);
      }
    }
    return found;
  }

  /* A word found nowhere may be two words typed without a space: fetch the right half's shard. */
  async function words(index, kind, tokens) {
    const out = [];
    for (let n = 0; n < tokens.length; n++) {
      let token = tokens[n],
        found = expand(index, kind, token, n === tokens.length - 1);
      if (!found.size && kind === "t" && token.length >= 4) {
        for (let cut = 2; cut < token.length - 1; cut++) {
          const left = token.slice(0, cut),
            right = token.slice(cut);
          if (!own(index.shard(kind, shardOf(left)), left)) continue;
          await index.fetch(kind, [shardOf(right)]);
          if (own(index.shard(kind, shardOf(right)), right)) {
            out.push(new Map([[left, index.meta.scoring.split]]));
            found = new Map([[right, index.meta.scoring.split]]);
            break;
          }
        }
      }
      out.push(found);
    }
    return out;
  }

  function idf(total, flat) {
    const df = Math.floor(flat.length / 2);
    return Math.log(1 + (total - df + 0.5) / (df + 0.5));
  }

  async function scorePass(index, kind, tokens) {
    const meta = index.meta,
      s = meta.scoring,
      total = meta.codes.length;
    await index.fetch(kind, tokens.map(shardOf));
    const ws = await words(index, kind, tokens),
      all = ws.slice();
    if (kind === "t") {
      for (let p = 0; p + 1 < tokens.length; p++) {
        all.push(new Map([[`${tokens[p]}_${tokens[p + 1]}`, s.pair]]));
      }
    }
    const scores = new Map(),
      matched = new Map();
    all.forEach((found, n) => {
      let best = new Map(),
        cap = Infinity;
      found.forEach((factor, term) => {
        const flat = index.shard(kind, shardOf(term))[term];
        if (factor === s.exact && own(index.shard(kind, shardOf(term)), term) && flat.length) {
          cap = Math.min(cap, idf(total, flat));
        }
      });
      found.forEach((factor, term) => {
        const shard = index.shard(kind, shardOf(term));
        if (!own(shard, term) || !shard[term].length) return;
        let flat = shard[term],
          w = Math.min(idf(total, flat), cap),
          doc = 0;
        for (let i = 0; i < flat.length; i += 2) {
          doc += flat[i];
          const weight = flat[i + 1] / s.unit;
          const norm = s.k1 * (1 - s.b + (s.b * meta.length[doc]) / meta.avglength);
          const value = (factor * w * weight * (s.k1 + 1)) / (weight + norm);
          if (value > (best.get(doc) || 0)) best.set(doc, value);
        }
      });
      best.forEach((value, doc) => {
        scores.set(doc, (scores.get(doc) || 0) + value);
        if (n < ws.length) matched.set(doc, (matched.get(doc) || 0) + 1);
      });
    });
    const count = Math.max(ws.length, 1),
      out = new Map();
    scores.forEach((v, doc) => {
      out.set(doc, v * ((matched.get(doc) || 0) / count) ** s.coverage);
    });
    return out;
  }

  /* Every query word a word of the name's head; the last one may be the start of one. */
  function inHead(tokens, head) {
    const words = new Set(head),
      last = tokens[tokens.length - 1];
    return (
      tokens.slice(0, -1).every((t) => words.has(t)) && head.some((w) => w.indexOf(last) === 0)
    );
  }

  function bonus(index, tokens, scores) {
    const meta = index.meta;
    const phrase = ` ${tokens.join(" ")} `;
    Array.from(scores.keys())
      .sort((a, b) => scores.get(b) - scores.get(a) || a - b)
      .slice(0, 50)
      .forEach((doc) => {
        const name = meta.names[doc];
        if (tokens.length >= 2 && ` ${fold(name).join(" ")} `.indexOf(phrase) >= 0) {
          scores.set(doc, scores.get(doc) + meta.scoring.phrase);
        }
        if (inHead(tokens, fold(name.split(HEAD)[0]))) {
          scores.set(doc, scores.get(doc) + meta.scoring.head);
        }
      });
  }

  /* Scales each score by the most local of the procedure's levels. */
  function prior(meta, scores) {
    const s = meta.scoring,
      factors = meta.levels.map((l) => (own(s.level_prior, l) ? s.level_prior[l] : s.level_other));
    scores.forEach((v, doc) => {
      let best = -Infinity,
        mask = meta.level[doc];
      factors.forEach((f, i) => {
        if ((mask >> i) & 1) best = Math.max(best, f);
      });
      scores.set(doc, v * (best === -Infinity ? 1 : best));
    });
  }

  let indexPromise = null;
  function getIndex() {
    if (!indexPromise) {
      indexPromise = load("meta.json").then((meta) => new Index(meta));
      indexPromise.catch(() => {
        indexPromise = null;
      });
    }
    return indexPromise;
  }

  function round6(x) {
    return Math.round(x * 1e6) / 1e6;
  }

  async function search(text, options) {
    const index = await getIndex(),
      meta = index.meta,
      s = meta.scoring;
    const limit = options?.limit || s.limit;
    let raw = String(text).trim(),
      compact = raw.replace(/ /g, ""),
      tokens = fold(raw);
    let scores = new Map(),
      doc;
    if (CODE.test(compact) || DIGITS.test(compact)) {
      for (doc = 0; doc < meta.codes.length; doc++) {
        const code = meta.codes[doc];
        if (code === compact) scores.set(doc, s.code_exact);
        else if (code.replace(".", "").indexOf(compact) >= 0 || code.indexOf(compact) >= 0) {
          scores.set(doc, s.code_partial);
        }
      }
      if (scores.size) tokens = [];
    }
    if (tokens.length) {
      (await scorePass(index, "t", tokens)).forEach((v, d) => {
        scores.set(d, (scores.get(d) || 0) + v);
      });
      if (scores.size < s.deep_below) {
        (await scorePass(index, "b", tokens)).forEach((v, d) => {
          scores.set(d, (scores.get(d) || 0) + s.body * v);
        });
      }
      bonus(index, tokens, scores);
    }
    prior(meta, scores);
    const ended = new Set(meta.ended);
    scores.forEach((v, d) => {
      if (ended.has(d)) scores.set(d, v * s.ended);
    });
    const order = Array.from(scores.keys()).sort(
      (a, b) =>
        round6(scores.get(b)) - round6(scores.get(a)) || meta.length[a] - meta.length[b] || a - b,
    );
    // Below this share of the best score, a result is not what was asked for (search.py).
    const floor = order.length ? round6(scores.get(order[0]) * s.cutoff) : 0;
    return order
      .filter((d) => round6(scores.get(d)) >= floor)
      .slice(0, limit)
      .map((d) => ({
        code: meta.codes[d],
        name: meta.names[d],
        url: meta.url.replace("{code}", meta.codes[d]),
        score: round6(scores.get(d)),
        ended: ended.has(d),
        field: meta.fields[meta.field[d]][1],
      }));
  }

  /* The page: a labelled input, a list of links, and a polite live region with the count. */
  function render(box, status, query, results) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    status.textContent = results.length
      ? `Có ${results.length} thủ tục phù hợp với “${query}”.`
      : "Không tìm thấy thủ tục nào phù hợp với “" +
        query +
        "”. Thử bỏ bớt từ hoặc nhập mã thủ tục.";
    results.forEach((r) => {
      const li = document.createElement("li"),
        a = document.createElement("a");
      a.href = config.site + r.url;
      a.textContent = r.name;
      li.appendChild(a);
      const small = document.createElement("span");
      small.className = "tthc-search-meta";
      small.textContent = ` ${r.code} · ${r.field}${r.ended ? " · đã hết hiệu lực" : ""}`;
      li.appendChild(small);
      box.appendChild(li);
    });
  }

  function init() {
    const input = document.getElementById("tthc-search-input");
    const out = document.getElementById("tthc-search-results");
    if (!input || !out) return;
    const status = document.getElementById("tthc-search-status") || out;
    if (!status.hasAttribute("aria-live")) status.setAttribute("aria-live", "polite");
    const list =
      out.tagName === "OL" || out.tagName === "UL"
        ? out
        : out.appendChild(document.createElement("ol"));
    let timer = null,
      latest = 0;
    function run() {
      const q = input.value,
        ticket = ++latest;
      search(q).then(
        (results) => {
          if (ticket === latest) render(list, status, q, results);
          if (results.length && root.CustomEvent) {
            // offline.js keeps the rest of the index then
            root.document.dispatchEvent(new root.CustomEvent("tthc-search-done"));
          }
        },
        () => {
          if (ticket === latest)
            status.textContent = "Chưa tải được dữ liệu tìm kiếm. Thử lại sau.";
        },
      );
    }
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    input.addEventListener(
      "focus",
      () => {
        getIndex().catch(() => {});
      },
      { once: true },
    );
    const form = input.form;
    if (form)
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        run();
      });
    const nojs = document.getElementById("tthc-search-nojs");
    if (nojs) nojs.hidden = true; // "without JavaScript, ..." (tim-kiem/)
    // The words sent by a search form without the script's help (tim-kiem/?q=...).
    const sent = new URLSearchParams(root.location.search).get("q");
    if (sent && !input.value) input.value = sent;
    if (input.value) run();
    // The header's and the menu's "Tìm thủ tục" link here (#tim-thu-tuc): ready to type. After
    // the page's load: mkdocs-material's bundle moves the focus when it starts.
    const asked = () => {
      if (root.location.hash === "#tim-thu-tuc") input.focus();
    };
    if (root.document.readyState === "complete") asked();
    else root.addEventListener("load", asked);
    root.addEventListener("hashchange", asked);
  }

  const script = root.document?.currentScript;
  if (script) {
    const src = script.getAttribute("src") ? script.src : root.location.href;
    config.index = script.getAttribute("data-index") || new URL("../search/", src).href;
    config.site = script.getAttribute("data-site") || new URL("../", src).href;
  }

  search.fold = fold;
  search.configure = (options) => {
    if (options.index !== undefined) config.index = options.index;
    if (options.site !== undefined) config.site = options.site;
    cache = {};
    indexPromise = null;
  };
  root.tthcSearch = search;

  if (root.document) {
    if (root.document.readyState === "loading") {
      root.document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  }
})(typeof window !== "undefined" ? window : globalThis);
