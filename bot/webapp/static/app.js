/* ШНОР-монитор: the dashboard's script. No framework, no build, nothing from another origin.
   It reads the launch data the messenger put after "#" in the URL (Telegram: tgWebAppData; MAX: WebAppData), or
   from the messenger's own object when present (window.Telegram.WebApp.initData, window.WebApp.initData), sends
   it with every request in X-Init-Data (cookies are dropped inside some clients) and shows the server's fragments. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var base = location.pathname.replace(/[^/]*$/, "");
  var hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  var state = {view: "home", id: null, period: "", tab: "schools", filters: ""};

  function launch() {
    var data = hash.get("tgWebAppData");
    if (data) return {channel: "telegram", data: data, start: hash.get("tgWebAppStartParam") || ""};
    data = hash.get("WebAppData");
    if (data) return {channel: "max", data: data, start: ""};
    var tg = window.Telegram && window.Telegram.WebApp;
    if (tg && tg.initData) return {channel: "telegram", data: tg.initData, start: ""};
    if (window.WebApp && window.WebApp.initData) return {channel: "max", data: window.WebApp.initData, start: ""};
    return null;
  }

  var L = launch();
  if (L) {
    // the start parameter: signed in the launch data (a direct link, MAX's open_app payload), else the
    // messenger's URL parameter, else our own ?start= (a web_app button's URL); routing only, the server decides
    L.start = new URLSearchParams(L.data).get("start_param") || L.start ||
      new URLSearchParams(location.search).get("start") || "";
  }

  function theme() {
    var params = null;
    try { params = JSON.parse(hash.get("tgWebAppThemeParams") || "null"); } catch (e) { params = null; }
    var tg = window.Telegram && window.Telegram.WebApp;
    if (!params && tg && tg.themeParams) params = tg.themeParams;
    if (!params) return;  // MAX: prefers-color-scheme (app.css)
    var root = document.documentElement;
    Object.keys(params).forEach(function (key) {
      if (/^[a-z_]+$/.test(key) && /^#[0-9a-fA-F]{3,8}$/.test(params[key])) {
        root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
      }
    });
    var bg = params.bg_color;
    if (bg && /^#[0-9a-fA-F]{6}$/.test(bg)) {
      var n = parseInt(bg.slice(1), 16), lum = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
      root.setAttribute("data-theme", lum < 0.5 ? "dark" : "light");
    }
  }

  function message(text) {
    app.innerHTML = "";
    var box = document.createElement("section"), h = document.createElement("h1"), p = document.createElement("p");
    box.className = "message"; h.textContent = "ШНОР-монитор"; p.textContent = text;
    box.appendChild(h); box.appendChild(p); app.appendChild(box);
  }

  function get(path, params) {
    var query = new URLSearchParams(params || {});
    if (state.period && !query.has("period")) query.set("period", state.period);
    return fetch(base + "api/" + path + (query.toString() ? "?" + query : ""), {
      headers: {"X-Init-Data": L.data, "X-Channel": L.channel}, credentials: "omit", cache: "no-store"
    }).then(function (r) {
      return r.text().then(function (html) { return {ok: r.ok, html: html}; });
    });
  }

  function busy(on) { document.body.classList.toggle("busy", on); }

  var latest = 0;  // only the newest request's answer is shown: a slower earlier one arriving later is dropped

  function show(target, path, params) {
    var mine = ++latest;
    busy(true);
    return get(path, params).then(function (res) {
      if (mine !== latest) return false;
      busy(false);
      if (!res.ok) { app.innerHTML = res.html; return false; }
      target.innerHTML = res.html;
      return true;
    }, function () {
      if (mine !== latest) return false;
      busy(false);
      message("Нет связи с сервером. Проверьте интернет и откройте панель заново.");
      return false;
    });
  }

  var again = null, tries = 0;  // a page the server is recounting (data-refreshing) is asked for again, a few times

  function recount() {
    clearTimeout(again);
    if (!app.querySelector("[data-refreshing]")) { tries = 0; return; }
    if (++tries > 10) return;
    again = setTimeout(function () { render(false, true); }, 1500);
  }

  function render(push, quiet) {
    if (push) history.pushState(JSON.parse(JSON.stringify(state)), "", location.href);
    if (!quiet) tries = 0;
    if (state.view === "school") {
      return show(app, "school/" + state.id).then(function () { if (!quiet) window.scrollTo(0, 0); recount(); });
    }
    var params = state.filters ? Object.fromEntries(new URLSearchParams(state.filters)) : {};
    if (!state.started && L.start) { params.start = L.start; state.started = true; }
    return show(app, "home", params).then(function (ok) {
      if (ok && state.tab !== "schools") tab(state.tab);
      recount();
    });
  }

  function tab(name) {
    state.tab = name;
    var section = document.getElementById("section");
    document.querySelectorAll("[data-tab]").forEach(function (b) {
      b.setAttribute("aria-selected", b.getAttribute("data-tab") === name ? "true" : "false");
    });
    if (!section) return;
    if (name === "schools") return show(section, "schools", Object.fromEntries(new URLSearchParams(state.filters)));
    return show(section, name);
  }

  function filters(page) {
    var form = document.querySelector("[data-filters]");
    var query = new URLSearchParams(new FormData(form));
    Array.from(query.keys()).forEach(function (k) { if (!query.get(k)) query.delete(k); });
    if (page) query.set("page", page);
    state.filters = query.toString();
    history.replaceState(JSON.parse(JSON.stringify(state)), "", location.href);
    return show(document.getElementById("matrix").parentNode, "schools", Object.fromEntries(query));
  }

  app.addEventListener("click", function (event) {
    var el = event.target.closest("[data-go],[data-tab],[data-page],[data-status]");
    if (!el) return;
    event.preventDefault();
    if (el.hasAttribute("data-go")) {
      state.view = el.getAttribute("data-go");
      state.id = el.getAttribute("data-id");
      render(true);
    } else if (el.hasAttribute("data-tab")) {
      tab(el.getAttribute("data-tab"));
    } else if (el.hasAttribute("data-page")) {
      filters(el.getAttribute("data-page"));
    } else if (el.hasAttribute("data-status")) {
      state.tab = "schools"; state.filters = "status=" + el.getAttribute("data-status");
      tab("schools");
    }
  });

  app.addEventListener("change", function (event) {
    if (event.target.matches("[data-period]")) {
      state.period = event.target.value; state.view = "home"; render(true);
    } else if (event.target.closest("[data-filters]")) {
      filters();
    }
  });
  app.addEventListener("submit", function (event) { event.preventDefault(); filters(); });

  window.addEventListener("popstate", function (event) {
    if (event.state) { state = event.state; state.started = true; render(false); }
  });

  theme();
  if (!L) {
    message("Откройте панель из бота: кнопка «Панель» под /summary или /card (в Telegram или в MAX).");
    return;
  }
  var bridge = (window.Telegram && window.Telegram.WebApp) || window.WebApp;
  if (bridge && bridge.ready) { try { bridge.ready(); } catch (e) { /* a client without it */ } }
  history.replaceState(JSON.parse(JSON.stringify(state)), "", location.href);
  render(false);
})();
